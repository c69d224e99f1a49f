//! The stable diagnostic codes: one entry each, with a title and a long explanation.
//!
//! A code never changes meaning once released. Explanations live in
//! `compiler/explain/CODE.md` and are shown by `leadroute explain CODE`;
//! `docs/diagnostics.md` is generated from them (a test keeps it in sync).

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy cannot be used.
    Error,
    /// The policy works, but probably not as meant.
    Warning,
}

macro_rules! codes {
    ($($code:ident => $title:literal,)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $(#[doc = $title] $code,)* }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The code as written: `E0004`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code),)* }
            }

            /// A one-line title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$code => $title,)* }
            }

            /// The long explanation (Markdown), with an example and the fix.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$code => include_str!(concat!("../explain/", stringify!($code), ".md")),)* }
            }
        }
    };
}

codes! {
    E0001 => "syntax error",
    E0002 => "expression nested too deeply",
    E0003 => "invalid literal",
    E0004 => "unknown name",
    E0005 => "unknown field",
    E0006 => "unknown enum variant",
    E0007 => "unknown type",
    E0008 => "unknown function",
    E0009 => "duplicate declaration",
    E0010 => "duplicate entry inside a declaration",
    E0011 => "reserved name",
    E0012 => "mismatched types",
    E0013 => "condition is not a boolean",
    E0014 => "ordering comparison on a type without order",
    E0015 => "optional field used without a presence guard",
    E0016 => "wrong arguments to a function",
    E0017 => "invalid default with `??`",
    E0018 => "empty team",
    E0019 => "rep listed twice in a team",
    E0020 => "unknown allocation strategy",
    E0021 => "route without `otherwise`",
    E0022 => "assignment that can fail is not handled",
    E0023 => "territories can overlap and no `ambiguous_territory` handler exists",
    E0024 => "routes (or a handler and a route) call each other in a cycle",
    E0025 => "missing or repeated policy header or schema",
    E0026 => "some leads match no tier",
    E0027 => "invalid property value",
    E0028 => "invalid inline test",
    E0029 => "several routes and no entry route",
    E0030 => "schema has no `id: string` field",
    E0031 => "unknown exception",
    E0032 => "invalid exception handler",
    E0033 => "invalid strategy argument",
    E0034 => "SLA event on something without an SLA",
    E0035 => "invalid SLA handler",
    E0036 => "SLA breach can hand the lead back to a rep who held it",
    E0037 => "queue escalations loop",
    E0038 => "invalid `allow`",
    E0039 => "`??` chain too long",
    E0050 => "source cannot be read",
    E0051 => "empty policy",
    E0052 => "several independent policies checked as one",
    E0060 => "table file cannot be read",
    E0061 => "invalid table declaration",
    E0062 => "table file header does not match the declaration",
    E0063 => "malformed line in a table file",
    E0064 => "table cell does not fit its column",
    E0065 => "unknown rep or enum value in a table cell",
    E0066 => "duplicate key in a table",
    E0067 => "unknown table or column",
    E0068 => "more declarations than the runtime loads",
    E0070 => "invalid duplicate handler",
    E0071 => "`previous owner` outside a duplicate handler",
    W0001 => "rep in no team",
    W0002 => "unreachable after `otherwise`",
    W0003 => "unused declaration",
    W0004 => "handler that can never run",
    W0005 => "presence check or default on a required field",
    W0006 => "can never fire: covered by what comes before",
    W0007 => "condition can never hold",
    W0008 => "territories can overlap (handled by `ambiguous_territory`)",
    W0009 => "`allow` that silences nothing",
    W0010 => "holiday calendar runs out",
    W0011 => "daily cap restarts in the middle of a night shift",
    W0020 => "free-mail domain as a table key",
    W0021 => "undeclared column in a table file",
    W0040 => "analysis cut short",
}

impl Code {
    /// Errors start with `E`, warnings with `W`.
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    /// Parses `E0004` (case-insensitive; `4` or `E4` also work).
    pub fn parse(text: &str) -> Option<Code> {
        let text = text.trim().to_ascii_uppercase();
        let (letter, digits) = match text.chars().next()? {
            c @ ('E' | 'W') => (c, &text[1..]),
            _ => ('E', text.as_str()),
        };
        let n: u32 = digits.parse().ok()?;
        let wanted = format!("{letter}{n:04}");
        Code::ALL.iter().copied().find(|c| c.as_str() == wanted)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The reference of every code as one Markdown page (`docs/diagnostics.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# leadroute diagnostics\n\nEvery diagnostic has a stable code. `leadroute explain CODE` prints the same text.\n\
         This page is generated from `compiler/explain/` by `cargo test` (test `docs_diagnostics_is_current`); edit those files, not this one.\n\n",
    );
    out.push_str("| code | severity | title |\n| --- | --- | --- |\n");
    for code in Code::ALL {
        let sev = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("| [{code}](#{}) | {sev} | {} |\n", code.as_str().to_lowercase(), code.title()));
    }
    for code in Code::ALL {
        out.push_str(&format!("\n## {code}\n\n"));
        out.push_str(code.explanation().trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} listed twice");
            assert_eq!(code.as_str().len(), 5);
            assert!(code.explanation().starts_with(&format!("# {code}:")), "{code}.md must start with `# {code}: title`");
        }
    }

    #[test]
    fn parse_accepts_loose_spellings() {
        assert_eq!(Code::parse("e0004"), Some(Code::E0004));
        assert_eq!(Code::parse("4"), Some(Code::E0004));
        assert_eq!(Code::parse("W1"), Some(Code::W0001));
        assert_eq!(Code::parse("E9999"), None);
        assert_eq!(Code::parse(""), None);
    }

    #[test]
    fn docs_diagnostics_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/diagnostics.md");
        let want = reference_markdown();
        let have = std::fs::read_to_string(path).unwrap_or_default();
        if have != want {
            if std::env::var_os("LEADROUTE_BLESS").is_some() {
                std::fs::write(path, &want).expect("write docs/diagnostics.md");
                return;
            }
            panic!("docs/diagnostics.md is stale: run `LEADROUTE_BLESS=1 cargo test -p leadroute-compiler docs_diagnostics`");
        }
    }
}
