//! Leads: JSON objects validated against the policy's schema into field slots.

use serde::Serialize;

use crate::ir::{FieldType, PolicyIr, Value};

/// A validated lead: one optional value per schema field.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// The lead's `id`.
    pub id: String,
    /// Values by field slot; `None` for an absent optional field.
    pub values: Vec<Option<Value>>,
}

/// Why one field of a lead was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field (empty for problems with the whole lead).
    pub field: String,
    /// What the schema wants.
    pub expected: String,
    /// What the lead had (JSON, shortened).
    pub found: String,
    /// One line saying what is wrong.
    pub message: String,
}

/// Validation options.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadOptions {
    /// Reject fields the schema does not know.
    pub strict: bool,
}

fn type_name(ir: &PolicyIr, ty: &FieldType) -> String {
    match ty {
        FieldType::String => "string".into(),
        FieldType::Int => "int".into(),
        FieldType::Float => "float".into(),
        FieldType::Bool => "bool".into(),
        FieldType::Time => "time (RFC 3339)".into(),
        FieldType::Enum(e) => {
            let def = &ir.enums[*e as usize];
            format!("{} (one of {})", def.name, def.variants.join(", "))
        }
        FieldType::List(t) => format!("list<{}>", type_name(ir, t)),
    }
}

fn shorten(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

/// Parses an RFC 3339 time into milliseconds since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

fn convert(ir: &PolicyIr, ty: &FieldType, v: &serde_json::Value) -> Result<Value, String> {
    use serde_json::Value as J;
    match (ty, v) {
        (FieldType::String, J::String(s)) => Ok(Value::Str(s.clone())),
        (FieldType::Int, J::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Value::Int(i)),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::Int(f as i64)),
                _ => Err("a whole number that fits in 64 bits".into()),
            },
        },
        (FieldType::Float, J::Number(n)) => n.as_f64().map(Value::Float).ok_or_else(|| "a finite number".into()),
        (FieldType::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (FieldType::Time, J::String(s)) => {
            crate::parse_timestamp(s).map(|t| Value::Time(t.as_millisecond())).map_err(|e| match e {
                crate::TimeError::OutOfRange { .. } => format!("out of range: {}", crate::error::time_range()),
                _ => "an RFC 3339 time like \"2026-11-24T15:00:00Z\"".into(),
            })
        }
        (FieldType::Enum(e), J::String(s)) => {
            let def = &ir.enums[*e as usize];
            def.variants.iter().position(|v| v == s).map(|i| Value::Enum(i as u32)).ok_or_else(|| {
                format!("one of {}", def.variants.join(", "))
            })
        }
        (FieldType::List(inner), J::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(ir, inner, item).map_err(|e| format!("item {i}: {e}"))?);
            }
            Ok(Value::List(out))
        }
        _ => Err(String::new()),
    }
}

/// Converts one field's JSON value, recording an error when it does not fit.
fn check_field(ir: &PolicyIr, f: &crate::ir::FieldDef, v: Option<&serde_json::Value>, errors: &mut Vec<FieldError>) -> Option<Value> {
    match v {
        None | Some(serde_json::Value::Null) if f.optional => None,
        None => {
            errors.push(FieldError {
                field: f.name.clone(),
                expected: type_name(ir, &f.ty),
                found: "nothing".into(),
                message: format!("required field `{}` is missing", f.name),
            });
            None
        }
        Some(v) => match convert(ir, &f.ty, v) {
            Ok(value) => Some(value),
            Err(detail) => {
                let expected = type_name(ir, &f.ty);
                let message = if v.is_null() {
                    format!("required field `{}` is null", f.name)
                } else if detail.is_empty() {
                    format!("`{}` must be {}, not {}", f.name, expected, shorten(v))
                } else {
                    format!("`{}` must be {}: {}", f.name, expected, detail)
                };
                errors.push(FieldError { field: f.name.clone(), expected, found: shorten(v), message });
                None
            }
        },
    }
}

fn unknown_field(k: &str, v: &serde_json::Value) -> FieldError {
    FieldError {
        field: k.to_string(),
        expected: "no such field".into(),
        found: shorten(v),
        message: format!("`{k}` is not a field of the schema (strict mode)"),
    }
}

impl Lead {
    /// Validates a JSON lead. Every problem is reported, one per field.
    pub fn from_json(ir: &PolicyIr, json: &serde_json::Value, opts: LeadOptions) -> Result<Lead, Vec<FieldError>> {
        let Some(obj) = json.as_object() else {
            return Err(vec![FieldError {
                field: String::new(),
                expected: "a JSON object".into(),
                found: shorten(json),
                message: "a lead must be a JSON object of fields".into(),
            }]);
        };
        let mut errors = Vec::new();
        let mut values = Vec::with_capacity(ir.fields.len());
        for f in &ir.fields {
            values.push(check_field(ir, f, obj.get(&f.name), &mut errors));
        }
        if opts.strict {
            let mut unknown: Vec<&String> = obj.keys().filter(|k| !ir.fields.iter().any(|f| &f.name == *k)).collect();
            unknown.sort();
            for k in unknown {
                errors.push(unknown_field(k, &obj[k]));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let id = obj.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        Ok(Lead { id, values })
    }

    /// The lead id from raw JSON, for rejected leads (may be empty).
    pub fn id_of(json: &serde_json::Value) -> String {
        match json.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) if !other.is_null() => other.to_string(),
            _ => String::new(),
        }
    }
}

/// A map key that borrows from the input when it can.
pub(crate) struct Key<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The raw fields of one lead object, by slot, read straight from JSON text.
struct Raw {
    slots: Vec<Option<serde_json::Value>>,
    unknown: Vec<(String, serde_json::Value)>,
    /// Keys written more than once, in the order their repeats appear.
    duplicates: Vec<String>,
}

/// The error for a key written more than once in a lead's text (the text
/// reader's, and the service's when [`first_duplicate_key`] finds one).
pub fn duplicate_key(k: &str) -> FieldError {
    FieldError {
        field: k.to_string(),
        expected: "each key once".into(),
        found: "the key more than once".into(),
        message: format!("`{k}` appears more than once in the lead; give each field once"),
    }
}

/// The first key of a JSON object's text that is written more than once
/// (top level only); `None` when every key is unique or `text` is not an
/// object. Parsed JSON values cannot show this: their maps keep one value.
pub fn first_duplicate_key(text: &str) -> Option<String> {
    struct Keys;
    impl<'de> serde::de::Visitor<'de> for Keys {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
            let mut seen = std::collections::HashSet::new();
            let mut first = None;
            while let Some(Key(k)) = map.next_key::<Key>()? {
                map.next_value::<serde::de::IgnoredAny>()?;
                if first.is_none() && !seen.insert(k.clone()) {
                    first = Some(k.into_owned());
                }
            }
            Ok(first)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde::Deserializer::deserialize_map(&mut de, Keys).ok().flatten()
}

struct RawSeed<'a> {
    ir: &'a PolicyIr,
    keep_unknown: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for RawSeed<'_> {
    type Value = Raw;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RawSeed<'_> {
    type Value = Raw;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object of lead fields")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut raw = Raw { slots: vec![None; self.ir.fields.len()], unknown: Vec::new(), duplicates: Vec::new() };
        // Keys outside the schema (kept or skipped), to notice them repeated.
        let mut outside = std::collections::HashSet::new();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            match self.ir.fields.iter().position(|f| f.name == k) {
                Some(slot) => {
                    if raw.slots[slot].is_some() {
                        raw.duplicates.push(k.to_string());
                    }
                    raw.slots[slot] = Some(map.next_value()?);
                }
                None => {
                    if !outside.insert(k.to_string()) {
                        raw.duplicates.push(k.to_string());
                    }
                    if self.keep_unknown {
                        raw.unknown.push((k.into_owned(), map.next_value()?));
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
            }
        }
        Ok(raw)
    }
}

impl Lead {
    /// Validates a lead given as JSON text (one line of a lead file) without
    /// building a JSON object first. On failure: the lead id if one was
    /// readable, and the errors.
    pub fn from_json_str(ir: &PolicyIr, text: &str, opts: LeadOptions) -> Result<Lead, (String, Vec<FieldError>)> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(text);
        let raw = RawSeed { ir, keep_unknown: opts.strict }.deserialize(&mut de).and_then(|r| de.end().map(|_| r));
        let raw = match raw {
            Ok(r) => r,
            Err(e) => {
                // Not an object, or not JSON: say which, via the general path when it parses.
                return match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(v) => Lead::from_json(ir, &v, opts).map_err(|errs| (Lead::id_of(&v), errs)),
                    Err(_) => Err((
                        String::new(),
                        vec![FieldError {
                            field: String::new(),
                            expected: "a JSON object".into(),
                            found: shorten(&serde_json::Value::String(text.chars().take(60).collect())),
                            message: format!("not valid JSON: {e}"),
                        }],
                    )),
                };
            }
        };
        // A key written twice is refused: readers disagree on which value wins.
        let mut errors = Vec::new();
        let mut duplicates = raw.duplicates;
        duplicates.sort();
        duplicates.dedup();
        errors.extend(duplicates.iter().map(|k| duplicate_key(k)));
        let mut values = Vec::with_capacity(ir.fields.len());
        for (f, v) in ir.fields.iter().zip(&raw.slots) {
            values.push(check_field(ir, f, v.as_ref(), &mut errors));
        }
        // Sorted by name (a repeated key is already an error above).
        let unknown: std::collections::BTreeMap<String, serde_json::Value> = raw.unknown.into_iter().collect();
        for (k, v) in &unknown {
            errors.push(unknown_field(k, v));
        }
        let id = match values.iter().zip(&ir.fields).find(|(_, f)| f.name == "id") {
            Some((Some(Value::Str(s)), _)) => s.clone(),
            _ => raw.slots.iter().zip(&ir.fields).find(|(_, f)| f.name == "id").and_then(|(v, _)| v.as_ref()).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            }).unwrap_or_default(),
        };
        if errors.is_empty() {
            Ok(Lead { id, values })
        } else {
            Err((id, errors))
        }
    }
}
