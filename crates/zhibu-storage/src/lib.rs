//! Storage for Zhibu: every record is kept with its whole history.
//!
//! - [`Backend`] and [`Transaction`] are the primitives each database implements with its own SQL
//!   (crates `zhibu-storage-sqlite` and `zhibu-storage-postgres`, each owning its migrations).
//! - [`Repository`] is written once on top of them: it validates records (on their own and against
//!   the records around them), versions every change, hash-chains the versions, loads the engine's
//!   snapshot and verifies the chain.
//! - [`AccountStore`] keeps accounts, sessions and the audit log, outside the chain; each
//!   backend implements it too and hands it out from [`Backend::accounts`].
//! - [`testsuite`] is the behavioural suite both implementations must pass.
//!
//! Architecture invariant: a record is never overwritten. Every create, amendment and deletion
//! appends a version (who, when, why) to one hash chain; the current row is a projection of the
//! latest version, and `verify` proves the two agree.

mod accounts;
// Lesser sanctions and the resolution to admit, on both databases (issue 5, B2).
pub mod admission_suite;
mod backend;
pub mod ballot_suite;
mod context;
// Dues records checked in the write transaction, on both databases (issue 4).
pub mod dues_suite;
mod error;
// Calendar feed tokens (issue 7, migration 6).
pub mod feeds;
mod hashing;
mod imports;
pub mod notify;
pub mod recheck;
// The bulk rollback of an import equals one-by-one deletions, on both databases (issue 4).
mod repository;
pub mod rollback_suite;
pub mod sealing;
pub mod sealing_suite;
pub mod stored;
pub mod testsuite;
mod verify;

pub use accounts::*;
pub use backend::*;
// Callers that are generic over record types (the web layer's handlers) need to name the bound
// that `Repository::create` and `amend` put on them.
pub use context::ContextCheck;
pub use error::StorageError;
pub use feeds::{CalendarFeedRow, CalendarFeedStore, NewCalendarFeed, calendar_feed_store};
pub use hashing::{GENESIS_HASH, version_hash};
pub use imports::{ChangedSince, ImportBatch, ImportProgress, NewImport, Provenance};
pub use notify::NotificationStore;
pub use repository::*;
pub use stored::{
    FindingCount, FindingFilter, FindingStore, FindingsKeeper, FindingsState, KeptFindings,
    Replace, StatusFilter, StoredFinding,
};
pub use verify::*;
