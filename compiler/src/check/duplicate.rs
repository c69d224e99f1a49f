//! Checks of the duplicate-lead handler (`on duplicate(within D[, by FIELD]) -> ...`):
//! one per policy, a window that is positive and bounded, a key field that
//! exists and holds text, and an action checked like a rule's.

use super::flow::{action, unknown_field, Place, Refs};
use super::symbols::{Symbols, Ty};
use super::types::{Env, TypeChecker};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;

/// The longest window a duplicate handler may look back: ten years.
pub const MAX_WINDOW_MS: i64 = 3650 * 86_400_000;

/// The field a duplicate handler keys on when it names none.
pub const DEFAULT_KEY: &str = "email";

/// Checks every `on duplicate(...)` handler.
pub fn handlers(syms: &Symbols, tc: &mut TypeChecker, refs: &mut Refs) {
    let first = syms.duplicates.first();
    for h in &syms.duplicates {
        if let Some(first) = first.filter(|f| f.span != h.span) {
            tc.diags.push(
                Diagnostic::new(Code::E0070, h.event, "duplicate leads are handled twice")
                    .label("second handler")
                    .with_secondary(first.event, "first handler here")
                    .help("keep one `on duplicate(...)` per policy"),
            );
        }
        // Zero is already a syntax error (E0003): a window is longer than nothing.
        if h.within.value > MAX_WINDOW_MS {
            tc.diags.push(
                Diagnostic::new(Code::E0070, h.within.span, "the duplicate window is longer than ten years")
                    .label("at most 3650d")
                    .help("look back a shorter time, like `within 30d`"),
            );
        }
        match &h.by {
            Some(field) => match syms.fields.get(&field.name) {
                None => tc.diags.push(unknown_field(field, syms)),
                Some(f) if !matches!(f.ty, Ty::Str) => tc.diags.push(
                    Diagnostic::new(Code::E0070, field.span, format!("the duplicate key `{}` is not a string field (it holds `{}`)", field.name, f.ty.name()))
                        .label("a duplicate key must be a string field")
                        .with_secondary(f.decl.span, "declared here")
                        .help("key on a string field such as `by company_domain`"),
                ),
                Some(_) => {}
            },
            None => match syms.fields.get(DEFAULT_KEY) {
                Some(f) if matches!(f.ty, Ty::Str) => {}
                Some(f) => tc.diags.push(
                    Diagnostic::new(Code::E0070, h.event, format!("the default duplicate key `email` is not a string field (it holds `{}`)", f.ty.name()))
                        .label("keys on `email` by default")
                        .with_secondary(f.decl.span, "declared here")
                        .help("name a string field to match leads on: `duplicate(within 30d, by company_domain)`"),
                ),
                None => tc.diags.push(
                    Diagnostic::new(Code::E0070, h.event, "the schema has no `email` field to match duplicate leads on")
                        .label("keys on `email` by default")
                        .help("name a string field to match leads on: `duplicate(within 30d, by company_domain)`"),
                ),
            },
        }
        action(&h.action, &Env::default(), syms, tc, refs, Place::Duplicate);
    }
}
