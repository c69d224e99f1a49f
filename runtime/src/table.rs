//! Reference tables at decide time: how keys are normalized (one function,
//! used when a policy is built and when a lead is decided), the bundled
//! free-mail list, and the hash index each table gets when a policy loads.

use std::borrow::Cow;

use rustc_hash::FxHashSet;

use crate::key_index::KeyIndex;

use serde::{Deserialize, Serialize};

use crate::ir::{FieldType, PolicyIr, Value};

/// How a table's keys and lookups are normalized before they are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMatch {
    /// Surrounding whitespace trimmed, otherwise exact (case matters).
    Exact,
    /// A web domain: see [`crate::table::normalize_domain`]; free-mail domains never match.
    Domain,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    /// Its name (the CSV header).
    pub name: String,
    /// The type of its cells (`list<T>` for `;`-separated cells).
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// An empty cell is missing.
    pub optional: bool,
    /// Its cells are rep ids.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rep: bool,
}

/// A reference table: typed rows, a key column and optionally an alias column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// Its name.
    pub name: String,
    /// Columns, by index.
    pub columns: Vec<ColumnDef>,
    /// The key column's index.
    pub key: u32,
    /// The alias column's index (a list of more keys of the same row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<u32>,
    /// How keys are normalized.
    #[serde(rename = "match")]
    pub matching: KeyMatch,
    /// Rows: one cell per column, `None` for an empty optional cell. Keys are
    /// stored normalized. In JSON a cell is a plain value (see [`cells`]).
    #[serde(with = "cells")]
    pub rows: Vec<Vec<Option<Value>>>,
    /// Where the rows come from (not part of the behaviour).
    pub loc: TableLoc,
}

impl TableDef {
    /// What the table does as JSON, streamed to `out`: everything but where
    /// its rows come from (`loc`). The policy version hashes this instead of
    /// building a JSON tree of every row.
    pub fn write_behaviour(&self, out: impl std::io::Write) -> serde_json::Result<()> {
        #[derive(Serialize)]
        struct View<'a> {
            name: &'a str,
            columns: &'a [ColumnDef],
            key: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            alias: Option<u32>,
            #[serde(rename = "match")]
            matching: KeyMatch,
            #[serde(with = "cells")]
            rows: &'a [Vec<Option<Value>>],
        }
        let view = View { name: &self.name, columns: &self.columns, key: self.key, alias: self.alias, matching: self.matching, rows: &self.rows };
        serde_json::to_writer(out, &view)
    }
}

/// The file a table's rows were read from, and each row's line in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableLoc {
    /// File name.
    pub file: String,
    /// Per row: its 1-based line.
    pub lines: Vec<u32>,
}

/// Table cells in JSON, compact (a built policy holds every row): a string,
/// an integer, a float (always written with a fraction), a bool, `null` for
/// an empty cell, an array for a list; `{"enum": i}` for an enum variant,
/// `{"time": ms}` for a time; anything else in [`Value`]'s own tagged form.
pub mod cells {
    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::ser::{SerializeMap, SerializeSeq, Serializer};
    use serde::{Deserialize, Serialize};

    use crate::ir::Value;

    struct Cell<'a>(&'a Value);

    impl Serialize for Cell<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self.0 {
                Value::Str(x) => s.serialize_str(x),
                Value::Int(i) => s.serialize_i64(*i),
                Value::Float(f) => s.serialize_f64(*f),
                Value::Bool(b) => s.serialize_bool(*b),
                Value::List(items) => {
                    let mut seq = s.serialize_seq(Some(items.len()))?;
                    for x in items {
                        seq.serialize_element(&Cell(x))?;
                    }
                    seq.end()
                }
                Value::Enum(i) => {
                    let mut m = s.serialize_map(Some(1))?;
                    m.serialize_entry("enum", i)?;
                    m.end()
                }
                Value::Time(t) => {
                    let mut m = s.serialize_map(Some(1))?;
                    m.serialize_entry("time", t)?;
                    m.end()
                }
                other => other.serialize(s),
            }
        }
    }

    struct Row<'a>(&'a [Option<Value>]);

    impl Serialize for Row<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for c in self.0 {
                seq.serialize_element(&c.as_ref().map(Cell))?;
            }
            seq.end()
        }
    }

    /// Writes the rows.
    #[allow(clippy::ptr_arg)] // `serde(with)` passes `&Vec<_>` for `TableDef::rows`.
    pub fn serialize<S: Serializer>(rows: &[Vec<Option<Value>>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(rows.len()))?;
        for r in rows {
            seq.serialize_element(&Row(r))?;
        }
        seq.end()
    }

    /// One cell read back: `None` for `null`.
    struct Owned(Option<Value>);

    impl<'de> Deserialize<'de> for Owned {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Owned, D::Error> {
            d.deserialize_any(CellVisitor)
        }
    }

    struct CellVisitor;

    impl<'de> Visitor<'de> for CellVisitor {
        type Value = Owned;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table cell: a string, number, bool, null, list, {\"enum\": i} or {\"time\": ms}")
        }
        fn visit_unit<E>(self) -> Result<Owned, E> {
            Ok(Owned(None))
        }
        fn visit_none<E>(self) -> Result<Owned, E> {
            Ok(Owned(None))
        }
        fn visit_str<E>(self, v: &str) -> Result<Owned, E> {
            Ok(Owned(Some(Value::Str(v.to_string()))))
        }
        fn visit_string<E>(self, v: String) -> Result<Owned, E> {
            Ok(Owned(Some(Value::Str(v))))
        }
        fn visit_bool<E>(self, v: bool) -> Result<Owned, E> {
            Ok(Owned(Some(Value::Bool(v))))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Owned, E> {
            Ok(Owned(Some(Value::Int(v))))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Owned, E> {
            i64::try_from(v).map(|i| Owned(Some(Value::Int(i)))).map_err(|_| E::custom(format!("integer {v} is out of range")))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Owned, E> {
            Ok(Owned(Some(Value::Float(v))))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Owned, A::Error> {
            let mut items = Vec::new();
            while let Some(Owned(x)) = seq.next_element::<Owned>()? {
                items.push(x.ok_or_else(|| de::Error::custom("a list item is null"))?);
            }
            Ok(Owned(Some(Value::List(items))))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Owned, A::Error> {
            let mut fields: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                fields.insert(k, v);
            }
            let num = |k: &str| fields.get(k).and_then(serde_json::Value::as_i64);
            let value = match (fields.len(), num("enum"), num("time")) {
                (1, Some(i), _) => Value::Enum(u32::try_from(i).map_err(|_| de::Error::custom(format!("enum variant {i} is out of range")))?),
                (1, _, Some(t)) => Value::Time(t),
                _ => serde_json::from_value(serde_json::Value::Object(fields)).map_err(de::Error::custom)?,
            };
            Ok(Owned(Some(value)))
        }
    }

    /// Reads the rows.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Option<Value>>>, D::Error> {
        let rows: Vec<Vec<Owned>> = Vec::deserialize(d)?;
        Ok(rows.into_iter().map(|r| r.into_iter().map(|c| c.0).collect()).collect())
    }
}

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
    let s = domain_part(raw);
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// [`normalize_domain`] before lower-casing.
fn domain_part(raw: &str) -> &str {
    let s = raw.trim();
    let s = s.rsplit_once('@').map_or(s, |(_, d)| d).trim();
    let s = s.strip_suffix('.').unwrap_or(s);
    match s.as_bytes().get(..4) {
        // Four ASCII bytes, so byte 4 is a character boundary.
        Some(w) if w.eq_ignore_ascii_case(b"www.") => &s[4..],
        _ => s,
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

/// Calls `f` with `raw` normalized as [`normalize_key`] does, without
/// allocating for keys of up to 256 bytes (a lookup on the hot path).
#[inline]
pub(crate) fn with_normalized<R>(matching: KeyMatch, raw: &str, f: impl FnOnce(&str) -> R) -> R {
    let KeyMatch::Domain = matching else { return f(raw.trim()) };
    let s = domain_part(raw);
    if !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return f(s);
    }
    let mut buf = [0u8; 256];
    match buf.get_mut(..s.len()) {
        Some(out) => {
            for (o, c) in out.iter_mut().zip(s.bytes()) {
                *o = c.to_ascii_lowercase();
            }
            // Lower-casing ASCII bytes keeps UTF-8 valid.
            match std::str::from_utf8(out) {
                Ok(k) => f(k),
                Err(_) => f(&s.to_ascii_lowercase()),
            }
        }
        None => f(&s.to_ascii_lowercase()),
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
    rows: KeyIndex,
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
                let aliases = t.alias.map_or(0, |a| t.rows.iter().map(|r| if let Some(Some(Value::List(l))) = r.get(a as usize) { l.len() } else { 0 }).sum());
                let mut rows = KeyIndex::with_capacity(t.rows.len() + aliases);
                for (i, row) in t.rows.iter().enumerate() {
                    let mut add = |k: &str| {
                        let k = normalize_key(t.matching, k);
                        // A free-mail key can never match (`check` warns about it).
                        if !(t.matching == KeyMatch::Domain && free_mail.contains(k.as_ref())) {
                            rows.insert(&k, i as u32);
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
    #[inline]
    pub(crate) fn find(&self, table: u32, raw: &str) -> Option<u32> {
        let index = self.indexes.get(table as usize)?;
        with_normalized(index.matching, raw, |k| index.rows.get(k))
    }

    /// Bytes held by the indexes (for memory figures).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.indexes.iter().map(|i| i.rows.heap_bytes()).sum()
    }

    /// The normalized key and how the lookup went (for traces).
    pub(crate) fn explain(&self, table: u32, raw: &str) -> (String, Match) {
        let Some(index) = self.indexes.get(table as usize) else { return (raw.to_string(), Match::NoRow) };
        let key = normalize_key(index.matching, raw);
        let how = match index.rows.get(key.as_ref()) {
            Some(row) => Match::Row(row),
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
        let long = format!("x@{}.COM", "A".repeat(300));
        for raw in ["globex.com", " Sales@WWW.Globex.COM. ", "ÜNÏ.Example", "", "@", "www.", long.as_str()] {
            for m in [KeyMatch::Exact, KeyMatch::Domain] {
                assert_eq!(with_normalized(m, raw, str::to_string), normalize_key(m, raw), "{raw:?} {m:?}");
            }
        }
    }

    #[test]
    fn cells_round_trip_compactly() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Rows(#[serde(with = "super::cells")] Vec<Vec<Option<Value>>>);
        let rows = Rows(vec![vec![
            Some(Value::Str("a".into())),
            Some(Value::Int(-3)),
            Some(Value::Float(2.0)),
            Some(Value::Bool(true)),
            None,
            Some(Value::List(vec![Value::Str("x".into())])),
            Some(Value::Enum(2)),
            Some(Value::Time(1_700_000_000_000)),
            Some(Value::Clock(90)),
        ]]);
        let json = serde_json::to_string(&rows).unwrap_or_default();
        assert_eq!(json, r#"[["a",-3,2.0,true,null,["x"],{"enum":2},{"time":1700000000000},{"type":"clock","value":90}]]"#);
        assert_eq!(serde_json::from_str::<Rows>(&json).ok(), Some(rows));
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
