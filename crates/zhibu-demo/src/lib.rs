//! The deterministic demo organization: a fictional city's municipal organs (中共某市市直机关工作委员会
//! over about forty department Party committees and their branches) with three years of records,
//! including the imperfections real branches have, and a loader that writes them through
//! [`zhibu_storage::Repository`].
//!
//! - [`generate`] plans the city from a [`DemoConfig`] (seed and scale). It is pure and cheap: the
//!   org tree, each branch's shape, the transfers and the planted imperfections.
//! - [`DemoDataset::branch_records`] generates one branch's members, committee terms, meetings and
//!   talks from the plan alone, so a benchmark city of 50,000 branches is produced one branch at a
//!   time with flat memory.
//! - [`load`] writes the city into a repository, branch by branch, and returns what it wrote with the
//!   planted imperfections keyed by the ids storage assigned.
//! - [`DemoDataset::branch_dues`] generates one branch's dues (issue 4): its settings, income
//!   declarations, three years of monthly payments and reliefs, with the planted dues
//!   imperfections (three or six months unpaid, a relief never approved). [`load`] writes them
//!   through the bulk path, only into a repository holding a data key (income is sealed at rest).
//!   Loading the standard city into SQLite (debug build, shared 2-core machine) took 51.1 s, of
//!   which 9.4 s for its 206,777 dues records; 41.7 s without them (docs/PERFORMANCE.md).
//!
//! Ids in a dataset are *local*: org `OrgId(n)` is `dataset.orgs[n - 1]`, members are numbered after
//! the orgs, branch by branch. The loader maps them to the ids storage assigns.
//!
//! Architecture invariant: everything except [`load`] is pure and deterministic. The same config
//! gives the same dataset on every machine: the generator has its own splitmix64 stream per branch,
//! uses no floating point, never reads the clock and iterates no hash map.

mod branch;
mod dates;
// Dues (党费) records of each branch (issue 4).
mod dues;
mod load;
mod names;
mod plan;
// The planted regularity (常态化) facts (issue 7).
mod regularity;
mod rng;
mod showcase;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use zhibu_core::calendar::{add_years, china_date};
use zhibu_core::engine::Snapshot;
use zhibu_core::{
    CommitteeTerm, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId, Record, RecordKind,
    Stored,
};

pub use dues::BranchDues;
pub use load::{DEMO_ACTOR, DemoSummary, RecordCounts, load};
pub use regularity::{PlantedMissedMonth, PlantedRegularity};
pub use showcase::{Showcase, load_showcase};

use crate::dates::{month_label, quarter_label, theme_day};
use crate::plan::{CityPlan, DuesImperfection, Imperfection};

/// A record entered this many days or more after its event is a late entry (补录).
pub const LATE_ENTRY_DAYS: i64 = 30;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoConfig {
    pub seed: u64,
    /// Number of branches; departments, members and records scale with it.
    pub branches: u32,
    /// The day the data is generated "as of": nothing happens on or after it.
    pub today: NaiveDate,
    /// Calendar years of records: the years before today's year plus today's year up to
    /// yesterday. Clamped to 1..=5.
    pub years: u32,
}

impl DemoConfig {
    pub const DEFAULT_BRANCHES: u32 = 300;
    pub const DEFAULT_YEARS: u32 = 3;

    /// The standard demo city (300 branches, three years) for a seed, as of `today`.
    pub fn new(seed: u64, today: NaiveDate) -> DemoConfig {
        DemoConfig {
            seed,
            branches: Self::DEFAULT_BRANCHES,
            today,
            years: Self::DEFAULT_YEARS,
        }
    }

    pub fn with_branches(self, branches: u32) -> DemoConfig {
        DemoConfig { branches, ..self }
    }
}

/// An org with its local id and the instant it was entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgEntry {
    pub id: OrgId,
    pub body: Org,
    pub entered_at: DateTime<Utc>,
}

/// A member record as first entered, with its local id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    pub id: MemberId,
    pub body: Member,
    pub entered_at: DateTime<Utc>,
}

/// A record body and the instant it was entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<T> {
    pub body: T,
    pub entered_at: DateTime<Utc>,
}

/// A member arriving from another branch: an amendment of the record the old branch created, adding
/// the new posting (the transfer ends one posting and starts the next on the same day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferIn {
    pub id: MemberId,
    /// The whole record after the transfer.
    pub body: Member,
    pub entered_at: DateTime<Utc>,
    pub reason: String,
}

/// Everything one branch recorded, each list in the order it was entered. Ids are local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRecords {
    pub branch_id: OrgId,
    /// Members first entered in this branch, including any who later transfer out.
    pub members: Vec<MemberEntry>,
    /// Members who transferred in from a branch generated earlier.
    pub transfers_in: Vec<TransferIn>,
    pub committee_terms: Vec<Entry<CommitteeTerm>>,
    /// Branch meetings and the meetings of its Party groups.
    pub meetings: Vec<Entry<Meeting>>,
    pub talks: Vec<Entry<HeartToHeartTalk>>,
}

/// One imperfection planted on purpose, as the compliance engine should report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planted {
    pub rule_id: &'static str,
    /// The org the finding is about: a local id in a [`DemoDataset`], the stored id in a
    /// [`DemoSummary`].
    pub org_id: OrgId,
    pub org_name: String,
    /// `2025-10` for a month, `2025-Q3` for a quarter, `2025` for a year (and for a finding about
    /// the branch's shape today, which the engine labels with today's year), `YYYY-MM-DD` for the
    /// end of a term (term expiry).
    pub period_label: String,
    pub description_zh: String,
    /// A reminder of a duty not yet missed (the engine's `coming_due` status) rather than a breach.
    pub coming_due: bool,
}

/// A record entered [`LATE_ENTRY_DAYS`] or more after the event it records. The engine does not
/// flag these; they feed the regularity (常态化) view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateEntry {
    pub kind: RecordKind,
    /// The org the record is kept under (a branch, or a Party group for a group meeting).
    pub org_id: OrgId,
    pub org_name: String,
    /// What the record is, in Chinese (e.g. `主题党日、党课`).
    pub what_zh: String,
    pub event_date: NaiveDate,
    pub entered_at: DateTime<Utc>,
    pub delay_days: i64,
    /// The stored id, once loaded; `None` in a [`DemoDataset`].
    pub record_id: Option<i64>,
}

/// A generated city. The org tree, the planted imperfections and the late entries are held;
/// each branch's records are generated on demand from the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDataset {
    pub config: DemoConfig,
    /// Every org, level by level (root, department committees, branches, Party groups). The org
    /// with local id `n` is at index `n - 1`.
    pub orgs: Vec<OrgEntry>,
    pub planted: Vec<Planted>,
    pub late_entries: Vec<LateEntry>,
    plan: CityPlan,
}

/// Plans the city for `config`. Pure and deterministic.
pub fn generate(config: &DemoConfig) -> DemoDataset {
    let output = plan::plan_city(config);
    let mut dataset = DemoDataset {
        config: *config,
        orgs: output.orgs,
        planted: Vec::new(),
        late_entries: Vec::new(),
        plan: output.plan,
    };
    dataset.planted = dataset.planted_list();
    let late_branches: Vec<usize> = (0..dataset.branch_count())
        .filter(|index| dataset.plan.branches[*index].late_month.is_some())
        .collect();
    for index in late_branches {
        let records = dataset.branch_records(index);
        for meeting in &records.meetings {
            if let Some(late) = dataset.late_entry(&meeting.body, meeting.entered_at, None) {
                dataset.late_entries.push(late);
            }
        }
    }
    dataset
}

fn meeting_label_zh(meeting: &Meeting) -> String {
    meeting
        .kinds
        .iter()
        .map(|kind| kind.name_zh())
        .collect::<Vec<_>>()
        .join("、")
}

impl DemoDataset {
    /// The local id of the root, 中共某市市直机关工作委员会.
    pub fn root_id(&self) -> OrgId {
        OrgId(1)
    }

    /// 1 January of the first year of records.
    pub fn first_day(&self) -> NaiveDate {
        self.plan.first_day
    }

    pub fn branch_count(&self) -> usize {
        self.plan.branches.len()
    }

    /// Member records the city holds (a transferred member counts once).
    pub fn member_count(&self) -> u64 {
        self.plan.member_total
    }

    pub fn org(&self, id: OrgId) -> Option<&OrgEntry> {
        usize::try_from(id.0 - 1)
            .ok()
            .and_then(|index| self.orgs.get(index))
    }

    fn org_name(&self, id: OrgId) -> String {
        self.org(id)
            .map(|org| org.body.name.clone())
            .unwrap_or_default()
    }

    /// The records of the `index`-th branch (in load order). Generated afresh on each call.
    pub fn branch_records(&self, index: usize) -> BranchRecords {
        branch::generate_branch(&self.plan, index)
    }

    /// The dues records of the `index`-th branch (issue 4): its settings, income declarations,
    /// payments and reliefs, generated from its `records` (those of [`Self::branch_records`] for
    /// the same index) and the plan. Kept apart from the branch's other records so that callers
    /// that do not keep dues (the benchmark city) do not pay for them.
    pub fn branch_dues(&self, index: usize, records: &BranchRecords) -> BranchDues {
        dues::generate_dues(&self.plan, index, records)
    }

    /// Every branch's records, one branch at a time.
    pub fn branches(&self) -> impl Iterator<Item = BranchRecords> + '_ {
        (0..self.branch_count()).map(|index| self.branch_records(index))
    }

    fn late_entry(
        &self,
        meeting: &Meeting,
        entered_at: DateTime<Utc>,
        record_id: Option<i64>,
    ) -> Option<LateEntry> {
        let delay_days = (china_date(entered_at) - meeting.held_on).num_days();
        (delay_days >= LATE_ENTRY_DAYS).then(|| LateEntry {
            kind: RecordKind::Meeting,
            org_id: meeting.org_id,
            org_name: self.org_name(meeting.org_id),
            what_zh: meeting_label_zh(meeting),
            event_date: meeting.held_on,
            entered_at,
            delay_days,
            record_id,
        })
    }

    fn planted_list(&self) -> Vec<Planted> {
        let today = self.plan.today;
        let mut planted = Vec::new();
        for branch in &self.plan.branches {
            if let Some(imperfection) = branch.dues_imperfection {
                let (rule_id, from, description_zh, coming_due) = match imperfection {
                    DuesImperfection::ThreeMonthsUnpaid { from } => (
                        "DUES.NONPAYMENT.SIX_MONTHS",
                        from,
                        format!(
                            "有1名党员自{}年{}月起连续3个月未交纳党费，应批评教育、限期改正（党费规定第十三条）",
                            from.year(),
                            from.month()
                        ),
                        true,
                    ),
                    DuesImperfection::SixMonthsUnpaid { from } => (
                        "DUES.NONPAYMENT.SIX_MONTHS",
                        from,
                        format!(
                            "有1名党员自{}年{}月起连续6个月未交纳党费，应由支部大会讨论决定（章程第九条、党费规定第十三条）",
                            from.year(),
                            from.month()
                        ),
                        false,
                    ),
                    DuesImperfection::ReliefAwaitingApproval { from } => (
                        "DUES.HARDSHIP",
                        from,
                        format!(
                            "1名党员自{}年{}月起少交党费，经支部研究但未报上级党委批准，减免未生效（党费规定第七条）",
                            from.year(),
                            from.month()
                        ),
                        false,
                    ),
                };
                planted.push(Planted {
                    rule_id,
                    org_id: branch.org_id,
                    org_name: branch.name.clone(),
                    period_label: month_label(from),
                    description_zh,
                    coming_due,
                });
            }
            let Some(imperfection) = &branch.imperfection else {
                continue;
            };
            let mut add = |rule_id: &'static str,
                           period_label: String,
                           description_zh: String,
                           coming_due: bool| {
                planted.push(Planted {
                    rule_id,
                    org_id: branch.org_id,
                    org_name: branch.name.clone(),
                    period_label,
                    description_zh,
                    coming_due,
                });
            };
            let term_end = branch
                .term_dates
                .last()
                .map(|elected| add_years(*elected, i32::from(branch.term_years)));
            match imperfection {
                Imperfection::SkipCommitteeMeeting { month } => add(
                    "BRANCH.COMMITTEE_MEETING.MONTHLY",
                    month_label(*month),
                    format!("{}年{}月未召开支部委员会会议", month.year(), month.month()),
                    false,
                ),
                Imperfection::SkipThemedPartyDay { month } => add(
                    "BRANCH.THEME_DAY.MONTHLY",
                    month_label(*month),
                    format!("{}年{}月未开展主题党日", month.year(), month.month()),
                    false,
                ),
                Imperfection::DecemberCatchUp { year } => {
                    for month in [10, 11] {
                        add(
                            "BRANCH.COMMITTEE_MEETING.MONTHLY",
                            format!("{year}-{month:02}"),
                            format!(
                                "{year}年{month}月未召开支部委员会会议（当年12月集中召开3次补齐）"
                            ),
                            false,
                        );
                    }
                }
                Imperfection::CommitteeWithoutQuorum { month } => {
                    let held_on =
                        theme_day(month.year(), month.month(), branch.theme_day) - dates::days(1);
                    add(
                        "BRANCH.COMMITTEE_MEETING.MONTHLY",
                        month_label(*month),
                        format!(
                            "{}年{}月唯一一次支部委员会会议（{held_on}）到会委员不足半数，会议不能成立",
                            month.year(),
                            month.month()
                        ),
                        false,
                    );
                }
                Imperfection::TermExpired => {
                    if let Some(end) = term_end {
                        add(
                            "BRANCH.COMMITTEE.TERM_EXPIRY",
                            end.to_string(),
                            format!("支部委员会已于{end}任期届满，未按期换届"),
                            false,
                        );
                    }
                }
                Imperfection::TermComingDue => {
                    if let Some(end) = term_end {
                        add(
                            "BRANCH.COMMITTEE.TERM_EXPIRY",
                            end.to_string(),
                            format!("支部委员会将于{end}任期届满，应做好换届准备"),
                            true,
                        );
                    }
                }
                Imperfection::BelowThreeFullMembers => {
                    let on = branch
                        .transfer_out
                        .map(|transfer| self.plan.transfers[transfer].on.to_string())
                        .unwrap_or_default();
                    add(
                        "BRANCH.SETUP.MIN_FULL_MEMBERS",
                        today.year().to_string(),
                        format!(
                            "{on}有1名正式党员组织关系转出，现有正式党员2名、预备党员1名，正式党员不足3名"
                        ),
                        false,
                    );
                }
                Imperfection::NoGeneralMeeting { quarter } => add(
                    "BRANCH.GENERAL_MEETING.QUARTERLY",
                    quarter_label(*quarter),
                    format!(
                        "{}年第{}季度未召开支部党员大会",
                        quarter.year(),
                        (quarter.month() - 1) / 3 + 1
                    ),
                    false,
                ),
            }
        }
        planted
    }

    /// The whole city as the compliance engine's input, with local ids: orgs and members keep
    /// theirs, and terms, meetings and talks are numbered after the members. Meant for tests and
    /// for evaluating the engine without a database; it holds every record in memory.
    pub fn snapshot(&self) -> Snapshot {
        fn stored<T: Record>(id: i64, body: T, entered_at: DateTime<Utc>) -> Stored<T> {
            Stored {
                id,
                version: 1,
                event_date: body.event_date(),
                first_entered_at: entered_at,
                last_changed_at: entered_at,
                body,
            }
        }
        let mut snapshot = Snapshot {
            orgs: self
                .orgs
                .iter()
                .map(|org| stored(org.id.0, org.body.clone(), org.entered_at))
                .collect(),
            ..Snapshot::default()
        };
        let mut next_id = self.orgs.len() as i64 + 1 + self.plan.member_total as i64;
        let mut members: BTreeMap<i64, Stored<Member>> = BTreeMap::new();
        let mut dues_records = Vec::new();
        for (index, records) in self.branches().enumerate() {
            dues_records.push(self.branch_dues(index, &records));
            for member in records.members {
                members.insert(
                    member.id.0,
                    stored(member.id.0, member.body, member.entered_at),
                );
            }
            for transfer in records.transfers_in {
                if let Some(member) = members.get_mut(&transfer.id.0) {
                    member.version += 1;
                    member.event_date = transfer.body.event_date();
                    member.last_changed_at = transfer.entered_at;
                    member.body = transfer.body;
                }
            }
            for term in records.committee_terms {
                snapshot
                    .committee_terms
                    .push(stored(next_id, term.body, term.entered_at));
                next_id += 1;
            }
            for meeting in records.meetings {
                snapshot
                    .meetings
                    .push(stored(next_id, meeting.body, meeting.entered_at));
                next_id += 1;
            }
            for talk in records.talks {
                snapshot
                    .talks
                    .push(stored(next_id, talk.body, talk.entered_at));
                next_id += 1;
            }
        }
        for dues in dues_records {
            for policy in dues.policies {
                snapshot
                    .dues_policies
                    .push(stored(next_id, policy.body, policy.entered_at));
                next_id += 1;
            }
            for declaration in dues.declarations {
                snapshot.income_declarations.push(stored(
                    next_id,
                    declaration.body,
                    declaration.entered_at,
                ));
                next_id += 1;
            }
            for payment in dues.payments {
                snapshot
                    .dues_payments
                    .push(stored(next_id, payment.body, payment.entered_at));
                next_id += 1;
            }
            for relief in dues.reliefs {
                snapshot
                    .dues_reliefs
                    .push(stored(next_id, relief.body, relief.entered_at));
                next_id += 1;
            }
        }
        snapshot.members = members.into_values().collect();
        snapshot
    }
}
