//! Regularity (常态化): whether a branch's organizational life ran steadily through the year or came
//! in bursts, read from when things happened (`event_date`) and when they were typed in
//! (`first_entered_at`).
//!
//! Architecture invariant: these are facts with their evidence, never a score. Nothing here awards
//! points, ranks branches or weighs facts into one number; every fact names the records behind it so
//! that a committee can open them and judge for itself. Like the engine, this module does no IO and
//! cannot fail: callers pass "today" and the snapshot.
//!
//! What is looked at: the meetings of the branch and of its party groups, and the branch's
//! heart-to-heart talks. Members, committee terms and orgs are left out, because they are typed in
//! when a branch starts using Zhibu, long after the events they record; that is an import, not a late
//! entry. For the same reason a meeting or talk whose event came before the day the branch itself was
//! entered into Zhibu (`records_kept_from`) is counted as imported and is not judged for entry timing,
//! and a month that ended before that day is not judged at all (an unrecorded month and a month
//! without meetings cannot be told apart).
//!
//! The facts (each with the records behind it and a sentence in Chinese and English):
//! - **Late entry (补录)**: a meeting or talk whose first version was entered `late_entry_days` or more
//!   days after its event (China calendar days, as `zhibu-demo` counts them). The report also gives
//!   how many of the year's records that is.
//! - **Duty burst (集中补开)**: for a monthly duty (committee meeting, themed Party day, a group's
//!   meeting), `burst_min_count` or more meetings held in the last `burst_window_days` days of a
//!   quarter, while an earlier month of that quarter owed the duty and had none of its own. For the
//!   last quarter the earlier months are those of the whole year: a December that makes up for July to
//!   November is one burst.
//! - **Entry batch (集中录入)**: a day on which `same_day_entry_min` or more records were entered whose
//!   events fall in `same_day_entry_min_months` or more different months. Entering one month's
//!   meetings together, or a talk campaign, is ordinary and is not a batch.
//! - **Month without organizational life**: a whole month, judged once it has ended, in which neither
//!   the branch nor any of its party groups held a meeting of any kind.
//!
//! Beside the facts the report tallies, per monthly duty, the months that owed it and the months in
//! which it was done in its own month, and gives a row per month for the year's trend.
//! Whether a meeting was valid (quorum, fixed day) is the engine's question, not this module's: here
//! a meeting counts for the month it was held in.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Period, PeriodLength, china_date};
use crate::domain::{
    CommitteeTerm, HeartToHeartTalk, LeadershipForm, Meeting, MeetingKind, Org, OrgId, OrgLevel,
    RecordKind, Stored,
};
use crate::engine::{EvidenceRecord, Snapshot};

/// The thresholds of the facts. Every field has a default; a settings file may name only the ones
/// it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegularityParameters {
    /// A meeting or talk first entered this many days or more after its event is a late entry
    /// (补录). Default 30.
    pub late_entry_days: u32,
    /// The last this-many days of a quarter (and so of the year) are where a burst is looked for.
    /// Default 31: the last month of the quarter.
    pub burst_window_days: u32,
    /// This many meetings of one monthly duty in that window, while an earlier month went without,
    /// make a burst. Default 3 (the December that makes up for October and November).
    pub burst_min_count: u32,
    /// At least this many records entered on one day ... Default 4.
    pub same_day_entry_min: u32,
    /// ... whose events fall in at least this many different months make an entry batch. Default 3,
    /// so that one month's meetings entered together (and a month's records entered with the late
    /// ones of the month before) are not a batch.
    pub same_day_entry_min_months: u32,
}

impl Default for RegularityParameters {
    fn default() -> RegularityParameters {
        RegularityParameters {
            late_entry_days: 30,
            burst_window_days: 31,
            burst_min_count: 3,
            same_day_entry_min: 4,
            same_day_entry_min_months: 3,
        }
    }
}

/// What a fact is, with its particulars. The tag (`fact`) names the kind of fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FactDetail {
    /// One record entered `delay_days` after its event.
    LateEntry {
        record_kind: RecordKind,
        record_id: i64,
        event_date: NaiveDate,
        entered_at: DateTime<Utc>,
        /// The China calendar date of `entered_at`.
        entered_on: NaiveDate,
        delay_days: i64,
    },
    /// Meetings of one monthly duty crowded into the end of a quarter after months without.
    DutyBurst {
        meeting_kind: MeetingKind,
        window_first_day: NaiveDate,
        window_last_day: NaiveDate,
        meetings_in_window: u32,
        /// The months (`2025-10`) that owed the duty and had no meeting of their own.
        months_without: Vec<String>,
    },
    /// Records of many months entered on one day.
    EntryBatch {
        entered_on: NaiveDate,
        records: u32,
        /// The months (`2025-03`) the records' events fall in.
        event_months: Vec<String>,
    },
    /// A month in which the branch and its groups held no meeting of any kind.
    MonthWithoutOrgLife { month: String },
}

impl FactDetail {
    /// The fact's kind as a stable code: `late_entry`, `duty_burst`, `entry_batch`,
    /// `month_without_org_life`.
    pub fn code(&self) -> &'static str {
        match self {
            FactDetail::LateEntry { .. } => "late_entry",
            FactDetail::DutyBurst { .. } => "duty_burst",
            FactDetail::EntryBatch { .. } => "entry_batch",
            FactDetail::MonthWithoutOrgLife { .. } => "month_without_org_life",
        }
    }
}

/// One regularity fact, with the records behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegularityFact {
    /// Stable across runs: `code|org|particular`, e.g. `duty_burst|12|committee_meeting|2025-Q4`,
    /// `late_entry|meeting|345`, `entry_batch|12|2025-12-28`, `month_without_org_life|12|2025-08`.
    pub key: String,
    /// The org the fact is about: the branch, or a party group for a group's duty or a group
    /// meeting entered late.
    pub org_id: OrgId,
    pub org_name: String,
    /// Where the fact sits on the year's time line: the event's month for a late entry, the entry
    /// day's month for a batch, the quarter for a burst, the month itself for a month without
    /// organizational life.
    pub period: Period,
    pub detail: FactDetail,
    pub sentence_zh: String,
    pub sentence_en: String,
    /// The records the fact rests on. A month without organizational life has none of its own; its
    /// evidence is the last meeting before it and the first after it, where there are such.
    pub evidence: Vec<EvidenceRecord>,
}

/// How many of the year's records were entered late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LateEntryShare {
    pub threshold_days: u32,
    /// Meetings and talks of the year's events, imports left out.
    pub considered: u32,
    pub late: u32,
    /// `late` as a whole percentage of `considered`, rounded half up; `None` when nothing was
    /// considered.
    pub percent: Option<u32>,
    pub sentence_zh: String,
    pub sentence_en: String,
}

/// One monthly duty: the judged months that owed it and how many had a meeting of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyDutyTally {
    pub meeting_kind: MeetingKind,
    /// The branch, or the party group for group meetings.
    pub holder_id: OrgId,
    pub holder_name: String,
    /// Months of the year that have ended, are judged, and owed the duty.
    pub owed: u32,
    /// Of those, the months with at least one meeting of the kind held in that month.
    pub done_in_own_month: u32,
    /// The owed months (`2025-10`) without a meeting of their own.
    pub months_without: Vec<String>,
    pub sentence_zh: String,
    pub sentence_en: String,
    /// The meetings of the kind held in the owed months.
    pub evidence: Vec<EvidenceRecord>,
}

/// One month of the year, for the trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthTrend {
    pub month: Period,
    /// Ended before today, not before the records were kept, and the branch was active all month.
    pub judged: bool,
    /// Meetings of any kind held by the branch or its groups.
    pub meetings_held: u32,
    /// Meetings and talks of events this month that were entered through Zhibu (imports left out).
    pub records: u32,
    /// Of those, the ones entered late.
    pub records_entered_late: u32,
    /// Monthly duties owed this month (judged months only) and done in it.
    pub duties_owed: u32,
    pub duties_done_in_own_month: u32,
    /// The keys of the facts that sit in this month (a burst sits in its quarter's last month).
    pub fact_keys: Vec<String>,
}

/// The regularity facts of one branch for one year, as of `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegularityReport {
    pub branch_id: OrgId,
    pub branch_name: String,
    pub year: i32,
    pub today: NaiveDate,
    pub parameters: RegularityParameters,
    /// The China date on which the branch itself was entered into Zhibu. Events before it are
    /// imports: not judged for entry timing; months that ended before it are not judged.
    pub records_kept_from: NaiveDate,
    /// Meetings and talks of the year's events dated before `records_kept_from`.
    pub imported_records: u32,
    pub late_entries: LateEntryShare,
    pub monthly_duties: Vec<MonthlyDutyTally>,
    pub months: Vec<MonthTrend>,
    /// Every fact, ordered by where it sits in time (the end of its period, then its start), and
    /// within that as found: late entries by event date, batches by day, bursts by duty.
    pub facts: Vec<RegularityFact>,
}

impl RegularityReport {
    /// The facts' keys, in order; handy for comparing with an expected list.
    pub fn fact_keys(&self) -> Vec<&str> {
        self.facts.iter().map(|fact| fact.key.as_str()).collect()
    }
}

/// The regularity facts of `branch` for `year`, as of `today`. `None` when the snapshot holds no
/// branch (an org of level `Branch`) with that id, or the year is outside the calendar's range.
pub fn regularity_facts(
    snapshot: &Snapshot,
    branch: OrgId,
    year: i32,
    today: NaiveDate,
    parameters: RegularityParameters,
) -> Option<RegularityReport> {
    let records = Records::build(snapshot);
    let branch = records
        .orgs
        .get(&branch)
        .copied()
        .filter(|org| org.body.level == OrgLevel::Branch)?;
    branch_report(&records, branch, year, today, parameters)
}

/// The regularity facts of every branch in `root`'s subtree (including `root` if it is a branch)
/// that existed during `year`, ordered by branch id. The snapshot is indexed once, so this is the
/// call for a committee's page.
pub fn regularity_facts_for_subtree(
    snapshot: &Snapshot,
    root: OrgId,
    year: i32,
    today: NaiveDate,
    parameters: RegularityParameters,
) -> Vec<RegularityReport> {
    let records = Records::build(snapshot);
    let mut branches: Vec<&Stored<Org>> = records
        .orgs
        .values()
        .copied()
        .filter(|org| org.body.level == OrgLevel::Branch)
        .filter(|org| {
            org.body.established_on.year() <= year
                && org.body.dissolved_on.is_none_or(|end| end.year() >= year)
        })
        .filter(|org| records.is_within(OrgId(org.id), root))
        .collect();
    branches.sort_by_key(|org| org.id);
    branches
        .into_iter()
        .filter_map(|branch| branch_report(&records, branch, year, today, parameters))
        .collect()
}

/// The snapshot's meetings, talks, terms and groups, looked up by org.
struct Records<'a> {
    orgs: HashMap<OrgId, &'a Stored<Org>>,
    /// Party groups by their branch, in id order.
    groups: HashMap<OrgId, Vec<&'a Stored<Org>>>,
    /// Terms by org, oldest election first.
    terms: HashMap<OrgId, Vec<&'a Stored<CommitteeTerm>>>,
    /// Meetings by the org that held them, in date order.
    meetings: HashMap<OrgId, Vec<&'a Stored<Meeting>>>,
    talks: HashMap<OrgId, Vec<&'a Stored<HeartToHeartTalk>>>,
}

impl<'a> Records<'a> {
    fn build(snapshot: &'a Snapshot) -> Records<'a> {
        let mut records = Records {
            orgs: HashMap::new(),
            groups: HashMap::new(),
            terms: HashMap::new(),
            meetings: HashMap::new(),
            talks: HashMap::new(),
        };
        for org in &snapshot.orgs {
            records.orgs.insert(OrgId(org.id), org);
            if org.body.level == OrgLevel::PartyGroup
                && let Some(parent) = org.body.parent_id
            {
                records.groups.entry(parent).or_default().push(org);
            }
        }
        for groups in records.groups.values_mut() {
            groups.sort_by_key(|group| group.id);
            groups.dedup_by_key(|group| group.id);
        }
        for term in &snapshot.committee_terms {
            records
                .terms
                .entry(term.body.org_id)
                .or_default()
                .push(term);
        }
        for terms in records.terms.values_mut() {
            terms.sort_by_key(|term| (term.body.elected_on, term.id));
        }
        for meeting in &snapshot.meetings {
            records
                .meetings
                .entry(meeting.body.org_id)
                .or_default()
                .push(meeting);
        }
        for meetings in records.meetings.values_mut() {
            meetings.sort_by_key(|meeting| (meeting.event_date, meeting.id));
        }
        for talk in &snapshot.talks {
            records
                .talks
                .entry(talk.body.org_id)
                .or_default()
                .push(talk);
        }
        for talks in records.talks.values_mut() {
            talks.sort_by_key(|talk| (talk.event_date, talk.id));
        }
        records
    }

    fn is_within(&self, org: OrgId, root: OrgId) -> bool {
        let mut current = Some(org);
        // A parent chain longer than the number of orgs has a cycle; stop rather than loop.
        for _ in 0..=self.orgs.len() {
            match current {
                Some(id) if id == root => return true,
                Some(id) => current = self.orgs.get(&id).and_then(|org| org.body.parent_id),
                None => return false,
            }
        }
        false
    }

    fn meetings_of(&self, org: OrgId) -> &[&'a Stored<Meeting>] {
        self.meetings
            .get(&org)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Whether the term in force on `date` (the latest election on or before it) is a committee.
    fn has_committee_on(&self, branch: OrgId, date: NaiveDate) -> bool {
        self.terms
            .get(&branch)
            .and_then(|terms| terms.iter().rev().find(|term| term.body.elected_on <= date))
            .is_some_and(|term| term.body.form == LeadershipForm::Committee)
    }
}

/// A meeting or talk as the entry-timing facts see it.
struct EnteredRecord {
    kind: RecordKind,
    id: i64,
    /// The org the record is kept under: the branch, or a party group for its meeting.
    org: OrgId,
    org_name: String,
    event_date: NaiveDate,
    entered_at: DateTime<Utc>,
    what_zh: String,
    what_en: String,
}

impl EnteredRecord {
    fn entered_on(&self) -> NaiveDate {
        china_date(self.entered_at)
    }

    fn delay_days(&self) -> i64 {
        (self.entered_on() - self.event_date).num_days()
    }

    fn evidence(&self, note_zh: String, note_en: String) -> EvidenceRecord {
        EvidenceRecord {
            kind: self.kind,
            id: self.id,
            date: self.event_date,
            note_zh,
            note_en,
        }
    }
}

/// One monthly duty of one holder.
struct Duty<'a> {
    kind: MeetingKind,
    holder: &'a Stored<Org>,
}

fn is_active_through(org: &Org, period: &Period) -> bool {
    org.established_on <= period.first_day
        && org.dissolved_on.is_none_or(|end| end > period.last_day)
}

fn branch_report(
    records: &Records<'_>,
    branch: &Stored<Org>,
    year: i32,
    today: NaiveDate,
    parameters: RegularityParameters,
) -> Option<RegularityReport> {
    let year_start = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31)?;
    let branch_id = OrgId(branch.id);
    let branch_name = branch.body.name.clone();
    let kept_from = china_date(branch.first_entered_at);
    let groups: Vec<&Stored<Org>> = records.groups.get(&branch_id).cloned().unwrap_or_default();
    let months = Period::overlapping(PeriodLength::Month, year_start, year_end);
    let judged = |month: &Period| {
        month.last_day < today
            && month.last_day >= kept_from
            && is_active_through(&branch.body, month)
    };

    // Every meeting of the branch and its groups, in date order.
    let mut meetings: Vec<&Stored<Meeting>> = records.meetings_of(branch_id).to_vec();
    for group in &groups {
        meetings.extend_from_slice(records.meetings_of(OrgId(group.id)));
    }
    meetings.sort_by_key(|meeting| (meeting.event_date, meeting.id));

    // The year's meetings and talks for the entry-timing facts.
    let mut entered: Vec<EnteredRecord> = Vec::new();
    let mut imported_records = 0_u32;
    let talks = records
        .talks
        .get(&branch_id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let candidates = meetings
        .iter()
        .map(|meeting| {
            let (what_zh, what_en) = meeting_label(&meeting.body);
            (
                RecordKind::Meeting,
                meeting.id,
                meeting.body.org_id,
                meeting.event_date,
                meeting.first_entered_at,
                what_zh,
                what_en,
            )
        })
        .chain(talks.iter().map(|talk| {
            (
                RecordKind::Talk,
                talk.id,
                branch_id,
                talk.event_date,
                talk.first_entered_at,
                "谈心谈话".to_string(),
                "heart-to-heart talk".to_string(),
            )
        }));
    for (kind, id, org, event_date, entered_at, what_zh, what_en) in candidates {
        if event_date.year() != year {
            continue;
        }
        if event_date < kept_from {
            imported_records += 1;
            continue;
        }
        let org_name = records
            .orgs
            .get(&org)
            .map_or_else(|| branch_name.clone(), |org| org.body.name.clone());
        entered.push(EnteredRecord {
            kind,
            id,
            org,
            org_name,
            event_date,
            entered_at,
            what_zh,
            what_en,
        });
    }
    entered.sort_by_key(|record| (record.event_date, record.kind, record.id));

    let mut facts = Vec::new();
    let late_entries = late_entry_facts(&entered, year, parameters, &mut facts);
    entry_batch_facts(&entered, branch, parameters, &mut facts);

    // The monthly duties: the committee meeting and the themed Party day of the branch, and each
    // group's meeting.
    let mut duties = vec![
        Duty {
            kind: MeetingKind::CommitteeMeeting,
            holder: branch,
        },
        Duty {
            kind: MeetingKind::ThemedPartyDay,
            holder: branch,
        },
    ];
    duties.extend(groups.iter().map(|group| Duty {
        kind: MeetingKind::GroupMeeting,
        holder: group,
    }));
    let owes = |duty: &Duty<'_>, month: &Period| match duty.kind {
        MeetingKind::CommitteeMeeting => records.has_committee_on(branch_id, month.first_day),
        MeetingKind::GroupMeeting => is_active_through(&duty.holder.body, month),
        _ => true,
    };
    let held_in = |duty: &Duty<'_>, first: NaiveDate, last: NaiveDate| -> Vec<&Stored<Meeting>> {
        records
            .meetings_of(OrgId(duty.holder.id))
            .iter()
            .copied()
            .filter(|meeting| {
                meeting.body.is_kind(duty.kind)
                    && first <= meeting.event_date
                    && meeting.event_date <= last
            })
            .collect()
    };

    let mut monthly_duties = Vec::new();
    let mut owed_by_month: BTreeMap<NaiveDate, (u32, u32)> = BTreeMap::new();
    for duty in &duties {
        let mut tally = (0_u32, 0_u32);
        let mut months_without = Vec::new();
        let mut evidence = Vec::new();
        for month in months
            .iter()
            .filter(|month| judged(month) && owes(duty, month))
        {
            let held = held_in(duty, month.first_day, month.last_day);
            tally.0 += 1;
            let entry = owed_by_month.entry(month.first_day).or_default();
            entry.0 += 1;
            if held.is_empty() {
                months_without.push(month.label());
            } else {
                tally.1 += 1;
                entry.1 += 1;
            }
            for meeting in held {
                evidence.push(EvidenceRecord {
                    kind: RecordKind::Meeting,
                    id: meeting.id,
                    date: meeting.event_date,
                    note_zh: format!("{}，于当月举行", duty.kind.name_zh()),
                    note_en: format!("{}, held in its own month", duty.kind.name_en()),
                });
            }
        }
        if tally.0 == 0 {
            continue;
        }
        let holder_name = duty.holder.body.name.clone();
        let (verb_zh, count_zh) = duty_verb_zh(duty.kind);
        let mut sentence_zh = format!(
            "{holder_name}{}：{year}年已过的月份中{}个月应{verb_zh}，当月{verb_zh}的有{}个月",
            duty.kind.name_zh(),
            tally.0,
            tally.1
        );
        let mut sentence_en = format!(
            "{holder_name}, {}: owed in {} ended months of {year}, held in its own month in {}",
            duty.kind.name_en(),
            tally.0,
            tally.1
        );
        if !months_without.is_empty() {
            sentence_zh.push_str(&format!(
                "；{}当月没有{count_zh}",
                months_zh(&months_without)
            ));
            sentence_en.push_str(&format!("; none in {}", months_without.join(", ")));
        }
        sentence_zh.push('。');
        sentence_en.push('.');
        monthly_duties.push(MonthlyDutyTally {
            meeting_kind: duty.kind,
            holder_id: OrgId(duty.holder.id),
            holder_name,
            owed: tally.0,
            done_in_own_month: tally.1,
            months_without,
            sentence_zh,
            sentence_en,
            evidence,
        });
    }

    // Bursts: crowded quarter ends after months without.
    let quarters = Period::overlapping(PeriodLength::Quarter, year_start, year_end);
    let window_days = i64::from(parameters.burst_window_days.max(1));
    for duty in &duties {
        for quarter in quarters.iter().filter(|quarter| quarter.first_day <= today) {
            let window_first =
                (quarter.last_day - Duration::days(window_days - 1)).max(quarter.first_day);
            let in_window = held_in(duty, window_first, quarter.last_day);
            if (in_window.len() as u64) < u64::from(parameters.burst_min_count.max(1)) {
                continue;
            }
            let look_back_first = if quarter.last_day == year_end {
                year_start
            } else {
                quarter.first_day
            };
            let last_month = Period::containing(PeriodLength::Month, quarter.last_day);
            let months_without: Vec<String> = months
                .iter()
                .filter(|month| {
                    look_back_first <= month.first_day && month.first_day < last_month.first_day
                })
                .filter(|month| judged(month) && owes(duty, month))
                .filter(|month| held_in(duty, month.first_day, month.last_day).is_empty())
                .map(Period::label)
                .collect();
            if months_without.is_empty() {
                continue;
            }
            let holder_name = duty.holder.body.name.clone();
            let count = in_window.len() as u32;
            let (verb_zh, _) = duty_verb_zh(duty.kind);
            let held_dates_zh: Vec<String> = in_window
                .iter()
                .map(|meeting| date_zh(meeting.event_date))
                .collect();
            let held_dates_en: Vec<String> = in_window
                .iter()
                .map(|meeting| meeting.event_date.to_string())
                .collect();
            let sentence_zh = format!(
                "{holder_name}{}：{}没有{verb_zh}，{}至{}集中{verb_zh}{count}次（{}）。",
                duty.kind.name_zh(),
                months_zh(&months_without),
                date_zh(window_first),
                date_zh(quarter.last_day),
                held_dates_zh.join("、")
            );
            let sentence_en = format!(
                "{holder_name}, {}: none in {}, then {count} held between {window_first} and {} ({}).",
                duty.kind.name_en(),
                months_without.join(", "),
                quarter.last_day,
                held_dates_en.join(", ")
            );
            let evidence = in_window
                .iter()
                .map(|meeting| EvidenceRecord {
                    kind: RecordKind::Meeting,
                    id: meeting.id,
                    date: meeting.event_date,
                    note_zh: format!(
                        "{}，在{}的最后{}天内举行",
                        duty.kind.name_zh(),
                        quarter.label_zh(),
                        window_days
                    ),
                    note_en: format!(
                        "{}, held in the last {} days of {}",
                        duty.kind.name_en(),
                        window_days,
                        quarter.label()
                    ),
                })
                .collect();
            facts.push(RegularityFact {
                key: format!(
                    "duty_burst|{}|{}|{}",
                    duty.holder.id,
                    meeting_kind_code(duty.kind),
                    quarter.label()
                ),
                org_id: OrgId(duty.holder.id),
                org_name: holder_name,
                period: *quarter,
                detail: FactDetail::DutyBurst {
                    meeting_kind: duty.kind,
                    window_first_day: window_first,
                    window_last_day: quarter.last_day,
                    meetings_in_window: count,
                    months_without,
                },
                sentence_zh,
                sentence_en,
                evidence,
            });
        }
    }

    // Months without any meeting of the branch or its groups.
    for month in months.iter().filter(|month| judged(month)) {
        if meetings
            .iter()
            .any(|meeting| month.contains(meeting.event_date))
        {
            continue;
        }
        let mut evidence = Vec::new();
        if let Some(before) = meetings
            .iter()
            .rev()
            .find(|meeting| meeting.event_date < month.first_day)
        {
            let (what_zh, what_en) = meeting_label(&before.body);
            evidence.push(EvidenceRecord {
                kind: RecordKind::Meeting,
                id: before.id,
                date: before.event_date,
                note_zh: format!("此前最近一次会议：{what_zh}"),
                note_en: format!("the last meeting before: {what_en}"),
            });
        }
        if let Some(after) = meetings
            .iter()
            .find(|meeting| meeting.event_date > month.last_day)
        {
            let (what_zh, what_en) = meeting_label(&after.body);
            evidence.push(EvidenceRecord {
                kind: RecordKind::Meeting,
                id: after.id,
                date: after.event_date,
                note_zh: format!("此后第一次会议：{what_zh}"),
                note_en: format!("the first meeting after: {what_en}"),
            });
        }
        facts.push(RegularityFact {
            key: format!("month_without_org_life|{}|{}", branch.id, month.label()),
            org_id: branch_id,
            org_name: branch_name.clone(),
            period: *month,
            detail: FactDetail::MonthWithoutOrgLife {
                month: month.label(),
            },
            sentence_zh: format!(
                "{}，{branch_name}及其党小组没有召开任何会议。",
                month.label_zh()
            ),
            sentence_en: format!(
                "In {}, {branch_name} and its party groups held no meeting of any kind.",
                month.label()
            ),
            evidence,
        });
    }

    // A stable sort by place in time keeps the order each kind of fact was found in: late entries
    // by event date, batches by day, bursts by duty. Sorting by key would put record 100 before 99.
    facts.sort_by_key(|fact| (fact.period.last_day, fact.period.first_day));

    let threshold = i64::from(parameters.late_entry_days);
    let month_rows = months
        .iter()
        .map(|month| {
            let in_month: Vec<&EnteredRecord> = entered
                .iter()
                .filter(|record| month.contains(record.event_date))
                .collect();
            let (duties_owed, duties_done_in_own_month) = owed_by_month
                .get(&month.first_day)
                .copied()
                .unwrap_or_default();
            let month_of_last_day = |period: &Period| {
                Period::containing(PeriodLength::Month, period.last_day).first_day
                    == month.first_day
            };
            MonthTrend {
                month: *month,
                judged: judged(month),
                meetings_held: meetings
                    .iter()
                    .filter(|meeting| month.contains(meeting.event_date))
                    .count() as u32,
                records: in_month.len() as u32,
                records_entered_late: in_month
                    .iter()
                    .filter(|record| record.delay_days() >= threshold)
                    .count() as u32,
                duties_owed,
                duties_done_in_own_month,
                fact_keys: facts
                    .iter()
                    .filter(|fact| month_of_last_day(&fact.period))
                    .map(|fact| fact.key.clone())
                    .collect(),
            }
        })
        .collect();

    Some(RegularityReport {
        branch_id,
        branch_name,
        year,
        today,
        parameters,
        records_kept_from: kept_from,
        imported_records,
        late_entries,
        monthly_duties,
        months: month_rows,
        facts,
    })
}

/// A fact per late record, and the share of late records.
fn late_entry_facts(
    entered: &[EnteredRecord],
    year: i32,
    parameters: RegularityParameters,
    facts: &mut Vec<RegularityFact>,
) -> LateEntryShare {
    let threshold = i64::from(parameters.late_entry_days);
    let mut late = 0_u32;
    for record in entered
        .iter()
        .filter(|record| record.delay_days() >= threshold)
    {
        late += 1;
        let entered_on = record.entered_on();
        let delay_days = record.delay_days();
        facts.push(RegularityFact {
            key: format!("late_entry|{}|{}", record.kind.as_str(), record.id),
            org_id: record.org,
            org_name: record.org_name.clone(),
            period: Period::containing(PeriodLength::Month, record.event_date),
            detail: FactDetail::LateEntry {
                record_kind: record.kind,
                record_id: record.id,
                event_date: record.event_date,
                entered_at: record.entered_at,
                entered_on,
                delay_days,
            },
            sentence_zh: format!(
                "{}的{}（记录{}）于{}录入，晚{delay_days}天。",
                date_zh(record.event_date),
                record.what_zh,
                record.id,
                date_zh(entered_on)
            ),
            sentence_en: format!(
                "The {} of {} (record {}) was entered on {entered_on}, {delay_days} days later.",
                record.what_en, record.event_date, record.id
            ),
            evidence: vec![record.evidence(
                format!(
                    "{}，于{}录入，晚{delay_days}天",
                    record.what_zh,
                    date_zh(entered_on)
                ),
                format!(
                    "{}, entered on {entered_on}, {delay_days} days later",
                    record.what_en
                ),
            )],
        });
    }
    let considered = entered.len() as u32;
    let percent = (considered > 0)
        .then(|| (u64::from(late) * 100 + u64::from(considered) / 2) / u64::from(considered))
        .map(|value| value as u32);
    let threshold_days = parameters.late_entry_days;
    let (sentence_zh, sentence_en) = match percent {
        Some(_) if late == 0 => (
            format!(
                "{year}年的{considered}条会议和谈心谈话记录都在活动后{threshold_days}天内录入。"
            ),
            format!(
                "All {considered} meeting and talk records of {year} were entered within {threshold_days} days of the event."
            ),
        ),
        Some(percent) => (
            format!(
                "{year}年的{considered}条会议和谈心谈话记录中，有{late}条在活动后满{threshold_days}天才录入（{percent}%）。"
            ),
            format!(
                "Of the {considered} meeting and talk records of {year}, {late} were entered {threshold_days} or more days after the event ({percent}%)."
            ),
        ),
        None => (
            format!("{year}年还没有录入会议或谈心谈话记录。"),
            format!("No meeting or talk records of {year} have been entered yet."),
        ),
    };
    LateEntryShare {
        threshold_days,
        considered,
        late,
        percent,
        sentence_zh,
        sentence_en,
    }
}

/// A fact per day on which records of many months were entered together.
fn entry_batch_facts(
    entered: &[EnteredRecord],
    branch: &Stored<Org>,
    parameters: RegularityParameters,
    facts: &mut Vec<RegularityFact>,
) {
    let mut by_day: BTreeMap<NaiveDate, Vec<&EnteredRecord>> = BTreeMap::new();
    for record in entered {
        by_day.entry(record.entered_on()).or_default().push(record);
    }
    for (day, batch) in by_day {
        let months: BTreeSet<(i32, u32)> = batch
            .iter()
            .map(|record| (record.event_date.year(), record.event_date.month()))
            .collect();
        if (batch.len() as u64) < u64::from(parameters.same_day_entry_min.max(1))
            || (months.len() as u64) < u64::from(parameters.same_day_entry_min_months.max(1))
        {
            continue;
        }
        let event_months: Vec<String> = months
            .iter()
            .map(|(year, month)| format!("{year}-{month:02}"))
            .collect();
        let count = batch.len();
        let month_count = event_months.len();
        let first = event_months.first().cloned().unwrap_or_default();
        let last = event_months.last().cloned().unwrap_or_default();
        let (first_zh, last_zh) = match (months.first(), months.last()) {
            (Some((y1, m1)), Some((y2, m2))) => (format!("{y1}年{m1}月"), format!("{y2}年{m2}月")),
            _ => (String::new(), String::new()),
        };
        let evidence = batch
            .iter()
            .map(|record| {
                record.evidence(
                    format!(
                        "{}，{}举行，于{}录入",
                        record.what_zh,
                        date_zh(record.event_date),
                        date_zh(day)
                    ),
                    format!(
                        "{} of {}, entered on {day}",
                        record.what_en, record.event_date
                    ),
                )
            })
            .collect();
        facts.push(RegularityFact {
            key: format!("entry_batch|{}|{day}", branch.id),
            org_id: OrgId(branch.id),
            org_name: branch.body.name.clone(),
            period: Period::containing(PeriodLength::Month, day),
            detail: FactDetail::EntryBatch { entered_on: day, records: count as u32, event_months },
            sentence_zh: format!("{}一天录入了{count}条记录，活动分布在{first_zh}至{last_zh}间的{month_count}个月。", date_zh(day)),
            sentence_en: format!("{count} records were entered on {day}, of events in {month_count} different months from {first} to {last}."),
            evidence,
        });
    }
}

/// `2025年3月15日`.
fn date_zh(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// `2025年10月、11月` from `["2025-10", "2025-11"]`: the year is written where it changes.
fn months_zh(labels: &[String]) -> String {
    let mut parts = Vec::new();
    let mut last_year = None;
    for label in labels {
        let (year, month) = label.split_once('-').unwrap_or((label.as_str(), ""));
        let month = month.trim_start_matches('0');
        if last_year == Some(year) {
            parts.push(format!("{month}月"));
        } else {
            parts.push(format!("{year}年{month}月"));
            last_year = Some(year);
        }
    }
    parts.join("、")
}

/// How the duty is done in Chinese: `召开` a meeting, `开展` a themed Party day; and the noun for "none".
fn duty_verb_zh(kind: MeetingKind) -> (&'static str, &'static str) {
    match kind {
        MeetingKind::ThemedPartyDay => ("开展", "开展主题党日"),
        MeetingKind::CommitteeMeeting => ("召开", "召开支部委员会会议"),
        MeetingKind::GroupMeeting => ("召开", "召开党小组会"),
        _ => ("召开", "召开会议"),
    }
}

/// The kinds of a meeting, in Chinese (`主题党日、党课`) and English.
fn meeting_label(meeting: &Meeting) -> (String, String) {
    let zh: Vec<&str> = meeting.kinds.iter().map(|kind| kind.name_zh()).collect();
    let en: Vec<&str> = meeting.kinds.iter().map(|kind| kind.name_en()).collect();
    (zh.join("、"), en.join(" and "))
}

/// The serde name of a meeting kind, for fact keys.
pub fn meeting_kind_code(kind: MeetingKind) -> &'static str {
    match kind {
        MeetingKind::GeneralMeeting => "general_meeting",
        MeetingKind::CommitteeMeeting => "committee_meeting",
        MeetingKind::GroupMeeting => "group_meeting",
        MeetingKind::PartyLecture => "party_lecture",
        MeetingKind::ThemedPartyDay => "themed_party_day",
        MeetingKind::OrgLifeMeeting => "org_life_meeting",
        MeetingKind::MemberAppraisal => "member_appraisal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_written_with_the_year_where_it_changes() {
        let labels = ["2025-10", "2025-11", "2026-01"].map(String::from);
        assert_eq!(months_zh(&labels), "2025年10月、11月、2026年1月");
    }

    #[test]
    fn meeting_kind_codes_are_the_serde_names() {
        for kind in [
            MeetingKind::GeneralMeeting,
            MeetingKind::CommitteeMeeting,
            MeetingKind::GroupMeeting,
            MeetingKind::PartyLecture,
            MeetingKind::ThemedPartyDay,
            MeetingKind::OrgLifeMeeting,
            MeetingKind::MemberAppraisal,
        ] {
            assert_eq!(
                serde_json::to_value(kind).expect("serialize"),
                serde_json::Value::String(meeting_kind_code(kind).into())
            );
        }
    }

    #[test]
    fn parameters_read_from_a_partial_settings_file() {
        let parameters: RegularityParameters =
            serde_json::from_str(r#"{"late_entry_days": 14}"#).expect("parse");
        assert_eq!(
            parameters,
            RegularityParameters {
                late_entry_days: 14,
                ..RegularityParameters::default()
            }
        );
        assert!(serde_json::from_str::<RegularityParameters>(r#"{"late_days": 14}"#).is_err());
    }
}
