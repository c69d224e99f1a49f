//! The policy's names as JSON string literals, quoted and escaped once when
//! the policy is loaded, so that writing a decision line copies bytes
//! instead of escaping (and, for unnamed rules, formatting) every name.

use crate::ir::PolicyIr;

/// Quoted names, by index as the IR numbers them.
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonNames {
    pub tiers: Vec<Box<str>>,
    pub territories: Vec<Box<str>>,
    /// Each rep's id.
    pub reps: Vec<Box<str>>,
    pub teams: Vec<Box<str>>,
    pub queues: Vec<Box<str>>,
    pub routes: Vec<Box<str>>,
    /// Per route, each rule's label (its name, or `route#N`).
    pub rules: Vec<Vec<Box<str>>>,
    pub policy_version: Box<str>,
}

/// `s` as a JSON string literal, escaped as serde_json escapes it.
pub(crate) fn quoted(s: &str) -> Box<str> {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_str(&mut out, s);
    // Escaped UTF-8 is UTF-8.
    String::from_utf8(out).unwrap_or_default().into_boxed_str()
}

/// Writes `s` as a JSON string literal, escaped as serde_json escapes it.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_contents(out, s);
    out.push(b'"');
}

/// Writes `s` escaped, without the quotes: copied when it needs no escape
/// (no `"`, `\` or control character, what serde_json escapes), else
/// escaped by serde_json.
pub(crate) fn write_contents(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.extend_from_slice(s.as_bytes());
    } else {
        // Serializing a `str` cannot fail; its text is quoted, so at least two bytes long.
        let quoted = serde_json::to_vec(s).unwrap_or_default();
        out.extend_from_slice(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default());
    }
}

/// Text written into a JSON string literal as it is formatted (the caller
/// writes the quotes): for texts built from several pieces, with no
/// intermediate `String`.
pub(crate) struct JsonText<'o>(pub &'o mut Vec<u8>);

impl std::fmt::Write for JsonText<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        write_contents(self.0, s);
        Ok(())
    }
}

impl JsonNames {
    /// The names of `ir`, quoted.
    pub(crate) fn new(ir: &PolicyIr) -> JsonNames {
        let all = |names: &mut dyn Iterator<Item = &str>| names.map(quoted).collect();
        JsonNames {
            tiers: all(&mut ir.tiers.iter().map(|t| t.name.as_str())),
            territories: all(&mut ir.territories.iter().map(|t| t.name.as_str())),
            reps: all(&mut ir.reps.iter().map(|r| r.id.as_str())),
            teams: all(&mut ir.teams.iter().map(|t| t.name.as_str())),
            queues: all(&mut ir.queues.iter().map(|q| q.name.as_str())),
            routes: all(&mut ir.routes.iter().map(|r| r.name.as_str())),
            rules: ir.routes.iter().map(|r| (0..r.rules.len()).map(|i| quoted(&r.rule_label(i))).collect()).collect(),
            policy_version: quoted(&ir.policy_version),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_serde_jsons() {
        for s in ["", "plain", "with \"quotes\"", "back\\slash", "tab\there", "nul\0", "\u{1f}", "del\u{7f}", "é ünïcödé 日本", "</script>"] {
            assert_eq!(&*quoted(s), serde_json::to_string(s).unwrap_or_default(), "{s:?}");
            // The same text written in pieces (one char at a time) escapes the same.
            let mut out = b"\"".to_vec();
            for c in s.chars() {
                let _ = std::fmt::Write::write_char(&mut JsonText(&mut out), c);
            }
            out.push(b'"');
            assert_eq!(String::from_utf8_lossy(&out), serde_json::to_string(s).unwrap_or_default(), "{s:?}");
        }
    }
}
