//! Zhibu's pure core: the domain records, the rule catalogue kept as data, and the compliance
//! engine that evaluates the one against the other.
//!
//! Architecture invariant: nothing in this crate does IO. It never reads the clock, a file or a
//! database; callers pass "today" and the records in. That is what makes every rule testable as a
//! table of dates and counts.

pub mod admission;
pub mod calendar;
pub mod continuity;
pub mod domain;
pub mod dues;
pub mod engine;
pub mod ical;
pub mod identity;
pub mod money;
pub mod regularity;
pub mod reminders;
pub mod rules;
pub mod validation;
pub mod vote_records;
pub mod voting;
pub mod workdays;

pub use domain::*;
pub use validation::{FieldError, ValidationErrors};
