//! The flat lead layout the compiled backend reads: one 64-bit word per field
//! the compiled conditions look at, after a bitmap of which fields are present.
//!
//! Numbers are stored as `f64` bits (conditions compare them as `f64`), enum variants as their
//! index, and strings as ids interned against the policy's
//! string constants: a lead string that equals no constant gets [`NO_ID`],
//! which no set contains, so equality and membership are integer operations.
//! The record is built once per lead, before any condition runs.

use rustc_hash::FxHashMap;

use crate::ir::{FieldType, Value};

/// The id of a lead string that equals none of the policy's constants.
pub const NO_ID: u64 = u32::MAX as u64;

/// How one field is stored in its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An interned string id.
    Str,
    /// A number (int or float) as `f64` bits: conditions compare numbers as `f64`.
    Num,
    /// The variant index.
    Enum,
}

impl Kind {
    /// How a field of this type is stored, if it has a flat form (only what compiled conditions read).
    pub(crate) fn of(ty: &FieldType) -> Option<Kind> {
        Some(match ty {
            FieldType::String => Kind::Str,
            FieldType::Int | FieldType::Float => Kind::Num,
            FieldType::Enum(_) => Kind::Enum,
            FieldType::Bool | FieldType::Time | FieldType::List(_) => return None,
        })
    }
}

/// Where each field lives in the record, and the interned string constants.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The fields stored, by slot, with how.
    fields: Vec<(u32, Kind)>,
    /// Words of presence bits before the values.
    presence_words: usize,
    /// The record's length in words.
    words: usize,
    /// Word index of each field slot's value (`usize::MAX`: not stored).
    word_of: Vec<usize>,
    strings: FxHashMap<Box<str>, u32>,
}

impl Layout {
    /// A layout for a schema of `field_count` fields storing `used` (slot and type).
    pub(crate) fn new(field_count: usize, used: impl IntoIterator<Item = (u32, Kind)>) -> Layout {
        let mut fields: Vec<(u32, Kind)> = used.into_iter().collect();
        fields.sort_by_key(|(s, _)| *s);
        fields.dedup_by_key(|(s, _)| *s);
        let presence_words = field_count.div_ceil(64).max(1);
        let mut word_of = vec![usize::MAX; field_count];
        for (i, (slot, _)) in fields.iter().enumerate() {
            word_of[*slot as usize] = presence_words + i;
        }
        Layout { words: presence_words + fields.len(), fields, presence_words, word_of, strings: FxHashMap::default() }
    }

    /// The id of a string constant, interning it.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        let next = self.strings.len() as u32;
        *self.strings.entry(s.into()).or_insert(next)
    }

    /// The id of an interned string.
    pub(crate) fn id(&self, s: &str) -> Option<u32> {
        self.strings.get(s).copied()
    }

    /// The record's length in 64-bit words.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Byte offset of a field's value word (None when it is not stored).
    pub(crate) fn value_offset(&self, slot: u32) -> Option<i32> {
        let w = *self.word_of.get(slot as usize)?;
        (w != usize::MAX).then(|| (w * 8) as i32)
    }

    /// Byte offset of the presence word holding `slot`'s bit, and the bit.
    pub(crate) fn presence(&self, slot: u32) -> (i32, u64) {
        (((slot / 64) * 8) as i32, 1u64 << (slot % 64))
    }

    /// Fills `out` (at least [`Layout::words`] long) from a lead's values:
    /// a presence bit for every field, and the values of the stored ones.
    pub fn fill(&self, values: &[Option<Value>], out: &mut [u64]) {
        out[..self.presence_words].fill(0);
        for (slot, v) in values.iter().enumerate().take(self.word_of.len()) {
            if v.is_some() {
                out[slot / 64] |= 1 << (slot % 64);
            }
        }
        for (i, &(slot, kind)) in self.fields.iter().enumerate() {
            let v = values.get(slot as usize).and_then(Option::as_ref);
            let encoded = match (kind, v) {
                (_, None) => None,
                (Kind::Str, Some(Value::Str(s))) => Some(self.strings.get(s.as_str()).map_or(NO_ID, |id| *id as u64)),
                (Kind::Num, Some(Value::Int(n))) => Some((*n as f64).to_bits()),
                (Kind::Num, Some(Value::Float(f))) => Some(f.to_bits()),
                (Kind::Enum, Some(Value::Enum(e))) => Some(*e as u64),
                // A validated lead always has the schema's type; a value of
                // another type reads as absent, as in the interpreter.
                (_, Some(_)) => {
                    out[slot as usize / 64] &= !(1 << (slot % 64));
                    None
                }
            };
            out[self.presence_words + i] = encoded.unwrap_or(0);
        }
    }
}

/// A record buffer: inline for usual schemas, on the heap for very wide ones.
pub(crate) enum Record {
    Inline([u64; 32]),
    Heap(Vec<u64>),
}

impl Record {
    /// A record for `layout` filled from `values`.
    pub(crate) fn build(layout: &Layout, values: &[Option<Value>]) -> Record {
        let mut r = if layout.words() <= 32 { Record::Inline([0; 32]) } else { Record::Heap(vec![0; layout.words()]) };
        layout.fill(values, r.words_mut());
        r
    }

    fn words_mut(&mut self) -> &mut [u64] {
        match self {
            Record::Inline(a) => a,
            Record::Heap(v) => v,
        }
    }

    /// The record's first word, for compiled code.
    pub(crate) fn as_ptr(&self) -> *const u64 {
        match self {
            Record::Inline(a) => a.as_ptr(),
            Record::Heap(v) => v.as_ptr(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_intern_to_constant_ids_and_unknown_strings_match_nothing() {
        let mut l = Layout::new(3, [(0, Kind::Str), (2, Kind::Num)]);
        let us = l.intern("US");
        assert_eq!(l.intern("US"), us);
        let values = vec![Some(Value::Str("US".into())), None, Some(Value::Int(-5))];
        let mut out = vec![0; l.words()];
        l.fill(&values, &mut out);
        assert_eq!(out[0], 0b101, "presence bits of slots 0 and 2");
        assert_eq!(out[l.value_offset(0).unwrap_or(0) as usize / 8], us as u64);
        assert_eq!(f64::from_bits(out[l.value_offset(2).unwrap_or(0) as usize / 8]), -5.0);
        assert_eq!(l.value_offset(1), None);
        let values = vec![Some(Value::Str("FR".into())), None, None];
        l.fill(&values, &mut out);
        assert_eq!(out[0], 0b001);
        assert_eq!(out[1], NO_ID);
        let values = vec![Some(Value::Int(1)), Some(Value::Str("x".into())), None];
        l.fill(&values, &mut out);
        assert_eq!(out[0], 0b010, "a value of the wrong type reads as absent; unstored fields still have presence");
    }
}
