//! Syntax: the grammar, the declaration splitter, the syntax tree and the parser.

pub mod ast;
pub mod grammar;
pub mod parse;
pub mod split;

pub use parse::parse_file;
