//! The meeting form: what was typed (kept exactly, so that a form with a mistake comes back as the
//! person left it), how it becomes a [`Meeting`], and where each error is shown.
//!
//! Field errors are kept against the form's own fields: `kinds`, `held_on`, `att:{member id}` for
//! a row of the roster, `res:{row}` for a vote, `reason`, and the empty name for the form as a
//! whole. Storage names fields by the record's paths (`attendance[3].reason`); [`MeetingInput::target`]
//! translates them.

use std::collections::HashMap;

use chrono::NaiveDate;
use zhibu_core::{
    Attendance, AttendanceState, FieldError, Meeting, MeetingKind, MemberId, OrgId,
    RecordedOutcome, Resolution,
};

use super::i18n::Lang;

/// The kinds a branch records through the form, in the order shown, with their form values.
pub const FORM_KINDS: [(MeetingKind, &str); 7] = [
    (MeetingKind::GeneralMeeting, "general_meeting"),
    (MeetingKind::CommitteeMeeting, "committee_meeting"),
    (MeetingKind::ThemedPartyDay, "themed_party_day"),
    (MeetingKind::PartyLecture, "party_lecture"),
    (MeetingKind::GroupMeeting, "group_meeting"),
    (MeetingKind::OrgLifeMeeting, "org_life_meeting"),
    (MeetingKind::MemberAppraisal, "member_appraisal"),
];

/// Vote rows read from a form; more than anyone records for one sitting.
const MAX_RESOLUTIONS: usize = 20;
/// Vote rows a new form offers; script reveals them one at a time, without script all show.
const BLANK_RESOLUTIONS: usize = 3;

fn kind_value(kind: MeetingKind) -> &'static str {
    FORM_KINDS
        .iter()
        .find(|(candidate, _)| *candidate == kind)
        .map_or("", |(_, value)| value)
}

#[derive(Debug, Clone, Default)]
pub struct ResolutionInput {
    pub subject: String,
    pub yes: String,
    pub no: String,
    pub abstain: String,
    pub outcome: String,
}

impl ResolutionInput {
    fn is_blank(&self) -> bool {
        self.subject.trim().is_empty()
            && [&self.yes, &self.no, &self.abstain]
                .iter()
                .all(|count| count.trim().is_empty() || count.trim() == "0")
    }
}

#[derive(Debug, Clone)]
pub struct AttendanceInput {
    pub member_id: MemberId,
    /// `present`, `excused` or `absent`.
    pub state: String,
    pub reason: String,
}

/// What a meeting form holds, as typed.
#[derive(Debug, Clone, Default)]
pub struct MeetingInput {
    pub kinds: Vec<String>,
    pub group_id: String,
    pub held_on: String,
    pub place: String,
    pub chair_id: String,
    pub recorder_id: String,
    pub topics: String,
    pub minutes: String,
    pub attendance: Vec<AttendanceInput>,
    pub resolutions: Vec<ResolutionInput>,
    /// Only the amendment form has a reason.
    pub reason: String,
}

impl MeetingInput {
    /// A new form: today's date and everyone on the roster present.
    pub fn blank(today: NaiveDate, roster: &[(MemberId, String)]) -> MeetingInput {
        MeetingInput {
            held_on: today.to_string(),
            attendance: roster
                .iter()
                .map(|(member_id, _)| AttendanceInput {
                    member_id: *member_id,
                    state: "present".to_string(),
                    reason: String::new(),
                })
                .collect(),
            ..MeetingInput::default()
        }
    }

    /// The form of an existing meeting, for an amendment. `group` is the party group a group
    /// meeting was recorded under.
    pub fn from_meeting(meeting: &Meeting, group: Option<OrgId>) -> MeetingInput {
        MeetingInput {
            kinds: meeting
                .kinds
                .iter()
                .map(|kind| kind_value(*kind).to_string())
                .collect(),
            group_id: group.map(|group| group.to_string()).unwrap_or_default(),
            held_on: meeting.held_on.to_string(),
            place: meeting.place.clone(),
            chair_id: meeting
                .chair_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            recorder_id: meeting
                .recorder_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            topics: meeting.topics.join("\n"),
            minutes: meeting.minutes.clone(),
            attendance: meeting
                .attendance
                .iter()
                .map(|entry| {
                    let (state, reason) = match &entry.state {
                        AttendanceState::Present => ("present", String::new()),
                        AttendanceState::Excused { reason } => ("excused", reason.clone()),
                        AttendanceState::Absent => ("absent", String::new()),
                    };
                    AttendanceInput {
                        member_id: entry.member_id,
                        state: state.to_string(),
                        reason,
                    }
                })
                .collect(),
            resolutions: meeting
                .resolutions
                .iter()
                .map(|resolution| ResolutionInput {
                    subject: resolution.subject.clone(),
                    yes: resolution.yes.to_string(),
                    no: resolution.no.to_string(),
                    abstain: resolution.abstain.to_string(),
                    outcome: match resolution.recorded_outcome {
                        RecordedOutcome::Passed => "passed".to_string(),
                        RecordedOutcome::Rejected => "rejected".to_string(),
                    },
                })
                .collect(),
            reason: String::new(),
        }
    }

    /// Reads the posted fields. Attendance rows are the `att_{member id}` fields, in the order posted.
    pub fn from_fields(fields: &[(String, String)]) -> MeetingInput {
        let value = |name: &str| super::field(fields, name).to_string();
        let mut input = MeetingInput {
            kinds: fields
                .iter()
                .filter(|(key, _)| key == "kind")
                .map(|(_, value)| value.clone())
                .collect(),
            group_id: value("group_id"),
            held_on: value("held_on"),
            place: value("place"),
            chair_id: value("chair_id"),
            recorder_id: value("recorder_id"),
            topics: value("topics"),
            minutes: value("minutes"),
            reason: value("reason"),
            ..MeetingInput::default()
        };
        for (key, state) in fields {
            if let Some(id) = key
                .strip_prefix("att_")
                .and_then(|id| id.parse::<i64>().ok())
                && !input.attendance.iter().any(|entry| entry.member_id.0 == id)
            {
                input.attendance.push(AttendanceInput {
                    member_id: MemberId(id),
                    state: state.clone(),
                    reason: value(&format!("reason_{id}")),
                });
            }
        }
        input.resolutions = (0..MAX_RESOLUTIONS)
            .map(|row| ResolutionInput {
                subject: value(&format!("res_subject_{row}")),
                yes: value(&format!("res_yes_{row}")),
                no: value(&format!("res_no_{row}")),
                abstain: value(&format!("res_abstain_{row}")),
                outcome: value(&format!("res_outcome_{row}")),
            })
            .collect();
        // Keep rows up to the last one that holds anything, so row numbers stay those typed.
        while input
            .resolutions
            .last()
            .is_some_and(ResolutionInput::is_blank)
        {
            input.resolutions.pop();
        }
        input
    }

    fn is_group_meeting(&self) -> bool {
        self.kinds.iter().any(|kind| kind == "group_meeting")
    }

    /// The meeting this input describes, kept under `branch` (or under the chosen party group for
    /// a group meeting), or every problem that stops it being read.
    pub fn to_meeting(&self, branch: OrgId) -> Result<Meeting, Vec<(String, FieldError)>> {
        let mut errors: Vec<(String, FieldError)> = Vec::new();
        let mut error = |target: &str, field: &str, code: &str, zh: String, en: String| {
            errors.push((target.to_string(), FieldError::new(field, code, zh, en)));
        };
        let mut kinds = Vec::new();
        for value in &self.kinds {
            match FORM_KINDS.iter().find(|(_, candidate)| candidate == value) {
                Some((kind, _)) => kinds.push(*kind),
                None => error(
                    "kinds",
                    "kinds",
                    "unknown_value",
                    format!("没有“{value}”这种会议类型"),
                    format!("there is no kind of meeting `{value}`"),
                ),
            }
        }
        let held_on = match self.held_on.trim() {
            "" => {
                error(
                    "held_on",
                    "held_on",
                    "required",
                    "请填写会议日期".into(),
                    "the date of the meeting is required".into(),
                );
                None
            }
            text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    error(
                        "held_on",
                        "held_on",
                        "invalid_date",
                        "日期无效：须是实际存在的日期，写作YYYY-MM-DD（如2026-03-31）".into(),
                        "not a valid date: write an existing date as YYYY-MM-DD, e.g. 2026-03-31"
                            .into(),
                    );
                    None
                }
            },
        };
        let mut person = |target: &str, text: &str| -> Option<MemberId> {
            match text.trim() {
                "" => None,
                text => match text.parse::<i64>() {
                    Ok(id) => Some(MemberId(id)),
                    Err(_) => {
                        error(
                            target,
                            target,
                            "invalid_value",
                            "请从名单中选择".into(),
                            "choose someone from the list".into(),
                        );
                        None
                    }
                },
            }
        };
        let chair_id = person("chair_id", &self.chair_id);
        let recorder_id = person("recorder_id", &self.recorder_id);
        let org_id = if self.is_group_meeting() {
            match self.group_id.trim().parse::<i64>() {
                Ok(group) => OrgId(group),
                Err(_) => {
                    error(
                        "group_id",
                        "group_id",
                        "required",
                        "党小组会须选择党小组".into(),
                        "a party group meeting needs its party group".into(),
                    );
                    branch
                }
            }
        } else {
            branch
        };
        let mut attendance = Vec::new();
        for entry in &self.attendance {
            let state = match entry.state.as_str() {
                "present" => AttendanceState::Present,
                "absent" => AttendanceState::Absent,
                "excused" => AttendanceState::Excused {
                    reason: entry.reason.trim().to_string(),
                },
                _ => {
                    error(
                        &format!("att:{}", entry.member_id),
                        "attendance",
                        "unknown_value",
                        "请选择实到、请假或缺席".into(),
                        "choose present, excused or absent".into(),
                    );
                    continue;
                }
            };
            attendance.push(Attendance {
                member_id: entry.member_id,
                state,
            });
        }
        let mut resolutions = Vec::new();
        for (row, input) in self.resolutions.iter().enumerate() {
            if input.is_blank() {
                continue;
            }
            let target = format!("res:{row}");
            let mut count = |name: &str, text: &str| -> u32 {
                match text.trim() {
                    "" => 0,
                    text => text.parse::<u32>().unwrap_or_else(|_| {
                        error(
                            &target,
                            name,
                            "not_a_number",
                            "票数须为0或正整数".into(),
                            "a count must be a whole number, 0 or more".into(),
                        );
                        0
                    }),
                }
            };
            let yes = count("yes", &input.yes);
            let no = count("no", &input.no);
            let abstain = count("abstain", &input.abstain);
            let recorded_outcome = if input.outcome == "rejected" {
                RecordedOutcome::Rejected
            } else {
                RecordedOutcome::Passed
            };
            resolutions.push(Resolution {
                subject: input.subject.trim().to_string(),
                yes,
                no,
                abstain,
                recorded_outcome,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(held_on) = held_on else {
            return Err(errors);
        };
        Ok(Meeting {
            org_id,
            kinds,
            held_on,
            place: self.place.trim().to_string(),
            chair_id,
            recorder_id,
            topics: self
                .topics
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_string)
                .collect(),
            minutes: self.minutes.trim().to_string(),
            resolutions,
            attendance,
        })
    }

    /// Where on the form an error about the record's field `path` belongs.
    pub fn target(&self, path: &str) -> String {
        let indexed = |prefix: &str| -> Option<usize> {
            let rest = path.strip_prefix(prefix)?;
            rest.split(']').next()?.parse::<usize>().ok()
        };
        if let Some(index) = indexed("attendance[") {
            // Attendance is built from the posted rows in order, skipping none that parsed, so the
            // index is the row's position among the rows with a known state.
            let rows: Vec<&AttendanceInput> = self
                .attendance
                .iter()
                .filter(|entry| matches!(entry.state.as_str(), "present" | "absent" | "excused"))
                .collect();
            return rows.get(index).map_or_else(
                || "attendance".to_string(),
                |entry| format!("att:{}", entry.member_id),
            );
        }
        if let Some(index) = indexed("resolutions[") {
            let rows: Vec<usize> = self
                .resolutions
                .iter()
                .enumerate()
                .filter(|(_, row)| !row.is_blank())
                .map(|(row, _)| row)
                .collect();
            return rows
                .get(index)
                .map_or_else(String::new, |row| format!("res:{row}"));
        }
        let name = path.split(['[', '.']).next().unwrap_or("");
        match name {
            "kinds" | "held_on" | "place" | "chair_id" | "recorder_id" | "minutes" | "reason"
            | "attendance" => name.to_string(),
            "topics" => "topics".to_string(),
            "org_id" if self.is_group_meeting() => "group_id".to_string(),
            _ => String::new(),
        }
    }
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct RosterRow {
    pub member_id: MemberId,
    pub name: String,
    /// `committee`, `group-{id}`: whom the script lists for a committee or group meeting.
    pub tags: String,
    pub state: String,
    pub reason: String,
    pub has_error: bool,
    pub errors: Vec<String>,
}

pub struct ResolutionRow {
    pub subject: String,
    pub yes: String,
    pub no: String,
    pub abstain: String,
    pub outcome: String,
    /// A spare empty row, hidden by script until asked for.
    pub spare: bool,
    pub has_error: bool,
    pub errors: Vec<String>,
}

/// The form as a template draws it.
pub struct MeetingFormView {
    pub kinds: Vec<Choice>,
    pub groups: Vec<SelectOption>,
    pub held_on: String,
    pub place: String,
    pub chair_options: Vec<SelectOption>,
    pub recorder_options: Vec<SelectOption>,
    pub roster: Vec<RosterRow>,
    pub topics: String,
    pub minutes: String,
    pub resolutions: Vec<ResolutionRow>,
    pub reason: String,
    errors: Vec<(String, String)>,
}

impl MeetingFormView {
    /// `roster` is everyone who may be listed (the branch on the day, and anyone already listed);
    /// `groups` the branch's party groups; `errors` from [`MeetingInput::to_meeting`] or storage.
    pub fn new(
        input: &MeetingInput,
        roster: &[(MemberId, String)],
        groups: &[(OrgId, String)],
        tags: &HashMap<MemberId, String>,
        errors: &[(String, FieldError)],
        lang: Lang,
    ) -> MeetingFormView {
        let errors: Vec<(String, String)> = errors
            .iter()
            .map(|(target, error)| (target.clone(), lang.field_message(error)))
            .collect();
        let for_target = |target: &str| -> Vec<String> {
            errors
                .iter()
                .filter(|(t, _)| t == target)
                .map(|(_, m)| m.clone())
                .collect()
        };
        let names: HashMap<MemberId, &String> =
            roster.iter().map(|(id, name)| (*id, name)).collect();
        let mut rows: Vec<RosterRow> = Vec::new();
        let mut push_row = |member_id: MemberId, state: &str, reason: &str| {
            if rows.iter().any(|row| row.member_id == member_id) {
                return;
            }
            let errors = for_target(&format!("att:{member_id}"));
            rows.push(RosterRow {
                member_id,
                tags: tags.get(&member_id).cloned().unwrap_or_default(),
                name: names
                    .get(&member_id)
                    .map_or_else(|| member_id.to_string(), |name| (*name).clone()),
                state: state.to_string(),
                reason: reason.to_string(),
                has_error: !errors.is_empty(),
                errors,
            });
        };
        for entry in &input.attendance {
            push_row(entry.member_id, &entry.state, &entry.reason);
        }
        for (member_id, _) in roster {
            push_row(*member_id, "present", "");
        }
        let people = |selected: &str| -> Vec<SelectOption> {
            roster
                .iter()
                .map(|(id, name)| SelectOption {
                    value: id.to_string(),
                    label: name.clone(),
                    selected: selected == id.to_string(),
                })
                .collect()
        };
        let mut resolutions: Vec<ResolutionRow> = input
            .resolutions
            .iter()
            .enumerate()
            .map(|(row, resolution)| {
                let errors = for_target(&format!("res:{row}"));
                ResolutionRow {
                    subject: resolution.subject.clone(),
                    yes: resolution.yes.clone(),
                    no: resolution.no.clone(),
                    abstain: resolution.abstain.clone(),
                    outcome: if resolution.outcome.is_empty() {
                        "passed".to_string()
                    } else {
                        resolution.outcome.clone()
                    },
                    spare: false,
                    has_error: !errors.is_empty(),
                    errors,
                }
            })
            .collect();
        let filled = resolutions.len();
        for row in filled..(filled + 1).max(BLANK_RESOLUTIONS) {
            resolutions.push(ResolutionRow {
                subject: String::new(),
                yes: String::new(),
                no: String::new(),
                abstain: String::new(),
                outcome: "passed".to_string(),
                // The first blank row is always shown; the rest wait for "add another vote".
                spare: row > filled,
                has_error: false,
                errors: Vec::new(),
            });
        }
        let show_groups = !groups.is_empty();
        MeetingFormView {
            kinds: FORM_KINDS
                .iter()
                .filter(|(kind, _)| {
                    show_groups
                        || *kind != MeetingKind::GroupMeeting
                        || input.kinds.iter().any(|k| k == "group_meeting")
                })
                .map(|(kind, value)| Choice {
                    value,
                    label: lang.meeting_kind(*kind),
                    checked: input.kinds.iter().any(|k| k == value),
                })
                .collect(),
            groups: groups
                .iter()
                .map(|(id, name)| SelectOption {
                    value: id.to_string(),
                    label: name.clone(),
                    selected: input.group_id == id.to_string(),
                })
                .collect(),
            held_on: input.held_on.clone(),
            place: input.place.clone(),
            chair_options: people(&input.chair_id),
            recorder_options: people(&input.recorder_id),
            roster: rows,
            topics: input.topics.clone(),
            minutes: input.minutes.clone(),
            resolutions,
            reason: input.reason.clone(),
            errors,
        }
    }

    pub fn has_error(&self, target: &str) -> bool {
        self.errors.iter().any(|(t, _)| t == target)
    }

    pub fn errors_for(&self, target: &str) -> Vec<String> {
        self.errors
            .iter()
            .filter(|(t, _)| t == target)
            .map(|(_, message)| message.clone())
            .collect()
    }

    pub fn has_any_error(&self) -> bool {
        !self.errors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn a_posted_form_becomes_a_meeting() {
        let input = MeetingInput::from_fields(&fields(&[
            ("kind", "committee_meeting"),
            ("kind", "themed_party_day"),
            ("held_on", "2026-06-10"),
            ("place", "三楼会议室"),
            ("chair_id", "11"),
            ("att_11", "present"),
            ("att_12", "excused"),
            ("reason_12", "出差"),
            ("att_13", "absent"),
            ("topics", "学习\n\n部署工作\n"),
            ("res_subject_0", "接收预备党员"),
            ("res_yes_0", "1"),
            ("res_outcome_0", "passed"),
        ]));
        let meeting = input.to_meeting(OrgId(5)).expect("a valid form");
        assert_eq!(
            meeting.kinds,
            [MeetingKind::CommitteeMeeting, MeetingKind::ThemedPartyDay]
        );
        assert_eq!(meeting.org_id, OrgId(5));
        assert_eq!(meeting.chair_id, Some(MemberId(11)));
        assert_eq!(meeting.topics, ["学习", "部署工作"]);
        assert_eq!(
            meeting.attendance[1].state,
            AttendanceState::Excused {
                reason: "出差".into()
            }
        );
        assert_eq!(meeting.resolutions.len(), 1);
    }

    #[test]
    fn mistakes_are_reported_against_the_fields_typed() {
        let input = MeetingInput::from_fields(&fields(&[
            ("kind", "group_meeting"),
            ("held_on", "2026-02-30"),
            ("res_subject_1", "表决"),
            ("res_yes_1", "三"),
        ]));
        let errors = input.to_meeting(OrgId(5)).expect_err("refused");
        let targets: Vec<&str> = errors.iter().map(|(target, _)| target.as_str()).collect();
        assert_eq!(targets, ["held_on", "group_id", "res:1"]);
    }

    #[test]
    fn storage_paths_map_to_the_rows_they_came_from() {
        let input = MeetingInput::from_fields(&fields(&[
            ("att_11", "present"),
            ("att_12", "excused"),
            ("res_subject_2", "表决"),
        ]));
        assert_eq!(input.target("attendance[1].reason"), "att:12");
        assert_eq!(input.target("resolutions[0].yes"), "res:2");
        assert_eq!(input.target("held_on"), "held_on");
        assert_eq!(input.target("something_else"), "");
    }
}
