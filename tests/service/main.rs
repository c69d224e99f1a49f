//! The routing service, tested as users run it: the real `leadroute serve`
//! process over loopback, on a real SQLite file and a real PostgreSQL.

mod browser;
mod harness;

mod bad_input;
mod crash;
mod delivery;
mod duplicates;
mod idempotency;
mod load;
mod nodes;
mod rollout;
mod operations;
mod switch;
mod work_items;
mod workbench;
