//! The Route language front-end: sources, parser, checker, analyses and
//! diagnostics. The command line and the language server both drive it
//! through [`check_paths`] / [`check::check`]; it never touches the file
//! system except through a [`source::SourceProvider`].

pub mod analysis;
pub mod check;
pub mod codes;
pub mod diagnostic;
pub mod diff;
pub mod fmt;
pub mod lower;
pub mod render;
pub mod source;
pub mod syntax;

pub use check::{check, Checked};
pub use codes::{Code, Severity};
pub use diagnostic::{Diagnostic, Label};
pub use source::{FileId, SourceFile, SourceProvider, SourceSet, Span};

/// Loads the files at `paths` through `provider` and checks them as one policy.
/// Files that cannot be read are reported as E0050 diagnostics (without a
/// place) and left out; the rest is still checked.
pub fn check_paths(provider: &dyn SourceProvider, paths: &[std::path::PathBuf]) -> (SourceSet, Checked) {
    let (mut sources, load_errors) = source::load(provider, paths);
    check::tables::attach(provider, &mut sources);
    let mut checked = check(&sources);
    if let Some(separate) = separate_policies(&sources, &checked) {
        // Checked as one, separate policies only clash: say so once instead.
        checked.diagnostics = vec![separate];
    }
    if !load_errors.is_empty() {
        // An unreadable file makes "empty policy" noise; the load error says it all.
        if sources.is_empty() {
            checked.diagnostics.clear();
        }
        checked.diagnostics.splice(0..0, load_errors.iter().map(source::LoadError::to_diagnostic));
    }
    (sources, checked)
}

/// Checks sources already in memory as one policy, reading the CSV file of
/// every table they declare through `provider` first (each path relative to
/// the name of the file that declares it, as on disk). What embedders and
/// tests use when they hold the `.route` text but not the tables.
pub fn check_with_tables(provider: &dyn SourceProvider, sources: &mut SourceSet) -> Checked {
    check::tables::attach(provider, sources);
    check(sources)
}

/// E0052 when more than one of the files has its own `policy` header: they
/// are separate policies (check them with `check --each`), not one.
fn separate_policies(sources: &SourceSet, checked: &Checked) -> Option<Diagnostic> {
    let headers: Vec<&syntax::ast::PolicyDecl> = checked
        .modules
        .iter()
        .filter_map(|m| m.iter().find_map(|d| if let syntax::ast::Decl::Policy(p) = d { Some(p) } else { None }))
        .collect();
    let [first, second, ..] = headers.as_slice() else { return None };
    let name = |p: &syntax::ast::PolicyDecl| sources.get(p.name.span.file).name.clone();
    let mut d = Diagnostic::new(
        Code::E0052,
        second.name.span,
        format!("{} of the {} files are separate policies, each with its own `policy` header", headers.len(), sources.len()),
    )
    .label(format!("policy `{}` in `{}`", second.name.name, name(second)))
    .with_secondary(first.name.span, format!("policy `{}` in `{}`", first.name.name, name(first)));
    for other in &headers[2..] {
        d = d.with_secondary(other.name.span, format!("policy `{}`", other.name.name));
    }
    Some(d.help("check each file as a policy of its own with `leadroute check --each`, or keep one `policy` header for files that form one policy"))
}
