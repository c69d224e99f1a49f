//! A policy's behaviour written as JSON text, streamed: the bytes of
//! `PolicyIr::behaviour().to_string()`, but each element of the IR's lists
//! becomes a JSON tree on its own, so a policy of 260,000 territories never
//! is one tree of all of them (the policy version hashes these bytes).

use std::io::{self, Write};

use serde::Serialize;

use crate::ir::{PolicyIr, RouteDef};

/// Drops `loc` and `text` from every object inside `v`.
pub(crate) fn strip(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("loc");
            m.remove("text");
            m.values_mut().for_each(strip);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

/// One value as `behaviour()` writes it: its tree, stripped.
fn value(out: &mut dyn Write, v: &impl Serialize) -> io::Result<()> {
    let mut tree = serde_json::to_value(v).map_err(io::Error::other)?;
    strip(&mut tree);
    serde_json::to_writer(&mut *out, &tree).map_err(io::Error::other)
}

/// A list, one element's tree at a time.
fn list<T: Serialize>(out: &mut dyn Write, items: &[T]) -> io::Result<()> {
    each(out, items, |o, item| value(o, item))
}

/// A list, each element written by `write`.
fn each<T>(out: &mut dyn Write, items: &[T], write: impl Fn(&mut dyn Write, &T) -> io::Result<()>) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write(out, item)?;
    }
    out.write_all(b"]")
}

/// A route as [`value`] writes it, but its rules one tree at a time: a
/// route of 90,000 rules is never one tree (hundreds of MB).
fn route(out: &mut dyn Write, r: &RouteDef) -> io::Result<()> {
    // The route without its rules (every field named, so a new one is not missed), in key order.
    let shell = RouteDef { name: r.name.clone(), rules: Vec::new(), loc: r.loc.clone() };
    let mut tree = serde_json::to_value(&shell).map_err(io::Error::other)?;
    strip(&mut tree);
    let serde_json::Value::Object(fields) = tree else { return value(out, r) };
    object(out, &fields, |o, key, v| if key == "rules" { list(o, &r.rules) } else { serde_json::to_writer(&mut *o, v).map_err(io::Error::other) })
}

/// An object of `fields`, in their order, each value written by `write`.
fn object<'f, K: Serialize + 'f, V: 'f>(
    out: &mut dyn Write,
    fields: impl IntoIterator<Item = (&'f K, &'f V)>,
    write: impl Fn(&mut dyn Write, &K, &V) -> io::Result<()>,
) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (key, v)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, key).map_err(io::Error::other)?;
        out.write_all(b":")?;
        write(out, key, v)?;
    }
    out.write_all(b"}")
}

impl PolicyIr {
    /// Writes the text of [`PolicyIr::behaviour`] to `out`, byte for byte,
    /// holding at most one list element's JSON tree at a time. The keys are
    /// in the order `serde_json` writes an object's keys (sorted); fields
    /// that serde skips when empty are skipped here too.
    pub fn write_behaviour(&self, out: &mut impl Write) -> io::Result<()> {
        self.write_fields(out, true)
    }

    /// [`PolicyIr::write_behaviour`] as if the policy had no tables (the
    /// policy version streams each table after it, row by row, instead of
    /// as one JSON tree per table).
    pub fn write_behaviour_without_tables(&self, out: &mut impl Write) -> io::Result<()> {
        self.write_fields(out, false)
    }

    fn write_fields(&self, out: &mut impl Write, tables: bool) -> io::Result<()> {
        type Field<'a> = (&'static str, Box<dyn Fn(&mut dyn Write) -> io::Result<()> + 'a>);
        let mut fields: Vec<Field> = vec![
            ("breach", Box::new(|o| list(o, &self.breach))),
            ("entry", Box::new(|o| value(o, &self.entry))),
            ("enums", Box::new(|o| list(o, &self.enums))),
            ("fields", Box::new(|o| list(o, &self.fields))),
            ("format_version", Box::new(|o| value(o, &self.format_version))),
            ("handlers", Box::new(|o| value(o, &self.handlers))),
            ("name", Box::new(|o| value(o, &self.name))),
            ("owner", Box::new(|o| value(o, &self.owner))),
            ("queues", Box::new(|o| list(o, &self.queues))),
            ("reminders", Box::new(|o| list(o, &self.reminders))),
            ("reps", Box::new(|o| list(o, &self.reps))),
            ("routes", Box::new(|o| each(o, &self.routes, route))),
            ("teams", Box::new(|o| list(o, &self.teams))),
            ("territories", Box::new(|o| list(o, &self.territories))),
            ("tiers", Box::new(|o| list(o, &self.tiers))),
            ("timezone", Box::new(|o| value(o, &self.timezone))),
        ];
        if !self.calendars.is_empty() {
            fields.push(("calendars", Box::new(|o| list(o, &self.calendars))));
        }
        if let Some(d) = &self.duplicate {
            fields.push(("duplicate", Box::new(move |o| value(o, d))));
        }
        if tables && !self.tables.is_empty() {
            fields.push(("tables", Box::new(|o| list(o, &self.tables))));
        }
        if !self.free_mail.is_empty() {
            fields.push(("free_mail", Box::new(|o| value(o, &self.free_mail))));
        }
        fields.sort_by_key(|(name, _)| *name);
        object(out, fields.iter().map(|(name, write)| (name, write)), |o, _, write| write(o))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn streamed_bytes_are_the_tree_s_text() {
        let mut ir: crate::ir::PolicyIr = serde_json::from_str(&crate::engine::doc_example_ir()).expect("the doc example IR");
        let mut out = Vec::new();
        ir.write_behaviour(&mut out).expect("writing to a Vec");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), ir.behaviour().to_string());
        // The optional parts too.
        ir.free_mail = vec!["corp-mail.example".into()];
        let mut out = Vec::new();
        ir.write_behaviour(&mut out).expect("writing to a Vec");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), ir.behaviour().to_string());
    }
}
