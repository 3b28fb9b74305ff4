//! A member's statement of their case (申辩) on a record that concerns them: a meeting they were
//! listed at, a talk they took part in, or their own member record. The statement is a versioned
//! record of its own, so it never alters the record it is about; it is shown beside that record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{MemberId, OrgId, Record, RecordKind};
use crate::ValidationErrors;

/// The longest statement accepted, in characters: a page of text is enough to state a case, and
/// a bound keeps a mistaken paste from filling pages.
pub const STATEMENT_MAX_CHARS: usize = 4000;

/// Which record a statement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementSubject {
    pub kind: RecordKind,
    pub id: i64,
}

impl StatementSubject {
    /// The kinds of record a member can state their case on.
    pub const KINDS: [RecordKind; 3] = [RecordKind::Meeting, RecordKind::Talk, RecordKind::Member];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    /// The member stating their case; storage checks that the record concerns them.
    pub member_id: MemberId,
    pub about: StatementSubject,
    pub text: String,
    pub stated_on: NaiveDate,
}

impl Record for Statement {
    const KIND: RecordKind = RecordKind::Statement;
    type Id = super::StatementId;

    // A statement has no org of its own: storage files it under the org path of the record it is
    // about, so it is seen exactly where that record is.
    fn scope_org(&self) -> Option<OrgId> {
        None
    }

    fn event_date(&self) -> NaiveDate {
        self.stated_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.text.trim().is_empty() {
            errors.add(
                "text",
                "required",
                "请填写陈述内容",
                "write what you want to state",
            );
        }
        let length = self.text.chars().count();
        if length > STATEMENT_MAX_CHARS {
            errors.add(
                "text",
                "too_long",
                format!("陈述不能超过{STATEMENT_MAX_CHARS}字（现为{length}字）"),
                format!("a statement has at most {STATEMENT_MAX_CHARS} characters (this one has {length})"),
            );
        }
        if !StatementSubject::KINDS.contains(&self.about.kind) {
            errors.add(
                "about.kind",
                "not_statable",
                "只能就会议、谈心谈话或本人党员记录作出陈述",
                "a statement can be made on a meeting, a talk or one's own member record",
            );
        }
        errors.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(kind: RecordKind, text: &str) -> Statement {
        Statement {
            member_id: MemberId(7),
            about: StatementSubject { kind, id: 3 },
            text: text.to_string(),
            stated_on: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
        }
    }

    #[test]
    fn a_statement_needs_text_and_a_record_it_can_be_about() {
        let table = [
            (RecordKind::Meeting, "我当天出差，已事先请假", None),
            (RecordKind::Talk, "   ", Some("required")),
            (RecordKind::Exemption, "理由", Some("not_statable")),
            (
                RecordKind::Member,
                &"长".repeat(STATEMENT_MAX_CHARS + 1),
                Some("too_long"),
            ),
        ];
        for (kind, text, code) in table {
            let result = statement(kind, text).validate();
            match code {
                None => assert!(result.is_ok(), "{kind:?}: {result:?}"),
                Some(code) => {
                    let errors = result.expect_err("refused");
                    assert!(
                        errors.errors.iter().any(|error| error.code == code),
                        "{kind:?}: {errors}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_statement_reads_back_what_it_writes() {
        let original = statement(RecordKind::Meeting, "我当天出差");
        let text = serde_json::to_string(&original).expect("serialize");
        assert_eq!(
            serde_json::from_str::<Statement>(&text).expect("read back"),
            original
        );
    }
}
