//! The built IR as people read and diff it: pretty JSON, except that each
//! row of a table is one line (`["globex.com",["globex.co.uk"],"alice"]`)
//! instead of one line per cell. A 100,000-row table is then 100,000 lines,
//! and a table edit is a diff of the rows it changes.

use std::io::{self, Write};

use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// Pretty JSON with the elements of every `"rows"` array written compactly.
pub struct RowsFormatter {
    pretty: PrettyFormatter<'static>,
    /// Per open array or object: whether it is written compactly.
    open: Vec<bool>,
    /// Inside an object key: its text so far.
    key: Option<String>,
    /// The last key was `rows`, and its value has not begun.
    rows_next: bool,
    /// The open `rows` array, by its depth in `open`.
    rows_at: Option<usize>,
}

impl RowsFormatter {
    /// A formatter indenting by two spaces, as `to_string_pretty`.
    pub fn new() -> RowsFormatter {
        RowsFormatter { pretty: PrettyFormatter::new(), open: Vec::new(), key: None, rows_next: false, rows_at: None }
    }

    /// Whether the innermost open container is written compactly.
    fn compact(&self) -> bool {
        self.open.last().copied().unwrap_or(false)
    }

    /// Opens a container: compact inside a compact one or as an element of `rows`.
    fn push(&mut self) -> bool {
        let compact = self.compact() || self.rows_at.is_some_and(|r| self.open.len() >= r);
        self.open.push(compact);
        compact
    }
}

impl Default for RowsFormatter {
    fn default() -> Self {
        RowsFormatter::new()
    }
}

impl Formatter for RowsFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let starts_rows = std::mem::take(&mut self.rows_next);
        if self.push() {
            return CompactFormatter.begin_array(w);
        }
        if starts_rows {
            self.rows_at = Some(self.open.len());
        }
        self.pretty.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.rows_at == Some(self.open.len()) {
            self.rows_at = None;
        }
        match self.open.pop() {
            Some(true) => CompactFormatter.end_array(w),
            _ => self.pretty.end_array(w),
        }
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.compact() {
            CompactFormatter.begin_array_value(w, first)
        } else {
            self.pretty.begin_array_value(w, first)
        }
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.compact() {
            CompactFormatter.end_array_value(w)
        } else {
            self.pretty.end_array_value(w)
        }
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.rows_next = false;
        if self.push() {
            return CompactFormatter.begin_object(w);
        }
        self.pretty.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        match self.open.pop() {
            Some(true) => CompactFormatter.end_object(w),
            _ => self.pretty.end_object(w),
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.key = Some(String::new());
        if self.compact() {
            CompactFormatter.begin_object_key(w, first)
        } else {
            self.pretty.begin_object_key(w, first)
        }
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.rows_next = self.key.take().is_some_and(|k| k == "rows");
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.compact() {
            CompactFormatter.begin_object_value(w)
        } else {
            self.pretty.begin_object_value(w)
        }
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.rows_next = false;
        if self.compact() {
            CompactFormatter.end_object_value(w)
        } else {
            self.pretty.end_object_value(w)
        }
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        if let Some(k) = &mut self.key {
            k.push_str(fragment);
        }
        w.write_all(fragment.as_bytes())
    }
}

/// Writes `value` as [`RowsFormatter`] lays it out.
pub fn write(out: impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, RowsFormatter::new());
    value.serialize(&mut ser).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_one_line_each_and_the_rest_is_pretty() {
        let v = serde_json::json!({
            "name": "p",
            "tables": [{ "name": "accounts", "rows": [["globex.com", ["globex.co.uk", "globexcorp.com"], "alice"], ["initech.com", [], null]], "key": 0 }],
            "rowsy": [1, 2],
            "tiers": [{ "rows": 3, "name": "hot" }]
        });
        let mut out = Vec::new();
        write(&mut out, &v).expect("writing to a Vec");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(text.contains("\"rows\": [\n        [\"globex.com\",[\"globex.co.uk\",\"globexcorp.com\"],\"alice\"],\n        [\"initech.com\",[],null]\n      ]\n"), "{text}");
        assert!(text.contains("\"rowsy\": [\n    1,\n    2\n  ]"), "only `rows` itself: {text}");
        assert!(text.contains("\"name\": \"hot\",\n      \"rows\": 3\n"), "a `rows` that is not an array: {text}");
        // Still the same JSON.
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON"), v);
    }
}
