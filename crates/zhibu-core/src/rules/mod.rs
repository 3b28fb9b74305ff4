//! The rule catalogue, kept as data: one TOML file per rule under `rules/` at the repository root,
//! embedded in the binary at build time, plus local rules that upper organizations add or tighten
//! for their subtree (stored as records).
//!
//! Each rule names the check it uses (a family of evaluators in `crate::engine`) and carries, per
//! version, the parameters of that check. Parameters are typed: an unknown or ill-typed parameter
//! is an error naming the rule, the version and the field, never silently ignored.

mod catalogue;
mod local;
mod parameters;

pub use catalogue::*;
pub use local::*;
pub use parameters::*;
