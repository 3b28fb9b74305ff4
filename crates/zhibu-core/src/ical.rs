//! iCalendar feeds (RFC 5545) of a branch's or a member's obligations, for phone and desktop
//! calendar apps to subscribe to.
//!
//! The writer is hand-written: the format needs four things done right, and a dependency would cost
//! more build time than they do.
//! - TEXT values escape `\`, `;`, `,` and line breaks (RFC 5545 §3.3.11); other control characters
//!   are not allowed in TEXT and are dropped.
//! - Content lines longer than 75 octets are folded: a CRLF and one space, never inside a UTF-8
//!   character and never between a backslash and the character it escapes (§3.1).
//! - Every line ends in CRLF.
//! - `DTSTAMP` is the instant the caller passes in: the core never reads the clock.
//!
//! Obligations are all-day events (`DATE` values), because a duty is due on a calendar day in China,
//! not at an instant. An all-day event's `DTEND` is the day after its last day (§3.6.1).
//!
//! [`obligation_events`] turns the engine's findings into events: exactly those the branch page
//! lists (coming due, and open), so that the feed and the page cannot disagree. Each event's UID is
//! built from the finding's stable key, so a duty that turns from coming due into missed stays the
//! same event in the subscriber's calendar and only its text changes.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Period;
use crate::domain::{MeetingKind, MemberId, OrgId};
use crate::engine::{Finding, FindingStatus, Report, Snapshot};
use crate::rules::{Catalogue, CheckParameters};

/// Who made the feed, as RFC 5545 §3.7.3 asks.
pub const PRODUCT_ID: &str = "-//Zhibu//Zhibu branch records//ZH";

/// The longest content line, in octets, before it is folded.
const MAX_LINE_OCTETS: usize = 75;

/// A calendar: its name as subscribers see it, and its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// How often subscribers should fetch the feed again, in hours (`REFRESH-INTERVAL`,
    /// RFC 7986, and the older `X-PUBLISHED-TTL`). `None` leaves it to the app.
    #[serde(default)]
    pub refresh_hours: Option<u32>,
    pub events: Vec<Event>,
}

/// An all-day event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Globally unique and stable across fetches, e.g.
    /// `BRANCH.COMMITTEE_MEETING.MONTHLY-12-2026-03@zhibu.example.org`.
    pub uid: String,
    /// The first day.
    pub start: NaiveDate,
    /// The day after the last day: a one-day event on the 31st ends on the 1st. A value on or before
    /// `start` is written as `start` plus one day, since RFC 5545 requires `DTEND` after `DTSTART`.
    pub end: NaiveDate,
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

impl Event {
    /// A one-day event.
    pub fn all_day(uid: impl Into<String>, on: NaiveDate, summary: impl Into<String>) -> Event {
        Event {
            uid: uid.into(),
            start: on,
            end: on + Duration::days(1),
            summary: summary.into(),
            description: String::new(),
            url: None,
            categories: Vec::new(),
        }
    }

    /// `DTEND` as written: after `start` even if `end` is not.
    pub fn written_end(&self) -> NaiveDate {
        if self.end > self.start {
            self.end
        } else {
            self.start + Duration::days(1)
        }
    }
}

impl Calendar {
    /// The calendar as an RFC 5545 document: CRLF line endings, lines folded at 75 octets.
    /// `stamp` becomes every event's `DTSTAMP`: the instant the feed was produced.
    pub fn to_ics(&self, stamp: DateTime<Utc>) -> String {
        let mut out = String::new();
        let stamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
        push_line(&mut out, "BEGIN:VCALENDAR");
        push_line(&mut out, "VERSION:2.0");
        push_line(&mut out, &format!("PRODID:{}", escape_text(PRODUCT_ID)));
        push_line(&mut out, "CALSCALE:GREGORIAN");
        push_line(&mut out, "METHOD:PUBLISH");
        // NAME is RFC 7986; X-WR-CALNAME is what most apps still read.
        push_line(&mut out, &format!("NAME:{}", escape_text(&self.name)));
        push_line(
            &mut out,
            &format!("X-WR-CALNAME:{}", escape_text(&self.name)),
        );
        if let Some(description) = &self.description {
            push_line(
                &mut out,
                &format!("DESCRIPTION:{}", escape_text(description)),
            );
            push_line(
                &mut out,
                &format!("X-WR-CALDESC:{}", escape_text(description)),
            );
        }
        if let Some(hours) = self.refresh_hours {
            push_line(
                &mut out,
                &format!("REFRESH-INTERVAL;VALUE=DURATION:PT{hours}H"),
            );
            push_line(&mut out, &format!("X-PUBLISHED-TTL:PT{hours}H"));
        }
        for event in &self.events {
            push_line(&mut out, "BEGIN:VEVENT");
            push_line(&mut out, &format!("UID:{}", escape_text(&event.uid)));
            push_line(&mut out, &format!("DTSTAMP:{stamp}"));
            push_line(
                &mut out,
                &format!("DTSTART;VALUE=DATE:{}", event.start.format("%Y%m%d")),
            );
            push_line(
                &mut out,
                &format!("DTEND;VALUE=DATE:{}", event.written_end().format("%Y%m%d")),
            );
            push_line(
                &mut out,
                &format!("SUMMARY:{}", escape_text(&event.summary)),
            );
            if !event.description.is_empty() {
                push_line(
                    &mut out,
                    &format!("DESCRIPTION:{}", escape_text(&event.description)),
                );
            }
            if let Some(url) = &event.url {
                push_line(&mut out, &format!("URL:{}", encode_uri(url)));
            }
            if !event.categories.is_empty() {
                let categories: Vec<String> = event
                    .categories
                    .iter()
                    .map(|category| escape_text(category))
                    .collect();
                push_line(&mut out, &format!("CATEGORIES:{}", categories.join(",")));
            }
            // An obligation is a reminder, not an appointment: it should not show the day as busy.
            push_line(&mut out, "TRANSP:TRANSPARENT");
            push_line(&mut out, "END:VEVENT");
        }
        push_line(&mut out, "END:VCALENDAR");
        out
    }
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(&fold_line(line));
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): `\` `;` `,` are backslash-escaped, every line break
/// (`\r\n`, `\n`, `\r`) becomes `\n`, and other control characters but tab are dropped, since TEXT
/// may not hold them and a stray CR could otherwise start a property of its own.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        match character {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            control if control.is_control() => {}
            other => out.push(other),
        }
    }
    out
}

/// A URI value: characters a URI may not hold raw (controls, space, non-ASCII, `"`, `<`, `>`, `\`,
/// `^`, `` ` ``, `{`, `|`, `}`) are percent-encoded as UTF-8, so the value can neither break the
/// line nor be misread.
fn encode_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for byte in uri.bytes() {
        let raw = byte.is_ascii_graphic()
            && !matches!(
                byte,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            );
        if raw {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// One content line with CRLF, folded so that no physical line exceeds 75 octets (RFC 5545 §3.1):
/// each continuation starts with one space, which counts toward its 75. A fold never splits a UTF-8
/// character, nor an escape such as `\,` (unfolding would rejoin it, but some readers unfold late).
/// The line must not contain CR or LF; escaped text never does.
pub fn fold_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 64 * 3 + 2);
    let mut used = 0_usize;
    let mut chars = line.chars().peekable();
    while let Some(character) = chars.next() {
        let mut unit = String::from(character);
        if character == '\\'
            && let Some(escaped) = chars.next()
        {
            unit.push(escaped);
        }
        if used + unit.len() > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push_str(&unit);
        used += unit.len();
    }
    out.push_str("\r\n");
    out
}

/// A meeting a branch has scheduled (not yet held), to show in the feed beside the obligations:
/// a `meeting_plan` record ([`crate::MeetingPlan`]); the web layer keys it by the record's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedMeeting {
    /// Stable across fetches and unique within the feed; it becomes the UID's local part.
    pub key: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub kinds: Vec<MeetingKind>,
    pub on: NaiveDate,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub url: Option<String>,
    /// The planned start, `HH:MM` China Standard Time, shown in the summary (the event stays an
    /// all-day event on the planned day).
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub topic: String,
}

/// One period of a recurring duty of the year, as the branch workspace's calendar of duties shows
/// it (a monthly, quarterly or yearly meeting, or the yearly talks), for a feed to carry the whole
/// year and not only what is due now. Its event's UID is the one the engine's finding for the same
/// rule, org and period gets, so a duty that comes due or is missed stays one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearDuty {
    pub rule_id: String,
    pub title_zh: String,
    pub title_en: String,
    pub org_id: OrgId,
    /// The meeting kind the duty asks for; `None` for the yearly heart-to-heart talks.
    pub meeting_kind: Option<MeetingKind>,
    pub period: Period,
    /// How many meetings of the kind (or talks) the period holds on record.
    pub held: usize,
}

impl YearDuty {
    /// `<rule id>-<org id>-<period label>@<domain>`, as [`finding_uid`] writes it for the
    /// finding of the same rule, org and period.
    pub fn uid(&self, uid_domain: &str) -> String {
        key_uid(
            &crate::engine::finding_key(&self.rule_id, self.org_id, &self.period.label(), ""),
            uid_domain,
        )
    }
}

/// Whose obligations a feed shows.
#[derive(Debug, Clone, Copy)]
pub enum FeedScope<'a> {
    /// A branch's feed: every finding the branch page lists, for the branch and its party groups
    /// (`orgs`), and the planned meetings of those orgs.
    Branch { orgs: &'a [OrgId] },
    /// A member's own feed: what the member must act on (findings naming them as the responsible
    /// person: the secretary gets the branch's duties) and the meetings they are expected at: the
    /// branch's meeting duties other than the committee's, the committee's when they sit on it,
    /// their own group's meetings, and the yearly talks when they sit on the committee. The
    /// catalogue says which meeting kind a rule is about.
    Member {
        member: MemberId,
        branch: OrgId,
        group: Option<OrgId>,
        on_committee: bool,
        catalogue: &'a Catalogue,
    },
}

impl<'a> FeedScope<'a> {
    /// The member's scope on `on`: their branch and group then, and whether they sit on the
    /// committee in force. `None` when the snapshot does not hold the member or they belonged to no
    /// branch that day.
    pub fn for_member(
        snapshot: &Snapshot,
        catalogue: &'a Catalogue,
        member: MemberId,
        on: NaiveDate,
    ) -> Option<FeedScope<'a>> {
        let stored = snapshot
            .members
            .iter()
            .find(|stored| stored.id == member.0)?;
        let branch = stored.body.branch_on(on)?;
        let group = stored
            .body
            .posting_on(on)
            .and_then(|posting| posting.group_id);
        let on_committee = snapshot
            .committee_terms
            .iter()
            .filter(|term| term.body.org_id == branch && term.body.elected_on <= on)
            .max_by_key(|term| (term.body.elected_on, term.id))
            .is_some_and(|term| term.body.members_on(on).contains(&member));
        Some(FeedScope::Member {
            member,
            branch,
            group,
            on_committee,
            catalogue,
        })
    }

    fn includes_finding(&self, finding: &Finding) -> bool {
        match *self {
            FeedScope::Branch { orgs } => orgs.contains(&finding.org_id),
            FeedScope::Member {
                member,
                branch,
                group,
                on_committee,
                catalogue,
            } => {
                // The person who must act sees the finding whichever group it is about.
                if finding.responsible.member_id == Some(member) {
                    return true;
                }
                if finding.org_id != branch && Some(finding.org_id) != group {
                    return false;
                }
                let on = finding.period.map_or(
                    finding.due_on.unwrap_or(finding.rule_version_from),
                    |period| period.first_day,
                );
                let parameters = catalogue
                    .get(&finding.rule_id)
                    .and_then(|rule| rule.version_on(on).or_else(|| rule.versions.last()))
                    .map(|version| &version.parameters);
                match parameters {
                    Some(CheckParameters::PeriodicMeeting(parameters)) => {
                        parameters.meeting_kind != MeetingKind::CommitteeMeeting || on_committee
                    }
                    Some(CheckParameters::TalkCoverage(_)) => on_committee,
                    _ => false,
                }
            }
        }
    }

    fn includes_duty(&self, duty: &YearDuty) -> bool {
        match *self {
            FeedScope::Branch { orgs } => orgs.contains(&duty.org_id),
            FeedScope::Member {
                branch,
                group,
                on_committee,
                ..
            } => {
                (duty.org_id == branch || Some(duty.org_id) == group)
                    && match duty.meeting_kind {
                        Some(MeetingKind::CommitteeMeeting) | None => on_committee,
                        Some(_) => true,
                    }
            }
        }
    }

    fn includes_planned(&self, planned: &PlannedMeeting) -> bool {
        match *self {
            FeedScope::Branch { orgs } => orgs.contains(&planned.org_id),
            FeedScope::Member {
                branch,
                group,
                on_committee,
                ..
            } => {
                let own_org = planned.org_id == branch || Some(planned.org_id) == group;
                let only_committee = planned
                    .kinds
                    .iter()
                    .all(|kind| *kind == MeetingKind::CommitteeMeeting);
                own_org && (on_committee || !only_committee)
            }
        }
    }
}

/// What every event of a feed shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedOptions {
    /// The right-hand side of every UID, such as the server's host name, so that the events of two
    /// installations never share a UID in one subscriber's calendar.
    pub uid_domain: String,
    /// The absolute address of the page each obligation links to (the branch page).
    #[serde(default)]
    pub page_url: Option<String>,
}

impl Default for FeedOptions {
    fn default() -> FeedOptions {
        FeedOptions {
            uid_domain: "zhibu".to_string(),
            page_url: None,
        }
    }
}

/// Whether the branch page lists a finding: as coming due (not exempted) or as open.
pub fn is_listed_on_branch_page(finding: &Finding) -> bool {
    (finding.status == FindingStatus::ComingDue && finding.exemption.is_none()) || finding.is_open()
}

/// The day a finding's event falls on: its due day, else the end of its period, else the report's
/// today (as the branch page dates a coming-due item).
pub fn obligation_day(report: &Report, finding: &Finding) -> NaiveDate {
    finding
        .due_on
        .or(finding.period.map(|period| period.last_day))
        .unwrap_or(report.request.today)
}

/// The UID of a finding's event: `<rule id>-<org id>-<period>[-<subject>]@<domain>`, from the
/// finding's stable key. Characters other than ASCII letters, digits, `.`, `_` and `-` are
/// percent-encoded so that the UID is plain ASCII.
pub fn finding_uid(finding: &Finding, uid_domain: &str) -> String {
    key_uid(&finding.key, uid_domain)
}

fn key_uid(key: &str, uid_domain: &str) -> String {
    let mut parts: Vec<&str> = key.split('|').collect();
    if parts.last().is_some_and(|subject| subject.is_empty()) {
        parts.pop();
    }
    let local: Vec<String> = parts.iter().map(|part| uid_part(part)).collect();
    format!("{}@{uid_domain}", local.join("-"))
}

fn uid_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn status_en(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::Missing => "Missing",
        FindingStatus::Invalid => "Invalid",
        FindingStatus::Overdue => "Overdue",
        FindingStatus::Noncompliant => "Not compliant",
        FindingStatus::ComingDue => "Coming due",
    }
}

/// The events of a feed: one per finding the branch page lists within `scope`, on its due day, and
/// one per planned meeting within `scope`. Ordered by day, then UID.
pub fn obligation_events(
    report: &Report,
    scope: &FeedScope<'_>,
    planned: &[PlannedMeeting],
    options: &FeedOptions,
) -> Vec<Event> {
    let mut events: Vec<Event> = report
        .findings
        .iter()
        .filter(|finding| is_listed_on_branch_page(finding) && scope.includes_finding(finding))
        .map(|finding| finding_event(report, finding, options))
        .collect();
    events.extend(
        planned
            .iter()
            .filter(|planned| scope.includes_planned(planned))
            .map(|planned| planned_event(planned, options)),
    );
    events.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    events
}

/// The events of a feed over the whole year: those of [`obligation_events`] (the findings the
/// branch page lists and the planned meetings) and one per period of every recurring duty of the
/// year within `scope` that no listed finding already stands for. Ordered by day, then UID.
pub fn year_events(
    report: &Report,
    scope: &FeedScope<'_>,
    duties: &[YearDuty],
    planned: &[PlannedMeeting],
    options: &FeedOptions,
) -> Vec<Event> {
    let mut events = obligation_events(report, scope, planned, options);
    let taken: std::collections::BTreeSet<String> =
        events.iter().map(|event| event.uid.clone()).collect();
    events.extend(
        duties
            .iter()
            .filter(|duty| scope.includes_duty(duty))
            .map(|duty| duty_event(duty, options))
            .filter(|event| !taken.contains(&event.uid)),
    );
    events.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    events
}

/// A period of a duty as an all-day event on the period's last day (the day it is due by). The
/// description starts with the rule's title, like a finding's.
pub fn duty_event(duty: &YearDuty, options: &FeedOptions) -> Event {
    let (state_zh, state_en) = if duty.held > 0 {
        ("已办", "Done")
    } else {
        ("应办", "To do")
    };
    let summary = format!(
        "{state_zh}：{}（{}） / {state_en}: {} ({})",
        duty.title_zh,
        duty.period.label_zh(),
        duty.title_en,
        duty.period.label()
    );
    let mut event = Event::all_day(duty.uid(&options.uid_domain), duty.period.last_day, summary);
    event.description = format!(
        "{}\n{}\n期间 / Period: {} – {}\n已记录 / On record: {}",
        duty.title_zh, duty.title_en, duty.period.first_day, duty.period.last_day, duty.held
    );
    event.url = options.page_url.clone();
    event.categories = vec![
        "年度工作 Duty of the year".to_string(),
        duty.rule_id.clone(),
    ];
    event
}

/// A finding as an event: the summary is its message (Chinese, then English), the description its
/// rule, citation and key.
pub fn finding_event(report: &Report, finding: &Finding, options: &FeedOptions) -> Event {
    let status_zh = finding.status.name_zh();
    let status_en = status_en(finding.status);
    let summary = format!(
        "{status_zh}：{} / {status_en}: {}",
        finding.message_zh, finding.message_en
    );
    let mut description = format!("{}\n{}\n", finding.title_zh, finding.title_en);
    description.push_str(&format!(
        "依据 / Basis: {}{}\n",
        finding.citation.document, finding.citation.article
    ));
    if let Some(due) = finding.due_on {
        description.push_str(&format!("期限 / Due: {due}\n"));
    }
    description.push_str(&format!("问题编号 / Finding: {}", finding.key));
    let mut event = Event::all_day(
        finding_uid(finding, &options.uid_domain),
        obligation_day(report, finding),
        summary,
    );
    event.description = description;
    event.url = options.page_url.clone();
    event.categories = vec![format!("{status_zh} {status_en}"), finding.rule_id.clone()];
    event
}

fn planned_event(planned: &PlannedMeeting, options: &FeedOptions) -> Event {
    let kinds_zh: Vec<&str> = planned.kinds.iter().map(|kind| kind.name_zh()).collect();
    let kinds_en: Vec<&str> = planned.kinds.iter().map(|kind| kind.name_en()).collect();
    let time = planned
        .starts_at
        .as_deref()
        .map(|time| format!(" {time}"))
        .unwrap_or_default();
    let summary = format!(
        "{}（{}）{time} / {} ({}){time}",
        kinds_zh.join("、"),
        planned.org_name,
        kinds_en.join(" and "),
        planned.org_name
    );
    let mut event = Event::all_day(
        format!("planned-{}@{}", uid_part(&planned.key), options.uid_domain),
        planned.on,
        summary,
    );
    let mut description = Vec::new();
    if let Some(time) = &planned.starts_at {
        description.push(format!(
            "时间 / Time: {time}（北京时间 / China Standard Time）"
        ));
    }
    if !planned.place.is_empty() {
        description.push(format!("地点 / Place: {}", planned.place));
    }
    if !planned.topic.is_empty() {
        description.push(format!("议题 / Topic: {}", planned.topic));
    }
    event.description = description.join("\n");
    event.url = planned.url.clone().or_else(|| options.page_url.clone());
    event.categories = vec!["会议安排 Planned meeting".to_string()];
    event
}

/// A meeting that was held and is on record, to show in a feed beside the obligations and the
/// planned meetings ([`PlannedMeeting`]): a subscriber sees when the branch met and opens the record
/// from the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedMeeting {
    /// The meeting record's id; it becomes the UID's local part.
    pub record_id: i64,
    pub org_name: String,
    pub kinds: Vec<MeetingKind>,
    pub on: NaiveDate,
    #[serde(default)]
    pub place: String,
    /// The absolute address of the meeting's page.
    #[serde(default)]
    pub url: Option<String>,
}

/// A recorded meeting as an all-day event on the day it was held, with the UID
/// `meeting-<record id>@<domain>`, stable across fetches and amendments.
pub fn recorded_meeting_event(meeting: &RecordedMeeting, options: &FeedOptions) -> Event {
    let kinds_zh: Vec<&str> = meeting.kinds.iter().map(|kind| kind.name_zh()).collect();
    let kinds_en: Vec<&str> = meeting.kinds.iter().map(|kind| kind.name_en()).collect();
    let summary = format!(
        "已召开：{}（{}） / Held: {} ({})",
        kinds_zh.join("、"),
        meeting.org_name,
        kinds_en.join(" and "),
        meeting.org_name
    );
    let mut event = Event::all_day(
        format!("meeting-{}@{}", meeting.record_id, options.uid_domain),
        meeting.on,
        summary,
    );
    let mut description = format!("会议记录 / Meeting record: {}", meeting.record_id);
    if !meeting.place.is_empty() {
        description.push_str(&format!("\n地点 / Place: {}", meeting.place));
    }
    event.description = description;
    event.url = meeting.url.clone().or_else(|| options.page_url.clone());
    event.categories = vec!["会议记录 Meeting on record".to_string()];
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_meeting_is_an_event_on_its_day_named_by_its_record() {
        let event = recorded_meeting_event(
            &RecordedMeeting {
                record_id: 345,
                org_name: "机关第一党支部".into(),
                kinds: vec![MeetingKind::ThemedPartyDay, MeetingKind::PartyLecture],
                on: NaiveDate::from_ymd_opt(2026, 3, 12).expect("date"),
                place: "党员活动室".into(),
                url: Some("https://zhibu.example.org/meetings/345".into()),
            },
            &FeedOptions {
                uid_domain: "zhibu.example.org".into(),
                page_url: None,
            },
        );
        assert_eq!(event.uid, "meeting-345@zhibu.example.org");
        assert_eq!(
            (event.start, event.written_end()),
            (
                NaiveDate::from_ymd_opt(2026, 3, 12).expect("date"),
                NaiveDate::from_ymd_opt(2026, 3, 13).expect("date")
            )
        );
        assert_eq!(
            event.summary,
            "已召开：主题党日、党课（机关第一党支部） / Held: themed Party day and Party lecture (机关第一党支部)"
        );
        assert!(event.description.contains("地点 / Place: 党员活动室"));
        assert_eq!(
            event.url.as_deref(),
            Some("https://zhibu.example.org/meetings/345")
        );
    }

    #[test]
    fn escaping_covers_the_four_specials_and_drops_controls() {
        let table = [
            ("a,b;c\\d", "a\\,b\\;c\\\\d"),
            ("line one\nline two", "line one\\nline two"),
            ("windows\r\nmac\rend", "windows\\nmac\\nend"),
            ("bell\u{7}tab\t", "belltab\t"),
            ("支部委员会会议：第一、第二", "支部委员会会议：第一、第二"),
        ];
        for (raw, escaped) in table {
            assert_eq!(escape_text(raw), escaped, "{raw:?}");
        }
    }

    #[test]
    fn a_uri_cannot_break_its_line() {
        assert_eq!(
            encode_uri("https://a.example/b?x=1 2\r\nEVIL:1"),
            "https://a.example/b?x=1%202%0D%0AEVIL:1"
        );
        assert_eq!(
            encode_uri("https://a.example/支部"),
            "https://a.example/%E6%94%AF%E9%83%A8"
        );
    }

    #[test]
    fn folding_never_splits_an_escape() {
        // 74 ASCII octets and then an escaped comma: the escape moves whole to the next line.
        let line = format!("{}\\,x", "a".repeat(74));
        let folded = fold_line(&line);
        assert_eq!(folded, format!("{}\r\n \\,x\r\n", "a".repeat(74)));
    }
}
