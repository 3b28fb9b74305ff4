//! Field-level validation errors, bilingual, collected rather than returned one at a time so that a
//! form or an API client learns every problem in one round trip.

use serde::{Deserialize, Serialize};

/// One problem with one field of an input. `field` is a path such as `attendance[3].member_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    /// A stable machine-readable code, e.g. `not_a_member_of_branch`.
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: &str,
        message_zh: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_string(),
            message_zh: message_zh.into(),
            message_en: message_en.into(),
        }
    }
}

/// Every problem found in one input. An empty list means the input is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(error: FieldError) -> Self {
        ValidationErrors {
            errors: vec![error],
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    pub fn add(
        &mut self,
        field: impl Into<String>,
        code: &str,
        message_zh: impl Into<String>,
        message_en: impl Into<String>,
    ) {
        self.errors
            .push(FieldError::new(field, code, message_zh, message_en));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Prefixes every field path, for nested inputs (`resolutions[0].` + `yes`).
    pub fn extend_prefixed(&mut self, prefix: &str, other: ValidationErrors) {
        for mut error in other.errors {
            error.field = format!("{prefix}{}", error.field);
            self.errors.push(error);
        }
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}: {} / {}",
                error.field, error.message_zh, error.message_en
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
