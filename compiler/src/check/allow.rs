//! `allow CODE "reason"`: a warning the policy's author intends, on the
//! declaration that follows the line, with the reason kept in the source.
//! Applied to the finished diagnostics, so it covers every analysis.

use crate::codes::{Code, Severity};
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::{Decl, Module};

/// Drops each warning an `allow` line names whose primary or secondary
/// label lies in the declaration after that line; reports `allow` lines
/// that name no warning (E0038) or silence nothing (W0009).
pub fn apply(modules: &[Module], diags: &mut Vec<Diagnostic>) {
    let mut found = Vec::new();
    for m in modules {
        for (i, decl) in m.iter().enumerate() {
            let Decl::Allow(a) = decl else { continue };
            let code = Code::parse(&a.code.name);
            let target = m.iter().skip(i + 1).find(|d| !matches!(d, Decl::Allow(_))).map(Decl::span);
            let problem = match (code, target) {
                (Some(c), _) if c.severity() == Severity::Error => Some(format!("`{}` is an error; only warnings can be allowed", a.code.name)),
                (None, _) => Some(format!("`{}` is not a warning code", a.code.name)),
                (_, None) => Some("nothing follows this `allow`".to_string()),
                _ if a.reason.value.trim().is_empty() => Some("an `allow` needs its reason".to_string()),
                _ => None,
            };
            if let Some(message) = problem {
                found.push(
                    Diagnostic::new(Code::E0038, a.span, message)
                        .label("not applied")
                        .help("write `allow W0008 \"why the overlap is intended\"` on the line before the declaration"),
                );
                continue;
            }
            if let (Some(code), Some(target)) = (code, target) {
                let within = |s: Span| s.file == target.file && target.start <= s.start && s.end <= target.end;
                let before = diags.len();
                diags.retain(|d| !(d.code == code && d.primary.iter().chain(&d.secondary).any(|l| within(l.span))));
                if diags.len() == before {
                    found.push(
                        Diagnostic::new(Code::W0009, a.code.span, format!("`allow {}` silences nothing here", a.code.name))
                            .label(format!("no {} points at the next declaration", a.code.name))
                            .help("the warning is gone: remove this line, so that it cannot hide a new one"),
                    );
                }
            }
        }
    }
    diags.extend(found);
}
