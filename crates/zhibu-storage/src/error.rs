use zhibu_core::{RecordKind, ValidationErrors};

/// Everything that can go wrong in storage. Not-found, conflicts and invalid input are their own
/// variants so that the web layer can answer 404, 409 and 422; database faults keep their cause for
/// the log and are never shown to a user as if they were something else.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{kind:?} {id} not found")]
    NotFound { kind: RecordKind, id: i64 },

    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),

    /// Someone else changed the record since the caller read it (a stale edit).
    #[error("record {id} is at version {actual}, not {expected}")]
    StaleVersion { id: i64, expected: i32, actual: i32 },

    /// The record was deleted; it can be read in its history but not changed.
    #[error("record {id} was deleted")]
    Deleted { id: i64 },

    /// A stored row could not be decoded: a defect or tampering, never "not found".
    #[error("record {id} cannot be decoded: {message}")]
    Corrupt { id: i64, message: String },

    #[error("the database URL is not usable: {0}")]
    BadUrl(String),

    /// Personal data could not be sealed or opened: no key, the wrong key, or an altered value.
    #[error("{0}")]
    Sealing(#[from] crate::sealing::SealingError),

    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StorageError {
    pub fn database(error: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        StorageError::Database(Box::new(error))
    }
}

impl From<ValidationErrors> for StorageError {
    fn from(errors: ValidationErrors) -> Self {
        StorageError::Invalid(errors)
    }
}
