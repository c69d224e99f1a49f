//! Analyses over checked conditions: the predicate model and what is built on it.

pub mod breach;
pub mod budget;
pub mod index;
pub mod overlap;
pub mod predicate;
pub mod reach;
pub mod values;
pub mod witness;
