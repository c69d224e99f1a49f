//! Reading leads straight from JSON text: one pass of the JSON parser,
//! driven by the policy's schema, fills a reused [`Lead`] and the flat record
//! the compiled code reads, with no JSON value tree in between and, once the
//! buffers are warm, no allocation for string, number and enum fields.
//!
//! It validates exactly as [`Lead::from_json_str`]: it accepts a lead only
//! when every field has the schema's type (the same conversions), and any
//! lead it does not accept is read again by [`Lead::from_json_str`], whose
//! answer (the same lead, or its errors) is returned. Errors are the cold
//! path, so they keep one implementation.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::flat::{Layout, Record};
use crate::ir::{FieldType, PolicyIr, Value};
use crate::lead::{FieldError, Lead, LeadOptions};
use crate::policy::Policy;

/// Reads leads from JSON text into buffers reused from one lead to the next.
#[derive(Debug)]
pub struct LeadReader {
    lead: Lead,
    rec: Record,
    /// A bit per field slot: given in the lead being read.
    seen: Vec<u64>,
    /// Per field slot (and one more for the start of a lead): the slot whose
    /// key came next in the last lead, tried first. Leads from one source
    /// write their keys in one order, so a key usually costs one compare.
    follow: Vec<u32>,
    /// The compilation the record was filled for (`None`: not filled).
    layout: Option<u64>,
    /// The last lead read was read in the one pass (not read again by the general reader).
    lean: bool,
}

impl Default for LeadReader {
    fn default() -> LeadReader {
        LeadReader::new()
    }
}

/// A lead read by a [`LeadReader`], valid until the next read.
#[derive(Debug, Clone, Copy)]
pub struct ReadLead<'r> {
    lead: &'r Lead,
    // Read only by the compiled backend (feature `jit`).
    #[cfg_attr(not(feature = "jit"), allow(dead_code))]
    rec: &'r Record,
    #[cfg_attr(not(feature = "jit"), allow(dead_code))]
    layout: Option<u64>,
}

impl<'r> ReadLead<'r> {
    /// The validated lead.
    pub fn lead(&self) -> &'r Lead {
        self.lead
    }

    /// The flat record, when it was built for `policy`'s compiled code.
    #[cfg_attr(not(feature = "jit"), allow(unused_variables))]
    pub(crate) fn record_for(&self, policy: &Policy) -> Option<&'r Record> {
        #[cfg(feature = "jit")]
        if let (Some(j), Some(layout)) = (policy.jit.as_deref(), self.layout) {
            return (j.id == layout).then_some(self.rec);
        }
        None
    }
}

/// The lean pass gave up: the lead is read again by [`Lead::from_json_str`].
#[derive(Debug)]
struct Fallback;

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("read again by the general reader")
    }
}

impl LeadReader {
    /// A reader with empty buffers.
    pub fn new() -> LeadReader {
        LeadReader { lead: Lead { id: String::new(), values: Vec::new() }, rec: Record::new(), seen: Vec::new(), follow: Vec::new(), layout: None, lean: false }
    }

    /// Validates the lead in `text` against `policy`'s schema, as
    /// [`Lead::from_json_str`] does (same lead, same errors), and builds its
    /// flat record when the policy has compiled code.
    pub fn read(&mut self, policy: &Policy, text: &str, opts: LeadOptions) -> Result<ReadLead<'_>, (String, Vec<FieldError>)> {
        let ir = &policy.ir;
        #[cfg(feature = "jit")]
        let jit = policy.jit.as_deref();
        #[cfg(feature = "jit")]
        let layout = jit.map(|j| &j.layout);
        #[cfg(not(feature = "jit"))]
        let layout: Option<&Layout> = None;
        self.layout = None;
        self.lean = self.lean(ir, policy.id_slot, layout, text, opts).is_ok();
        if !self.lean {
            self.lead = Lead::from_json_str(ir, text, opts)?;
            #[cfg(feature = "jit")]
            if let Some(j) = jit {
                j.fill(policy, &self.lead, &mut self.rec);
                self.layout = Some(j.id);
            }
            return Ok(self.view());
        }
        #[cfg(feature = "jit")]
        if let Some(j) = jit {
            j.fill_derived(policy, &self.lead, &mut self.rec);
            self.layout = Some(j.id);
        }
        Ok(self.view())
    }

    /// Whether the last lead was read in the one pass, without the general
    /// reader (for tests that the fast path is taken).
    #[doc(hidden)]
    pub fn last_read_was_lean(&self) -> bool {
        self.lean
    }

    fn view(&self) -> ReadLead<'_> {
        ReadLead { lead: &self.lead, rec: &self.rec, layout: self.layout }
    }

    /// The one pass: `Err` when the lead is not plainly valid.
    fn lean(&mut self, ir: &PolicyIr, id_slot: Option<usize>, layout: Option<&Layout>, text: &str, opts: LeadOptions) -> Result<(), Fallback> {
        let n = ir.fields.len();
        // An `id` of another type than string is spelled from its JSON text: the general reader does that.
        if id_slot.is_some_and(|s| ir.fields[s].ty != FieldType::String) {
            return Err(Fallback);
        }
        self.lead.values.resize_with(n, || None);
        self.seen.clear();
        self.seen.resize(n.div_ceil(64), 0);
        // Guesses only (each is checked against the key), so any stale ones are harmless.
        self.follow.resize(n + 1, 0);
        let out = match layout {
            Some(l) => {
                let out = self.rec.prepare(l.words());
                l.clear(out);
                Some((l, out))
            }
            None => None,
        };
        let visitor = LeadVisitor { ir, values: &mut self.lead.values, seen: &mut self.seen, follow: &mut self.follow, out, strict: opts.strict };
        let mut de = serde_json::Deserializer::from_str(text);
        de.deserialize_map(visitor).map_err(|_| Fallback)?;
        de.end().map_err(|_| Fallback)?;
        // The fields not given (usually none): each must be optional, and is absent.
        for (w, &seen) in self.seen.iter().enumerate() {
            let all = if (w + 1) * 64 <= n { u64::MAX } else { (1u64 << (n % 64)) - 1 };
            let mut missing = all & !seen;
            while missing != 0 {
                let slot = w * 64 + missing.trailing_zeros() as usize;
                missing &= missing - 1;
                if !ir.fields[slot].optional {
                    return Err(Fallback);
                }
                self.lead.values[slot] = None;
            }
        }
        self.lead.id.clear();
        if let Some(Some(Value::Str(id))) = id_slot.map(|s| &self.lead.values[s]) {
            self.lead.id.push_str(id);
        }
        Ok(())
    }
}

/// The lead object: each key to its slot, each value converted in place.
struct LeadVisitor<'x> {
    ir: &'x PolicyIr,
    values: &'x mut [Option<Value>],
    /// A bit per field slot: given in this lead.
    seen: &'x mut [u64],
    follow: &'x mut [u32],
    out: Option<(&'x Layout, &'x mut [u64])>,
    strict: bool,
}

impl<'de> Visitor<'de> for LeadVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object of lead fields")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        // Keys outside the schema, to refuse one given twice (borrowed; more go the general way).
        let mut outside: [&'de str; 8] = [""; 8];
        let mut n_outside = 0;
        let fields = &self.ir.fields;
        let mut prev = fields.len();
        while let Some(key) = map.next_key_seed(KeySeed { fields, guess: self.follow[prev] as usize })? {
            match key {
                KeyIs::Field(slot) => {
                    self.follow[prev] = slot as u32;
                    prev = slot;
                    let (word, bit) = (&mut self.seen[slot / 64], 1u64 << (slot % 64));
                    if *word & bit != 0 {
                        return Err(A::Error::custom(Fallback));
                    }
                    *word |= bit;
                    let f = &fields[slot];
                    let dst = &mut self.values[slot];
                    map.next_value_seed(FieldSeed { ir: self.ir, ty: &f.ty, optional: f.optional, dst: &mut *dst })?;
                    if let (Some((layout, out)), Some(v)) = (&mut self.out, dst.as_ref()) {
                        layout.put(out, slot as u32, v);
                    }
                }
                KeyIs::Outside(k) => {
                    if self.strict || n_outside == outside.len() || outside[..n_outside].contains(&k) {
                        return Err(A::Error::custom(Fallback));
                    }
                    outside[n_outside] = k;
                    n_outside += 1;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What a key of the lead object names.
enum KeyIs<'de> {
    /// The field in this slot.
    Field(usize),
    /// No field of the schema (borrowed from the text; an escaped one goes the general way).
    Outside(&'de str),
}

/// Finds a key's field slot as the key is parsed, trying `guess` first.
struct KeySeed<'x> {
    fields: &'x [crate::ir::FieldDef],
    guess: usize,
}

impl KeySeed<'_> {
    fn find(&self, k: &str) -> Option<usize> {
        let k = k.as_bytes();
        if self.fields.get(self.guess).is_some_and(|f| same_bytes(f.name.as_bytes(), k)) {
            return Some(self.guess);
        }
        self.fields.iter().position(|f| same_bytes(f.name.as_bytes(), k))
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = KeyIs<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<KeyIs<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = KeyIs<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, k: &'de str) -> Result<KeyIs<'de>, E> {
        Ok(self.find(k).map_or(KeyIs::Outside(k), KeyIs::Field))
    }

    fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<KeyIs<'de>, E> {
        self.find(k).map(KeyIs::Field).ok_or_else(|| E::custom(Fallback))
    }
}

/// Byte equality without a library call for the short strings field names
/// are: two overlapping loads cover 4 to 16 bytes, as packing short constants does.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word8 = |s: &[u8], at: usize| s.get(at..at + 8).map(|w| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]));
    let word4 = |s: &[u8], at: usize| s.get(at..at + 4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        _ => a == b,
    }
}

/// One field's value, converted to the schema's type into `dst` (reusing
/// the string or list already there); anything else is an error.
struct FieldSeed<'x> {
    ir: &'x PolicyIr,
    ty: &'x FieldType,
    optional: bool,
    dst: &'x mut Option<Value>,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl FieldSeed<'_> {
    fn set<E: serde::de::Error>(self, v: Option<Value>) -> Result<(), E> {
        match v {
            Some(v) => {
                // The last lead's number, enum or time in this slot owns
                // nothing: overwritten without a call to drop it.
                if matches!(self.dst, None | Some(Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Time(_) | Value::Enum(_))) {
                    std::mem::forget(self.dst.replace(v));
                } else {
                    *self.dst = Some(v);
                }
                Ok(())
            }
            None => Err(E::custom(Fallback)),
        }
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value of the field's type")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        if !self.optional {
            return Err(E::custom(Fallback));
        }
        *self.dst = None;
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<(), E> {
        let v = matches!(self.ty, FieldType::Bool).then_some(Value::Bool(b));
        self.set(v)
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<(), E> {
        let v = match self.ty {
            FieldType::Int => Some(Value::Int(n)),
            FieldType::Float => Some(Value::Float(n as f64)),
            _ => None,
        };
        self.set(v)
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<(), E> {
        let v = match self.ty {
            // Past i64 a whole number is over 9e15: refused, as the general reader does.
            FieldType::Int => i64::try_from(n).ok().map(Value::Int),
            FieldType::Float => Some(Value::Float(n as f64)),
            _ => None,
        };
        self.set(v)
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<(), E> {
        let v = match self.ty {
            FieldType::Int => (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(Value::Int(f as i64)),
            FieldType::Float => Some(Value::Float(f)),
            _ => None,
        };
        self.set(v)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        let v = match self.ty {
            FieldType::String => {
                if let Some(Value::Str(buf)) = self.dst {
                    buf.clear();
                    buf.push_str(s);
                    return Ok(());
                }
                Some(Value::Str(s.to_string()))
            }
            FieldType::Time => crate::parse_timestamp(s).ok().map(|t| Value::Time(t.as_millisecond())),
            FieldType::Enum(e) => {
                let def = self.ir.enums.get(*e as usize);
                def.and_then(|d| d.variants.iter().position(|v| v == s)).map(|i| Value::Enum(i as u32))
            }
            _ => None,
        };
        self.set(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let FieldType::List(inner) = self.ty else { return Err(A::Error::custom(Fallback)) };
        let mut items = match self.dst.take() {
            Some(Value::List(mut v)) => {
                v.clear();
                v
            }
            _ => Vec::new(),
        };
        loop {
            let mut item = None;
            if seq.next_element_seed(FieldSeed { ir: self.ir, ty: inner, optional: false, dst: &mut item })?.is_none() {
                break;
            }
            // Set by the seed (an item is never null: that is an error above).
            let Some(item) = item else { return Err(A::Error::custom(Fallback)) };
            items.push(item);
        }
        *self.dst = Some(Value::List(items));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn same_bytes_agrees_with_slice_equality() {
        // Every length to past the two-word case, equal, and different in each one byte or in length.
        let base: Vec<u8> = (0u8..24).map(|i| b'a' + i).collect();
        for n in 0..=20 {
            let a = &base[..n];
            assert!(same_bytes(a, a), "{n} bytes equal");
            assert!(!same_bytes(a, &base[..n + 1]), "{n} against {} bytes", n + 1);
            for at in 0..n {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert_eq!(same_bytes(a, &b), a == b.as_slice(), "{n} bytes, byte {at} changed");
            }
        }
    }
}
