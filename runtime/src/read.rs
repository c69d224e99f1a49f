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
use crate::lead::{FieldError, Key, Lead, LeadOptions};
use crate::policy::Policy;

/// Reads leads from JSON text into buffers reused from one lead to the next.
#[derive(Debug)]
pub struct LeadReader {
    lead: Lead,
    rec: Record,
    /// Per field slot: given in the lead being read.
    seen: Vec<bool>,
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
        self.seen.resize(n, false);
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
        for (slot, f) in ir.fields.iter().enumerate() {
            if !self.seen[slot] {
                if !f.optional {
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
    seen: &'x mut [bool],
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
        while let Some(Key(k)) = map.next_key::<Key>()? {
            let guess = self.follow[prev] as usize;
            let found = if fields.get(guess).is_some_and(|f| f.name == k) { Some(guess) } else { fields.iter().position(|f| f.name == k) };
            match found {
                Some(slot) => {
                    self.follow[prev] = slot as u32;
                    prev = slot;
                    if std::mem::replace(&mut self.seen[slot], true) {
                        return Err(A::Error::custom(Fallback));
                    }
                    let f = &self.ir.fields[slot];
                    let dst = &mut self.values[slot];
                    map.next_value_seed(FieldSeed { ir: self.ir, ty: &f.ty, optional: f.optional, dst: &mut *dst })?;
                    if let (Some((layout, out)), Some(v)) = (&mut self.out, dst.as_ref()) {
                        layout.put(out, slot as u32, v);
                    }
                }
                None => {
                    let std::borrow::Cow::Borrowed(k) = k else { return Err(A::Error::custom(Fallback)) };
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
                *self.dst = Some(v);
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
