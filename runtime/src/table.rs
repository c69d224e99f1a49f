//! Reference tables at decide time: how keys are normalized (one function,
//! used when a policy is built and when a lead is decided), the bundled
//! free-mail list, and the hash index each table gets when a policy loads.

use std::borrow::Cow;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ir::{KeyMatch, PolicyIr, Value};

/// The bundled free-mail domains, one a line (`#` comments).
pub const BUNDLED_FREE_MAIL: &str = include_str!("free_mail.txt");

/// The bundled free-mail domains: a `domain` key never matches one.
pub fn bundled_free_mail() -> impl Iterator<Item = &'static str> {
    BUNDLED_FREE_MAIL.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A web domain as tables compare it: surrounding whitespace trimmed; the part
/// after the last `@` when there is one (so an email address gives its
/// domain); a trailing `.` dropped; a leading `www.` stripped; ASCII letters
/// lower-cased. `" Sales@WWW.Globex.COM "` gives `globex.com`.
pub fn normalize_domain(raw: &str) -> Cow<'_, str> {
    let s = raw.trim();
    let s = s.rsplit_once('@').map_or(s, |(_, d)| d).trim();
    let s = s.strip_suffix('.').unwrap_or(s);
    let s = match s.as_bytes().get(..4) {
        // Four ASCII bytes, so byte 4 is a character boundary.
        Some(w) if w.eq_ignore_ascii_case(b"www.") => &s[4..],
        _ => s,
    };
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// A key (or a looked-up value) as a table of this kind compares it:
/// a domain by [`normalize_domain`], anything else trimmed, case kept.
pub fn normalize_key(matching: KeyMatch, raw: &str) -> Cow<'_, str> {
    match matching {
        KeyMatch::Exact => Cow::Borrowed(raw.trim()),
        KeyMatch::Domain => normalize_domain(raw),
    }
}

/// How a lookup went, for traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The normalized key found this row.
    Row(u32),
    /// The normalized key is a free-mail domain: no account.
    FreeMail,
    /// No row has this key.
    NoRow,
}

/// One table's index: normalized key (and alias) to row.
#[derive(Debug, Clone)]
struct Index {
    rows: FxHashMap<Box<str>, u32>,
    matching: KeyMatch,
}

/// Every table's index and the free-mail set, built once per loaded policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables {
    indexes: Vec<Index>,
    free_mail: FxHashSet<Box<str>>,
}

impl Tables {
    /// Indexes the rows of every table (validated already: keys are unique strings).
    pub(crate) fn build(ir: &PolicyIr) -> Tables {
        let free_mail: FxHashSet<Box<str>> = ir.free_mail.iter().map(|d| Box::from(d.as_str())).collect();
        let indexes = ir
            .tables
            .iter()
            .map(|t| {
                let mut rows = FxHashMap::default();
                rows.reserve(t.rows.len());
                for (i, row) in t.rows.iter().enumerate() {
                    let mut add = |k: &str| {
                        let k = normalize_key(t.matching, k);
                        // A free-mail key can never match (`check` warns about it).
                        if !(t.matching == KeyMatch::Domain && free_mail.contains(k.as_ref())) {
                            rows.entry(Box::from(k.as_ref())).or_insert(i as u32);
                        }
                    };
                    if let Some(Some(Value::Str(k))) = row.get(t.key as usize) {
                        add(k);
                    }
                    if let Some(Some(Value::List(aliases))) = t.alias.and_then(|a| row.get(a as usize)) {
                        for a in aliases {
                            if let Value::Str(k) = a {
                                add(k);
                            }
                        }
                    }
                }
                Index { rows, matching: t.matching }
            })
            .collect();
        Tables { indexes, free_mail }
    }

    /// The row of `table` whose key is `raw` once normalized.
    pub(crate) fn find(&self, table: u32, raw: &str) -> Option<u32> {
        let index = self.indexes.get(table as usize)?;
        index.rows.get(normalize_key(index.matching, raw).as_ref()).copied()
    }

    /// The normalized key and how the lookup went (for traces).
    pub(crate) fn explain(&self, table: u32, raw: &str) -> (String, Match) {
        let Some(index) = self.indexes.get(table as usize) else { return (raw.to_string(), Match::NoRow) };
        let key = normalize_key(index.matching, raw);
        let how = match index.rows.get(key.as_ref()) {
            Some(row) => Match::Row(*row),
            None if index.matching == KeyMatch::Domain && self.free_mail.contains(key.as_ref()) => Match::FreeMail,
            None => Match::NoRow,
        };
        (key.into_owned(), how)
    }
}

/// A lookup as traces show it: `accounts["Sales@WWW.Globex.com"]` and
/// `globex.com -> row at accounts.csv:18`, `gmail.com is a free-mail
/// domain: no account` or `no row for x.com` (the key once normalized).
pub(crate) fn describe(policy: &crate::Policy, table: u32, raw: &str) -> (String, String) {
    let Some(t) = policy.ir.tables.get(table as usize) else { return (format!("table#{table}[{raw:?}]"), "no such table".into()) };
    let (key, how) = policy.tables.explain(table, raw);
    let how = match how {
        Match::Row(r) => {
            let line = t.loc.lines.get(r as usize).map_or(String::new(), |l| format!(" at {}:{l}", t.loc.file));
            format!("{key} -> row{line}")
        }
        Match::FreeMail => format!("{key} is a free-mail domain: no account"),
        Match::NoRow => format!("no row for {key}"),
    };
    (format!("{}[{raw:?}]", t.name), how)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_normalize_case_www_trailing_dot_and_email() {
        for raw in ["globex.com", " Globex.COM ", "www.globex.com", "WWW.Globex.com.", "Sales@WWW.Globex.com", "a@b@globex.com"] {
            assert_eq!(normalize_domain(raw), "globex.com", "{raw}");
        }
        assert_eq!(normalize_domain("wwwglobex.com"), "wwwglobex.com");
        assert_eq!(normalize_domain("ünï.example"), "ünï.example");
        assert_eq!(normalize_key(KeyMatch::Exact, " 94103 "), "94103");
        assert_eq!(normalize_key(KeyMatch::Exact, "Ab"), "Ab");
    }

    #[test]
    fn the_bundled_list_is_lower_case_and_unique() {
        let all: Vec<&str> = bundled_free_mail().collect();
        assert!(all.len() >= 100, "{}", all.len());
        let unique: std::collections::BTreeSet<&str> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len());
        assert!(all.iter().all(|d| normalize_domain(d) == *d));
    }
}
