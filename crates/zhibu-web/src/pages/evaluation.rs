//! The findings cache: one evaluation of the rules per (organization, year, today), reused until
//! anything is written.
//!
//! Evaluating the engine over a committee of 300 branches for a year means loading every member,
//! meeting and talk of the subtree and takes far longer than a page may. Pages therefore share one
//! [`Evaluation`] per key. Its validity is checked against a generation counter: the sequence
//! number of the head of the history chain. Every create, amendment and deletion appends to that
//! chain in the same transaction as the write, so any write (through a page, the JSON API, the
//! CLI, or another server on the same database) moves the counter on and the next page evaluates
//! afresh. Reading the head is one small query, which is what a page pays on a warm cache.
//!
//! Entries also lapse with "today" (the key holds it): a new day can turn a duty from coming due
//! into missed without any write.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, NaiveDate};
use zhibu_core::calendar::last_day_of_month;
use zhibu_core::engine::{self, EvaluationRequest, Finding, Report};
use zhibu_core::{MemberId, Org, OrgId, OrgLevel};
use zhibu_storage::{Repository, StorageError};

/// How many evaluations are kept at most. Each holds a report and the names of a subtree; a few
/// dozen cover every committee and branch that is being looked at on a given day.
const MAX_ENTRIES: usize = 64;

/// An org as the pages need it.
#[derive(Debug, Clone)]
pub struct OrgSummary {
    pub id: OrgId,
    pub name: String,
    pub level: OrgLevel,
    pub parent_id: Option<OrgId>,
    pub established_on: NaiveDate,
    pub dissolved_on: Option<NaiveDate>,
}

impl OrgSummary {
    fn new(id: OrgId, org: &Org) -> OrgSummary {
        OrgSummary {
            id,
            name: org.name.clone(),
            level: org.level,
            parent_id: org.parent_id,
            established_on: org.established_on,
            dissolved_on: org.dissolved_on,
        }
    }

    /// Whether the org existed at some time during `year`.
    pub fn exists_in(&self, year: i32) -> bool {
        self.established_on.year() <= year && self.dissolved_on.is_none_or(|end| end.year() >= year)
    }
}

/// One evaluation of an org's subtree for a year, as of a day.
#[derive(Debug)]
pub struct Evaluation {
    pub root: OrgId,
    pub year: i32,
    pub today: NaiveDate,
    /// The chain head this evaluation was made at.
    pub generation: i64,
    pub report: Report,
    /// The orgs of the subtree and its ancestors, by id.
    pub orgs: BTreeMap<OrgId, OrgSummary>,
    /// Member names of the subtree, to name who must act and whom evidence is about.
    pub member_names: HashMap<MemberId, String>,
}

impl Evaluation {
    /// The branches of the subtree that existed during the year, in tree order (by their parent,
    /// then by id), so that branches of one committee stay together.
    pub fn branches(&self) -> Vec<&OrgSummary> {
        let mut branches: Vec<&OrgSummary> = self
            .orgs
            .values()
            .filter(|org| org.level == OrgLevel::Branch && org.exists_in(self.year))
            .filter(|org| self.is_within(org.id))
            .collect();
        branches.sort_by_key(|org| (org.parent_id, org.id));
        branches
    }

    /// Whether `org` is the root or below it.
    pub fn is_within(&self, org: OrgId) -> bool {
        let mut current = Some(org);
        // The tree is at most a handful of levels deep; the bound guards against a cycle in
        // damaged data rather than looping for ever.
        for _ in 0..32 {
            match current {
                Some(id) if id == self.root => return true,
                Some(id) => current = self.orgs.get(&id).and_then(|org| org.parent_id),
                None => return false,
            }
        }
        false
    }

    pub fn org_name(&self, id: OrgId) -> String {
        self.orgs
            .get(&id)
            .map(|org| org.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    pub fn member_name(&self, id: MemberId) -> String {
        self.member_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The day structural rules were judged on: today in the current year, 31 December in a past one.
    pub fn reference_day(&self) -> NaiveDate {
        year_end(self.year).min(self.today)
    }

    /// The month (1–12) of the year a finding is counted in: the last month of its period (when
    /// the duty was missed), or, for findings about the branch's shape that have no period, the
    /// month of the day they were judged on. `None` for a finding outside the year.
    pub fn month_of(&self, finding: &Finding) -> Option<u32> {
        let day = match finding.period {
            Some(period) => period.last_day.min(self.reference_day()),
            None => self.reference_day(),
        };
        (day.year() == self.year).then(|| day.month())
    }

    /// The branch a finding belongs to: its org, or the branch above the party group it names.
    pub fn branch_of(&self, finding: &Finding) -> OrgId {
        match self.orgs.get(&finding.org_id) {
            Some(org) if org.level == OrgLevel::PartyGroup => {
                org.parent_id.unwrap_or(finding.org_id)
            }
            _ => finding.org_id,
        }
    }
}

pub fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

pub fn year_end(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Days from `today` to the end of its month: duties that fall due by then are "due this month".
pub fn days_to_month_end(today: NaiveDate) -> u32 {
    last_day_of_month(today.year(), today.month()).saturating_sub(today.day())
}

type Key = (OrgId, i32, NaiveDate);

/// The cache itself; shared by every page handler.
#[derive(Default)]
pub struct FindingsCache {
    entries: Mutex<HashMap<Key, Arc<Evaluation>>>,
}

impl FindingsCache {
    pub fn new() -> FindingsCache {
        FindingsCache::default()
    }

    /// The evaluation of `root`'s subtree for `year` as of `today`, from the cache when nothing
    /// has been written since it was made.
    pub async fn evaluation(
        &self,
        repository: &Repository,
        root: OrgId,
        year: i32,
        today: NaiveDate,
    ) -> Result<Arc<Evaluation>, StorageError> {
        let generation = current_generation(repository).await?;
        let key = (root, year, today);
        if let Some(entry) = self.lock().get(&key)
            && entry.generation == generation
        {
            return Ok(entry.clone());
        }
        // Evaluated outside the lock: two requests that miss together both evaluate, which costs
        // time but never blocks a page behind another's evaluation.
        let evaluation = Arc::new(evaluate(repository, root, year, today, generation).await?);
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|(_, _, day), entry| entry.generation == generation && *day == today);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, evaluation.clone());
        Ok(evaluation)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Evaluation>>> {
        // A panic while holding the lock leaves only a map of finished evaluations behind, which
        // is still valid: carry on with it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The generation counter: the sequence number of the last version in the history chain.
pub async fn current_generation(repository: &Repository) -> Result<i64, StorageError> {
    Ok(repository
        .backend()
        .chain_head()
        .await?
        .map_or(0, |head| head.seq))
}

async fn evaluate(
    repository: &Repository,
    root: OrgId,
    year: i32,
    today: NaiveDate,
    generation: i64,
) -> Result<Evaluation, StorageError> {
    let (from, to) = (year_start(year), year_end(year));
    let snapshot = repository.load_snapshot(root, from, to).await?;
    let request = EvaluationRequest {
        root,
        from,
        to,
        today,
        horizon_days: days_to_month_end(today),
    };
    let report = engine::evaluate(repository.catalogue(), &snapshot, &request);
    let orgs = snapshot
        .orgs
        .iter()
        .map(|org| (OrgId(org.id), OrgSummary::new(OrgId(org.id), &org.body)))
        .collect();
    let member_names = snapshot
        .members
        .iter()
        .map(|member| (MemberId(member.id), member.body.name.clone()))
        .collect();
    Ok(Evaluation {
        root,
        year,
        today,
        generation,
        report,
        orgs,
        member_names,
    })
}
