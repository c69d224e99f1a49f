//! Syntax: the grammar, the declaration splitter, the syntax tree and the parser.

pub mod ast;
mod enum_fast;
pub mod grammar;
mod mistakes;
pub mod parse;
mod parse_sched;
pub mod rebase;
mod route_rules;
pub mod split;
#[cfg(test)]
mod random_edits;

pub use parse::{parse_file, parse_file_cached};
pub use rebase::{Moves, ParseCache, PLACE_IN_PARALLEL};
