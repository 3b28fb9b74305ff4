//! Stored findings: the engine's findings for every branch of a tenant and year, persisted
//! (migration 5) so that a committee dashboard over thousands of branches reads counts instead of
//! loading the subtree and evaluating the rules.
//!
//! **Invariant: the stored findings equal a fresh evaluation.** For a tenant and year, the rows
//! are exactly what `engine::evaluate` gives for the tenant's root over the records as they stood
//! at the state's `generation` (the `seq` of the chain head taken into account), judged on the
//! state's `as_of` day with that day's coming-due horizon. [`FindingsKeeper`] keeps them so:
//!
//! - a **full re-check** ([`crate::recheck::Rechecker::full`]) rebuilds every row of the tenant
//!   and year in one transaction;
//! - after **writes**, the keeper reads the chain entries since the stored generation, re-checks
//!   only the branches they reach ([`crate::recheck::Rechecker::catch_up`]) and replaces those
//!   branches' rows and the generation in one transaction, on the condition that the stored
//!   generation is still the one it started from (a second server doing the same is refused,
//!   not interleaved);
//! - on a **new day** (findings depend on today: a duty becomes overdue when its period ends, the
//!   coming-due horizon is the rest of the month) the next request, or the keeper's daily tick,
//!   starts a full re-check; until it is stored, readers get the previous day's findings with
//!   their `as_of` day, and the pages say so.
//!
//! Tests: `stored_findings_equal_a_fresh_evaluation_after_random_edits` (zhibu-bench, on SQLite
//! and PostgreSQL).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use zhibu_core::OrgId;
use zhibu_core::calendar::last_day_of_month;
use zhibu_core::engine::{Finding, FindingStatus};

use crate::recheck::{DEFAULT_CHUNK_BRANCHES, OrgTree, RecheckScope, Rechecker};
use crate::{Repository, StorageError};

/// What the stored findings of a tenant and year are current with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsState {
    pub tenant: i64,
    pub year: i32,
    /// The `seq` of the last chain entry taken into account.
    pub generation: i64,
    /// The day the findings were judged on.
    pub as_of: NaiveDate,
    /// The coming-due horizon of that day (the rest of its month).
    pub horizon_days: u32,
    /// When the rows last changed.
    pub refreshed_at: DateTime<Utc>,
    /// Branches of the tenant at the last full re-check.
    pub branches: i64,
}

/// One stored finding and where it is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinding {
    pub branch_id: i64,
    pub branch_path: String,
    /// The month of the year it is counted in (1–12), 0 when outside the year.
    pub month: u32,
    pub finding: Finding,
}

/// Stored findings counted by branch, month, rule, status and exemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCount {
    pub branch_path: String,
    pub month: u32,
    pub rule_id: String,
    pub status: FindingStatus,
    pub exempted: bool,
    pub count: u64,
    pub title_zh: String,
    pub title_en: String,
}

impl FindingCount {
    /// Open: not exempted and not merely coming due.
    pub fn is_open(&self) -> bool {
        !self.exempted && self.status != FindingStatus::ComingDue
    }
}

/// Which stored findings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Open findings (not exempted, not coming due).
    Open,
    Exempted,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingFilter {
    /// Branch paths in `path_from..path_to` (byte order): a subtree is `path..subtree_end(path)`.
    pub path_from: String,
    pub path_to: String,
    pub month: Option<u32>,
    pub rule: Option<String>,
    pub status: StatusFilter,
    /// At most this many, in tree order (by branch path, then the engine's order in the branch).
    pub limit: u32,
}

/// Which rows a store replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace<'a> {
    /// Every row of the tenant and year (a full re-check). Refused when the stored state is of a
    /// later day, or of the same day at a later generation.
    All,
    /// The rows of these branches only (a catch-up), on the condition that the stored state is of
    /// the same day and horizon at `expected_generation`.
    Branches {
        paths: &'a [String],
        expected_generation: i64,
    },
}

/// The database side of stored findings; each backend implements it with its own SQL.
#[async_trait]
pub trait FindingStore: Send + Sync {
    async fn findings_state(
        &self,
        tenant: i64,
        year: i32,
    ) -> Result<Option<FindingsState>, StorageError>;

    /// Replaces rows and the state in one transaction. Returns `false`, writing nothing, when the
    /// condition of `replace` does not hold (another writer got there first).
    async fn store_findings(
        &self,
        state: &FindingsState,
        replace: Replace<'_>,
        findings: &[StoredFinding],
    ) -> Result<bool, StorageError>;

    /// Counts of the findings of branches whose path lies in `path_from..path_to`.
    async fn finding_counts(
        &self,
        tenant: i64,
        year: i32,
        path_from: &str,
        path_to: &str,
    ) -> Result<Vec<FindingCount>, StorageError>;

    async fn list_findings(
        &self,
        tenant: i64,
        year: i32,
        filter: &FindingFilter,
    ) -> Result<Vec<StoredFinding>, StorageError>;
}

/// The text a status is stored as (its serde name).
pub fn status_text(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::Missing => "missing",
        FindingStatus::Invalid => "invalid",
        FindingStatus::Overdue => "overdue",
        FindingStatus::Noncompliant => "noncompliant",
        FindingStatus::ComingDue => "coming_due",
    }
}

pub fn parse_status(text: &str) -> Option<FindingStatus> {
    [
        FindingStatus::Missing,
        FindingStatus::Invalid,
        FindingStatus::Overdue,
        FindingStatus::Noncompliant,
        FindingStatus::ComingDue,
    ]
    .into_iter()
    .find(|status| status_text(*status) == text)
}

/// The coming-due horizon the pages use on `today`: the rest of its month, so that "due this
/// month" means what it says.
pub fn horizon_for(today: NaiveDate) -> u32 {
    last_day_of_month(today.year(), today.month()).saturating_sub(today.day())
}

/// The month of `year` a finding is counted in: the last month of its period (when the duty was
/// missed), or, for findings about a branch's shape that have no period, the month of the day they
/// were judged on (today in the current year, 31 December in a past one). 0 when that day is
/// outside the year.
pub fn month_counted(finding: &Finding, year: i32, today: NaiveDate) -> u32 {
    let reference = NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or(NaiveDate::MAX)
        .min(today);
    let day = match finding.period {
        Some(period) => period.last_day.min(reference),
        None => reference,
    };
    if day.year() == year { day.month() } else { 0 }
}

/// The rows to store for one branch's findings (in the engine's order).
pub fn stored_rows(
    branch: OrgId,
    branch_path: &str,
    findings: &[Finding],
    year: i32,
    today: NaiveDate,
) -> Vec<StoredFinding> {
    findings
        .iter()
        .map(|finding| StoredFinding {
            branch_id: branch.0,
            branch_path: branch_path.to_string(),
            month: month_counted(finding, year, today),
            finding: finding.clone(),
        })
        .collect()
}

/// The finding store of a repository's database, or an error naming what is missing.
pub fn finding_store(repository: &Repository) -> Result<&dyn FindingStore, StorageError> {
    repository.backend().finding_store().ok_or_else(|| {
        StorageError::Database(
            "this database keeps no stored findings / 此数据库不保存检查结果".into(),
        )
    })
}

/// What a reader gets: the stored state, whether it is current (the chain head and today), and
/// the tenant's tree of orgs as of the last refresh made by this process (names for the pages).
#[derive(Clone)]
pub struct KeptFindings {
    pub state: FindingsState,
    pub current: bool,
    pub tree: Arc<OrgTree>,
}

/// Where the outcome of a running refresh appears (`None` while it runs).
type RefreshOutcome = tokio::sync::watch::Receiver<Option<Result<(), String>>>;

/// One tenant and year as this process keeps them.
#[derive(Default)]
struct Slot {
    /// The re-checker of the last refresh: its tree, and its findings when it made a full pass.
    rechecker: tokio::sync::Mutex<Option<Rechecker>>,
    /// The refresh running now, if any; readers wait on it.
    running: Mutex<Option<RefreshOutcome>>,
    tree: Mutex<Option<Arc<OrgTree>>>,
}

/// Keeps the stored findings current for the tenants and years that are read (see the module
/// documentation), one refresh at a time per tenant and year.
pub struct FindingsKeeper {
    repository: Repository,
    chunk_branches: usize,
    slots: Mutex<HashMap<(i64, i32), Arc<Slot>>>,
}

impl FindingsKeeper {
    pub fn new(repository: Repository) -> FindingsKeeper {
        FindingsKeeper {
            repository,
            chunk_branches: DEFAULT_CHUNK_BRANCHES,
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    fn slot(&self, tenant: i64, year: i32) -> Arc<Slot> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        slots.entry((tenant, year)).or_default().clone()
    }

    /// Whether `state` is current: judged today and at the chain head.
    async fn is_current(
        &self,
        state: &FindingsState,
        today: NaiveDate,
    ) -> Result<bool, StorageError> {
        let head = self
            .repository
            .backend()
            .chain_head()
            .await?
            .map_or(0, |head| head.seq);
        Ok(state.as_of == today
            && state.horizon_days == horizon_for(today)
            && state.generation >= head)
    }

    /// The stored findings of `tenant` for `year`, brought up to date with the chain head and
    /// `today` first if that takes at most `wait`. When it takes longer (a full re-check of a large
    /// tenant on a new day), the refresh goes on in the background and the reader gets what is
    /// stored, marked not current; `None` when nothing is stored yet.
    pub async fn current(
        self: &Arc<Self>,
        tenant: i64,
        year: i32,
        today: NaiveDate,
        wait: Duration,
    ) -> Result<Option<KeptFindings>, StorageError> {
        let store = finding_store(&self.repository)?;
        let slot = self.slot(tenant, year);
        let stored = store.findings_state(tenant, year).await?;
        let tree = slot
            .tree
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone();
        if let (Some(state), Some(tree)) = (&stored, &tree)
            && self.is_current(state, today).await?
        {
            return Ok(Some(KeptFindings {
                state: state.clone(),
                current: true,
                tree: tree.clone(),
            }));
        }
        let mut receiver = self.start_refresh(&slot, tenant, year, today);
        let failed: Option<String> =
            match tokio::time::timeout(wait, receiver.wait_for(Option::is_some)).await {
                Ok(Ok(done)) => match done.as_ref() {
                    Some(Err(message)) => Some(message.clone()),
                    _ => None,
                },
                _ => None,
            };
        if let Some(message) = failed {
            return Err(StorageError::Database(message.into()));
        }
        let Some(state) = store.findings_state(tenant, year).await? else {
            return Ok(None);
        };
        let tree = slot
            .tree
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone();
        let Some(tree) = tree else {
            return Ok(None);
        };
        let current = self.is_current(&state, today).await?;
        Ok(Some(KeptFindings {
            state,
            current,
            tree,
        }))
    }

    /// Starts a refresh of every tenant and year read so far, unless one is running: run once a
    /// minute by the server, it starts the new day's full re-check soon after midnight (China
    /// Standard Time, as `today` is) and applies writes made by other processes.
    pub fn tick(self: &Arc<Self>, today: NaiveDate) {
        let keys: Vec<(i64, i32)> = self
            .slots
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .keys()
            .copied()
            .collect();
        for (tenant, year) in keys {
            let slot = self.slot(tenant, year);
            let _ = self.start_refresh(&slot, tenant, year, today);
        }
    }

    /// Starts a refresh of the slot unless one is running; returns where its outcome appears.
    fn start_refresh(
        self: &Arc<Self>,
        slot: &Arc<Slot>,
        tenant: i64,
        year: i32,
        today: NaiveDate,
    ) -> RefreshOutcome {
        let mut running = slot
            .running
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(receiver) = running.as_ref() {
            return receiver.clone();
        }
        let (sender, receiver) = tokio::sync::watch::channel(None);
        *running = Some(receiver.clone());
        drop(running);
        let keeper = self.clone();
        let slot = slot.clone();
        tokio::spawn(async move {
            let outcome = keeper
                .refresh(&slot, tenant, year, today)
                .await
                .map_err(|error| error.to_string());
            *slot
                .running
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()) = None;
            let _ = sender.send(Some(outcome));
        });
        receiver
    }

    /// Brings the stored findings of the slot up to date, now (the caller waits).
    pub async fn refresh_now(
        &self,
        tenant: i64,
        year: i32,
        today: NaiveDate,
    ) -> Result<FindingsState, StorageError> {
        let slot = self.slot(tenant, year);
        self.refresh(&slot, tenant, year, today).await?;
        finding_store(&self.repository)?
            .findings_state(tenant, year)
            .await?
            .ok_or_else(|| StorageError::Database("stored findings missing after refresh".into()))
    }

    async fn refresh(
        &self,
        slot: &Slot,
        tenant: i64,
        year: i32,
        today: NaiveDate,
    ) -> Result<(), StorageError> {
        let store = finding_store(&self.repository)?;
        let scope = RecheckScope {
            tenant: OrgId(tenant),
            year,
            today,
            horizon_days: horizon_for(today),
        };
        let mut guard = slot.rechecker.lock().await;
        // A few attempts: another server may store between our read of the state and our write.
        for _ in 0..3 {
            let stored = store.findings_state(tenant, year).await?;
            let same_day = stored.as_ref().is_some_and(|state| {
                state.as_of == today && state.horizon_days == scope.horizon_days
            });
            if !same_day {
                if stored.as_ref().is_some_and(|state| state.as_of > today) {
                    // Another server has already moved on to a later day: nothing to do here.
                    return Ok(());
                }
                let (mut rechecker, _) =
                    Rechecker::full(&self.repository, scope, self.chunk_branches).await?;
                let state = rechecker.state(self.repository.now());
                let rows = rechecker.stored_rows_all();
                if store.store_findings(&state, Replace::All, &rows).await? {
                    self.publish(slot, &rechecker);
                    // Writes made during the pass are applied now.
                    let from = rechecker.generation();
                    let outcome = rechecker.catch_up().await?;
                    if rechecker.generation() > from {
                        persist_catch_up(store, &rechecker, &outcome, from, self.repository.now())
                            .await?;
                    }
                    self.publish(slot, &rechecker);
                    *guard = Some(rechecker);
                    return Ok(());
                }
                continue;
            }
            let Some(state) = stored else { continue };
            let mut rechecker = match guard.take() {
                Some(rechecker)
                    if rechecker.scope() == scope && rechecker.generation() == state.generation =>
                {
                    rechecker
                }
                _ => Rechecker::resume(&self.repository, scope, state.generation).await?,
            };
            let from = rechecker.generation();
            let outcome = rechecker.catch_up().await?;
            let stored_ok = if outcome.full {
                let state = rechecker.state(self.repository.now());
                store
                    .store_findings(&state, Replace::All, &rechecker.stored_rows_all())
                    .await?
            } else if rechecker.generation() > from {
                persist_catch_up(store, &rechecker, &outcome, from, self.repository.now()).await?
            } else {
                true
            };
            self.publish(slot, &rechecker);
            if stored_ok {
                *guard = Some(rechecker);
                return Ok(());
            }
        }
        Ok(())
    }

    fn publish(&self, slot: &Slot, rechecker: &Rechecker) {
        *slot
            .tree
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(rechecker.org_tree());
    }
}

/// Stores the branches a catch-up re-checked, moving the generation on from `from`.
async fn persist_catch_up(
    store: &dyn FindingStore,
    rechecker: &Rechecker,
    outcome: &crate::recheck::CatchUp,
    from: i64,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let tree = rechecker.org_tree();
    let mut paths = Vec::new();
    let mut rows = Vec::new();
    for branch in &outcome.branches {
        if let Some(node) = tree.node(*branch) {
            paths.push(node.path.clone());
            rows.extend(rechecker.stored_rows_of(*branch));
        }
    }
    // A branch deleted since keeps no rows.
    paths.extend(outcome.removed_paths.iter().cloned());
    let mut state = rechecker.state(now);
    state.generation = rechecker.generation();
    store
        .store_findings(
            &state,
            Replace::Branches {
                paths: &paths,
                expected_generation: from,
            },
            &rows,
        )
        .await
}
