//! The flat lead layout the compiled backend reads: one 64-bit word per field
//! the compiled conditions look at, after a bitmap of which fields are present.
//!
//! Numbers are stored as `f64` bits (conditions compare them as `f64`), enum variants as their
//! index, and strings as ids interned against the policy's
//! string constants: a lead string that equals no constant gets [`NO_ID`],
//! which no set contains, so equality and membership are integer operations.
//! The record is built once per lead, before any condition runs.
// Without the compiled backend only the (empty) record is used.
#![cfg_attr(not(feature = "jit"), allow(dead_code))]

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
    /// Milliseconds since the epoch (`since(field)` comparisons).
    Time,
}

impl Kind {
    /// How a field of this type is stored, if it has a flat form (only what compiled conditions read).
    pub(crate) fn of(ty: &FieldType) -> Option<Kind> {
        Some(match ty {
            FieldType::String => Kind::Str,
            FieldType::Int | FieldType::Float => Kind::Num,
            FieldType::Enum(_) => Kind::Enum,
            FieldType::Time => Kind::Time,
            FieldType::Bool | FieldType::List(_) => return None,
        })
    }
}

/// Where each field lives in the record, and the interned string constants.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The string, number and enum fields stored: slot, word among the
    /// values, and whether `is present` tests it too.
    strs: Vec<(u32, usize, bool)>,
    nums: Vec<(u32, usize, bool)>,
    enums: Vec<(u32, usize, bool)>,
    times: Vec<(u32, usize, bool)>,
    /// Words in each of the two presence bitmaps before the values: the
    /// first has a bit per stored field holding a value of its type, the
    /// second a bit per field whose presence is tested, set when it has any value.
    presence_words: usize,
    /// The record's length in words.
    words: usize,
    /// Word index of each field slot's value (`usize::MAX`: not stored).
    word_of: Vec<usize>,
    /// Fields not stored whose presence `is present` tests (stored ones get
    /// their bit in the second bitmap as they are filled).
    presence_only: Vec<u32>,
    /// Per field slot, for filling the record one field at a time
    /// ([`Layout::put`]): the word of its value (`u32::MAX`: not stored),
    /// how it is stored, and whether `is present` tests it.
    slots: Vec<(u32, Kind, bool)>,
    /// The end of the field words (derived values come after).
    fields_end: usize,
    strings: Interner,
}

/// String constants to ids. Strings of up to 7 bytes (country and state
/// codes, short labels: most constants) are keyed by their bytes packed in a
/// `u64`, so a lookup is one multiply and one probe, with no string compare.
#[derive(Debug, Clone, Default)]
struct Interner {
    short: FxHashMap<u64, u32>,
    long: FxHashMap<Box<str>, u32>,
    /// The short keys again, in an open-addressed table read without hashing
    /// the key's bytes (built by [`Layout::seal`]).
    table: ShortTable,
}

/// Packed short strings to ids: linear probing in a power-of-two table at
/// most half full, keyed by a multiplicative hash of the packed key.
#[derive(Debug, Clone, Default)]
struct ShortTable {
    keys: Box<[u64]>,
    ids: Box<[u32]>,
    shift: u32,
}

/// No key: packed keys keep their length (at most 7) in the top byte.
const EMPTY: u64 = u64::MAX;

impl ShortTable {
    fn new(entries: &FxHashMap<u64, u32>) -> ShortTable {
        let size = (entries.len() * 2).next_power_of_two().max(8);
        let shift = 64 - size.trailing_zeros();
        let mut t = ShortTable { keys: vec![EMPTY; size].into(), ids: vec![0; size].into(), shift };
        // In id order, so that the table is the same for the same policy.
        let mut sorted: Vec<(u64, u32)> = entries.iter().map(|(k, v)| (*k, *v)).collect();
        sorted.sort_by_key(|(_, id)| *id);
        for (k, id) in sorted {
            let mut i = t.slot(k);
            while t.keys[i] != EMPTY {
                i = (i + 1) & (size - 1);
            }
            t.keys[i] = k;
            t.ids[i] = id;
        }
        t
    }

    #[inline]
    fn slot(&self, k: u64) -> usize {
        (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn get(&self, k: u64) -> Option<u32> {
        let mask = self.keys.len().checked_sub(1)?;
        let mut i = self.slot(k) & mask;
        loop {
            let here = self.keys[i];
            if here == k {
                return Some(self.ids[i]);
            }
            if here == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }
}

impl Interner {
    /// The bytes and the length of a string under 8 bytes, as one key.
    #[inline]
    fn pack(s: &str) -> Option<u64> {
        let b = s.as_bytes();
        let n = b.len();
        let k = match n {
            0 => 0,
            // The first, middle and last bytes cover one to three bytes
            // without a loop (for one or two, they overlap on equal bytes).
            1..=3 => u64::from(b[0]) | u64::from(b[n / 2]) << (8 * (n / 2)) | u64::from(b[n - 1]) << (8 * (n - 1)),
            // Two overlapping 4-byte reads: the shared bytes are equal, so `|` keeps them.
            4..=7 => {
                let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
                let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]) as u64;
                lo | hi << ((n - 4) * 8)
            }
            _ => return None,
        };
        Some(k | (n as u64) << 56)
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    #[inline(always)]
    fn get(&self, s: &str) -> Option<u32> {
        match Interner::pack(s) {
            Some(k) if !self.table.keys.is_empty() => self.table.get(k),
            Some(k) => self.short.get(&k).copied(),
            None => self.long.get(s).copied(),
        }
    }

    fn intern(&mut self, s: &str) -> u32 {
        let next = self.len() as u32;
        self.table = ShortTable::default();
        match Interner::pack(s) {
            Some(k) => *self.short.entry(k).or_insert(next),
            None => *self.long.entry(s.into()).or_insert(next),
        }
    }
}

impl Layout {
    /// A layout for a schema of `field_count` fields storing `used` (slot and
    /// type), and the presence of `tested` too.
    pub(crate) fn new(field_count: usize, used: impl IntoIterator<Item = (u32, Kind)>, tested: impl IntoIterator<Item = u32>) -> Layout {
        let mut fields: Vec<(u32, Kind)> = used.into_iter().collect();
        fields.sort_by_key(|(s, _)| *s);
        fields.dedup_by_key(|(s, _)| *s);
        let presence_words = field_count.div_ceil(64).max(1);
        let mut word_of = vec![usize::MAX; field_count];
        for (i, (slot, _)) in fields.iter().enumerate() {
            word_of[*slot as usize] = 2 * presence_words + i;
        }
        let mut presence_tested: Vec<u32> = tested.into_iter().filter(|s| (*s as usize) < field_count).collect();
        presence_tested.sort_unstable();
        presence_tested.dedup();
        let of = |k: Kind| {
            let kinds = fields.iter().enumerate().filter(|(_, (_, kind))| *kind == k);
            kinds.map(|(i, (slot, _))| (*slot, i, presence_tested.binary_search(slot).is_ok())).collect()
        };
        let presence_only = presence_tested.iter().copied().filter(|s| word_of[*s as usize] == usize::MAX).collect();
        let slots = (0..field_count)
            .map(|slot| {
                let kind = fields.iter().find(|(s, _)| *s as usize == slot).map_or(Kind::Str, |(_, k)| *k);
                let word = if word_of[slot] == usize::MAX { u32::MAX } else { word_of[slot] as u32 };
                (word, kind, presence_tested.binary_search(&(slot as u32)).is_ok())
            })
            .collect();
        Layout {
            slots,
            fields_end: 2 * presence_words + fields.len(),
            words: 2 * presence_words + fields.len(),
            strs: of(Kind::Str),
            nums: of(Kind::Num),
            enums: of(Kind::Enum),
            times: of(Kind::Time),
            presence_words,
            word_of,
            presence_only,
            strings: Interner::default(),
        }
    }

    /// The id of a string constant, interning it.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        self.strings.intern(s)
    }

    /// Prepares the string lookups for filling records; call after the last [`Layout::intern`].
    pub(crate) fn seal(&mut self) {
        self.strings.table = ShortTable::new(&self.strings.short);
    }

    /// The id of an interned string.
    pub(crate) fn id(&self, s: &str) -> Option<u32> {
        self.strings.get(s)
    }

    /// Adds `n` derived values of two words each at the end of the record;
    /// the word index of the first.
    pub(crate) fn add_derived(&mut self, n: usize) -> usize {
        let base = self.words;
        self.words += 2 * n;
        base
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

    /// Byte offset of the word holding `slot`'s bit in the bitmap of stored
    /// values of the schema's type, and the bit.
    pub(crate) fn presence(&self, slot: u32) -> (i32, u64) {
        (((slot / 64) * 8) as i32, 1u64 << (slot % 64))
    }

    /// Byte offset and bit of `slot` in the bitmap `is present` reads.
    pub(crate) fn tested_presence(&self, slot: u32) -> (i32, u64) {
        (((self.presence_words as u32 + slot / 64) * 8) as i32, 1u64 << (slot % 64))
    }

    /// Clears the field words of `out` (bitmaps and values) before
    /// [`Layout::put`] fills them one field at a time.
    pub(crate) fn clear(&self, out: &mut [u64]) {
        for w in &mut out[..self.fields_end] {
            *w = 0;
        }
    }

    /// Stores one present field's value in a record cleared by
    /// [`Layout::clear`]: what [`Layout::fill`] stores for it.
    #[inline]
    pub(crate) fn put(&self, out: &mut [u64], slot: u32, v: &Value) {
        let Some(&(word, kind, tested)) = self.slots.get(slot as usize) else { return };
        let (i, bit) = ((slot / 64) as usize, 1u64 << (slot % 64));
        if tested {
            out[self.presence_words + i] |= bit;
        }
        if word == u32::MAX {
            return;
        }
        let value = match (kind, v) {
            (Kind::Str, Value::Str(s)) => self.strings.get(s).map_or(NO_ID, u64::from),
            (Kind::Num, Value::Float(f)) => f.to_bits(),
            (Kind::Num, Value::Int(n)) => (*n as f64).to_bits(),
            (Kind::Enum, Value::Enum(e)) => u64::from(*e),
            (Kind::Time, Value::Time(t)) => *t as u64,
            _ => return,
        };
        out[word as usize] = value;
        out[i] |= bit;
    }

    /// Fills `out` (at least [`Layout::words`] long) from a lead's values.
    /// A value of another type than the schema's (possible only in a `Lead`
    /// built by hand) reads as absent to value tests, as in the interpreter,
    /// and as present to `is present`.
    pub fn fill(&self, values: &[Option<Value>], out: &mut [u64]) {
        let pw = self.presence_words;
        let (typed, rest) = out[..self.words].split_at_mut(pw);
        let (raw, vals) = rest.split_at_mut(pw);
        // Usually one word each: plain stores, not a `memset` call.
        for w in typed.iter_mut().chain(raw.iter_mut()) {
            *w = 0;
        }
        // The bits of the first 64 fields gather in registers.
        let (mut t0, mut r0) = (0u64, 0u64);
        let mark = |map: &mut [u64], acc: &mut u64, slot: u32| {
            if slot < 64 {
                *acc |= 1 << slot;
            } else {
                map[(slot / 64) as usize] |= 1 << (slot % 64);
            }
        };
        for &slot in &self.presence_only {
            if matches!(values.get(slot as usize), Some(Some(_))) {
                mark(raw, &mut r0, slot);
            }
        }
        // One loop per kind. A stored field whose presence is also tested
        // gets its `is present` bit here, for any value.
        for &(slot, word, tested) in &self.strs {
            vals[word] = match values.get(slot as usize) {
                Some(Some(v)) => {
                    if tested {
                        mark(raw, &mut r0, slot);
                    }
                    match v {
                        Value::Str(s) => {
                            mark(typed, &mut t0, slot);
                            self.strings.get(s).map_or(NO_ID, u64::from)
                        }
                        _ => 0,
                    }
                }
                _ => 0,
            };
        }
        for &(slot, word, tested) in &self.nums {
            let Some(Some(v)) = values.get(slot as usize) else { continue };
            if tested {
                mark(raw, &mut r0, slot);
            }
            vals[word] = match v {
                Value::Float(f) => f.to_bits(),
                Value::Int(n) => (*n as f64).to_bits(),
                _ => continue,
            };
            mark(typed, &mut t0, slot);
        }
        for &(slot, word, tested) in &self.enums {
            let Some(Some(v)) = values.get(slot as usize) else { continue };
            if tested {
                mark(raw, &mut r0, slot);
            }
            vals[word] = match v {
                Value::Enum(e) => u64::from(*e),
                _ => continue,
            };
            mark(typed, &mut t0, slot);
        }
        for &(slot, word, tested) in &self.times {
            let Some(Some(v)) = values.get(slot as usize) else { continue };
            if tested {
                mark(raw, &mut r0, slot);
            }
            vals[word] = match v {
                Value::Time(t) => *t as u64,
                _ => continue,
            };
            mark(typed, &mut t0, slot);
        }
        typed[0] |= t0;
        raw[0] |= r0;
    }
}

/// A record buffer, on the caller's stack for usual schemas (a few fields a
/// condition reads), on the heap for very wide ones.
#[derive(Debug)]
pub(crate) struct Record {
    inline: [u64; 16],
    heap: Vec<u64>,
}

impl Record {
    /// An empty record (nothing allocated).
    pub(crate) fn new() -> Record {
        Record { inline: [0; 16], heap: Vec::new() }
    }

    /// Fills the record for `layout` from a lead's values.
    pub(crate) fn fill(&mut self, layout: &Layout, values: &[Option<Value>]) {
        if layout.words() <= self.inline.len() {
            self.heap.clear();
            layout.fill(values, &mut self.inline);
        } else {
            self.heap.resize(layout.words(), 0);
            layout.fill(values, &mut self.heap);
        }
    }

    /// The record's first `words` words, cleared of nothing, for filling
    /// field by field (on the stack when they fit, as [`Record::fill`] does).
    pub(crate) fn prepare(&mut self, words: usize) -> &mut [u64] {
        if words <= self.inline.len() {
            self.heap.clear();
            &mut self.inline
        } else {
            self.heap.resize(words, 0);
            &mut self.heap
        }
    }

    /// The record's words (after [`Record::fill`]).
    pub(crate) fn words_mut(&mut self) -> &mut [u64] {
        if self.heap.is_empty() {
            &mut self.inline
        } else {
            &mut self.heap
        }
    }

    /// The XOR of the first `words` words (keeps a benchmark from discarding the record).
    pub(crate) fn checksum(&self, words: usize) -> u64 {
        let all: &[u64] = if self.heap.is_empty() { &self.inline } else { &self.heap };
        all.iter().take(words).fold(0, |a, w| a ^ w)
    }

    /// The record's first word, for compiled code.
    pub(crate) fn as_ptr(&self) -> *const u64 {
        if self.heap.is_empty() {
            self.inline.as_ptr()
        } else {
            self.heap.as_ptr()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_intern_to_constant_ids_and_unknown_strings_match_nothing() {
        let mut l = Layout::new(3, [(0, Kind::Str), (2, Kind::Num)], [1]);
        let us = l.intern("US");
        assert_eq!(l.intern("US"), us);
        let values = vec![Some(Value::Str("US".into())), None, Some(Value::Int(-5))];
        let mut out = vec![0; l.words()];
        l.fill(&values, &mut out);
        assert_eq!(out[0], 0b101, "presence bits of slots 0 and 2");
        assert_eq!(out[1], 0b000, "slot 1's presence: absent");
        assert_eq!(out[l.value_offset(0).unwrap_or(0) as usize / 8], us as u64);
        assert_eq!(f64::from_bits(out[l.value_offset(2).unwrap_or(0) as usize / 8]), -5.0);
        assert_eq!(l.value_offset(1), None);
        let long = l.intern("a string longer than seven bytes");
        l.seal();
        for s in ["US", "a string longer than seven bytes", "FR", "", "US\0"] {
            assert_eq!(l.id(s), l.strings.short.get(&Interner::pack(s).unwrap_or(0)).copied().or(l.strings.long.get(s).copied()), "{s:?}");
        }
        assert_ne!(long, us);
        assert_eq!(l.id("a string longer than seven bytes"), Some(long));
        // Packing keeps the length: a shorter string padded with NULs is another string.
        assert_eq!(l.id("US\0"), None);
        assert_eq!(l.id(""), None);
        for s in ["", "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg"] {
            let bytes: Vec<u8> = s.bytes().chain(std::iter::repeat_n(0, 7 - s.len())).chain([s.len() as u8]).collect();
            assert_eq!(Interner::pack(s), Some(u64::from_le_bytes(bytes.try_into().unwrap_or_default())), "{s:?}");
        }
        assert_eq!(Interner::pack("abcdefgh"), None);
        let values = vec![Some(Value::Str("FR".into())), None, None];
        l.fill(&values, &mut out);
        assert_eq!(out[0], 0b001);
        assert_eq!(out[l.value_offset(0).unwrap_or(0) as usize / 8], NO_ID);
        let values = vec![Some(Value::Int(1)), Some(Value::Str("x".into())), None];
        l.fill(&values, &mut out);
        assert_eq!(out[0], 0b000, "a value of another type reads as absent to value tests");
        assert_eq!(out[1], 0b010, "and as present to `is present`");
    }
}
