//! Typed, validated, versioned access to records, written once over [`Backend`].

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use zhibu_core::admission::AdmissionRecord;
use zhibu_core::dues::{BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration};
use zhibu_core::engine::Snapshot;
use zhibu_core::rules::{Catalogue, LocalRule};
use zhibu_core::{
    ChangeOperation, CommitteeTerm, Exemption, FieldError, HeartToHeartTalk, Meeting, Member, Org,
    OrgId, Record, RecordKind, RecordVersion, Stored, ValidationErrors,
};

use crate::context::ContextCheck;
use crate::hashing::{GENESIS_HASH, version_hash};
use crate::sealing::{DataKey, may_hold_sealed, open_personal, seal_personal};
use crate::{
    AccountStore, Backend, ChainEntry, ChainHead, RecordQuery, RecordRow, StorageError, Transaction,
};

/// Who is making a change and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeMeta {
    pub actor: String,
    /// Required for amendments and deletions.
    pub reason: Option<String>,
    /// A create repeated with the same key returns the first record instead of a second one.
    pub idempotency_key: Option<String>,
    /// Only for trusted bulk loads (the demo generator, imports of historical data): the instant
    /// the record was originally entered. `None` means now.
    pub entered_at: Option<DateTime<Utc>>,
}

impl ChangeMeta {
    pub fn by(actor: &str) -> ChangeMeta {
        ChangeMeta {
            actor: actor.to_string(),
            ..ChangeMeta::default()
        }
    }

    pub fn because(actor: &str, reason: &str) -> ChangeMeta {
        ChangeMeta {
            actor: actor.to_string(),
            reason: Some(reason.to_string()),
            ..ChangeMeta::default()
        }
    }
}

/// Where "now" comes from, so that tests can fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Which records to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// Only records in this org's subtree.
    pub subtree: Option<OrgId>,
    pub event_from: Option<NaiveDate>,
    pub event_to: Option<NaiveDate>,
    pub after_id: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after_id` for the next page; `None` on the last page.
    pub next_after: Option<i64>,
}

#[derive(Clone)]
pub struct Repository {
    backend: Arc<dyn Backend>,
    catalogue: Arc<Catalogue>,
    clock: Arc<dyn Clock>,
    /// Seals personal data at rest (`crate::sealing`); `None` refuses any record holding some.
    data_key: Option<Arc<DataKey>>,
}

pub(crate) fn decode<T: Record>(row: &RecordRow) -> Result<Stored<T>, StorageError> {
    let body = serde_json::from_str(&row.body).map_err(|error| StorageError::Corrupt {
        id: row.id,
        message: error.to_string(),
    })?;
    Ok(Stored {
        id: row.id,
        version: row.version,
        event_date: row.event_date,
        first_entered_at: row.first_entered_at,
        last_changed_at: row.last_changed_at,
        body,
    })
}

/// The branches (id, path) a member's postings name whose path is not `member_path`, the one the
/// member's record is kept under: what `member_postings_elsewhere` holds for them (migration 5).
/// `known` holds org paths already at hand (a bulk load's own orgs); others are read.
async fn postings_elsewhere(
    tx: &mut dyn Transaction,
    member_id: i64,
    member_path: &str,
    body: &str,
    known: &std::collections::HashMap<i64, String>,
) -> Result<Vec<(i64, String)>, StorageError> {
    let member: Member = serde_json::from_str(body).map_err(|error| StorageError::Corrupt {
        id: member_id,
        message: error.to_string(),
    })?;
    let mut branches: Vec<i64> = member
        .postings
        .iter()
        .map(|posting| posting.branch_id.0)
        .collect();
    branches.sort_unstable();
    branches.dedup();
    let mut elsewhere = Vec::new();
    for branch in branches {
        if member_path.ends_with(&format!("/{branch}/")) {
            continue;
        }
        let path = match known.get(&branch) {
            Some(path) => path.clone(),
            None => match tx.get(branch).await? {
                Some(row) => row.org_path,
                None => continue,
            },
        };
        if path != member_path {
            elsewhere.push((branch, path));
        }
    }
    Ok(elsewhere)
}

fn encode<T: Record>(body: &T) -> Result<String, StorageError> {
    serde_json::to_string(body).map_err(StorageError::database)
}

fn require_reason(meta: &ChangeMeta) -> Result<String, StorageError> {
    match meta.reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => Ok(reason.to_string()),
        _ => Err(StorageError::Invalid(ValidationErrors::single(
            FieldError::new(
                "reason",
                "required",
                "修改或删除记录须说明理由",
                "an amendment or deletion needs a reason",
            ),
        ))),
    }
}

fn require_actor(meta: &ChangeMeta) -> Result<(), StorageError> {
    if meta.actor.trim().is_empty() {
        return Err(StorageError::Invalid(ValidationErrors::single(
            FieldError::new("actor", "required", "须注明操作人", "the actor is required"),
        )));
    }
    Ok(())
}

impl Repository {
    pub fn new(backend: Arc<dyn Backend>, catalogue: Arc<Catalogue>) -> Repository {
        Repository {
            backend,
            catalogue,
            clock: Arc::new(SystemClock),
            data_key: None,
        }
    }

    /// The key that seals personal data at rest (see `crate::sealing`).
    pub fn with_data_key(mut self, key: Arc<DataKey>) -> Repository {
        self.data_key = Some(key);
        self
    }

    pub fn data_key(&self) -> Option<&DataKey> {
        self.data_key.as_deref()
    }

    /// The body as it is written and hashed: personal fields sealed.
    pub fn encode_sealed<T: Record>(&self, body: &T) -> Result<String, StorageError> {
        let text = encode(body)?;
        self.seal_text(T::PERSONAL_FIELDS, text)
    }

    pub(crate) fn seal_text(&self, fields: &[&str], text: String) -> Result<String, StorageError> {
        if fields.is_empty() {
            return Ok(text);
        }
        let mut value: serde_json::Value =
            serde_json::from_str(&text).map_err(StorageError::database)?;
        if !seal_personal(&mut value, fields, self.data_key.as_deref())? {
            // Nothing personal in it: keep the text exactly as serialized.
            return Ok(text);
        }
        serde_json::to_string(&value).map_err(StorageError::database)
    }

    /// Reads a row with its personal fields opened by the data key.
    pub fn open_row<T: Record>(&self, row: &RecordRow) -> Result<Stored<T>, StorageError> {
        if T::PERSONAL_FIELDS.is_empty() || !may_hold_sealed(&row.body) {
            return decode(row);
        }
        let mut value: serde_json::Value =
            serde_json::from_str(&row.body).map_err(|error| StorageError::Corrupt {
                id: row.id,
                message: error.to_string(),
            })?;
        open_personal(&mut value, T::PERSONAL_FIELDS, self.data_key.as_deref())?;
        let body = serde_json::from_value(value).map_err(|error| StorageError::Corrupt {
            id: row.id,
            message: error.to_string(),
        })?;
        Ok(Stored {
            id: row.id,
            version: row.version,
            event_date: row.event_date,
            first_entered_at: row.first_entered_at,
            last_changed_at: row.last_changed_at,
            body,
        })
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Repository {
        self.clock = clock;
        self
    }

    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// Accounts, sessions and the audit log, kept in the same database outside the chain.
    pub fn accounts(&self) -> &dyn AccountStore {
        self.backend.accounts()
    }

    /// Now, by the repository's clock (fixed in tests).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    fn entered_at(&self, meta: &ChangeMeta) -> DateTime<Utc> {
        meta.entered_at
            .unwrap_or_else(|| self.clock.now())
            .trunc_subsecs(6)
    }

    /// Appends one version to the chain and moves the head.
    pub(crate) async fn append(
        tx: &mut dyn Transaction,
        head: &mut Option<ChainHead>,
        row: &RecordRow,
        operation: ChangeOperation,
        meta: &ChangeMeta,
        entered_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let (seq, previous_hash) = match head {
            Some(head) => (head.seq + 1, head.hash.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let mut entry = ChainEntry {
            seq,
            record_id: row.id,
            kind: row.kind,
            version: row.version,
            operation,
            org_path: row.org_path.clone(),
            event_date: row.event_date,
            entered_at,
            actor: meta.actor.clone(),
            reason: meta.reason.clone(),
            body: row.body.clone(),
            previous_hash,
            hash: String::new(),
        };
        entry.hash = version_hash(&entry);
        tx.append_chain_entry(&entry).await?;
        let new_head = ChainHead {
            seq,
            hash: entry.hash,
        };
        tx.set_chain_head(&new_head).await?;
        *head = Some(new_head);
        Ok(())
    }

    async fn create_in<T: ContextCheck>(
        &self,
        tx: &mut dyn Transaction,
        head: &mut Option<ChainHead>,
        body: T,
        meta: &ChangeMeta,
    ) -> Result<Stored<T>, StorageError> {
        body.validate()?;
        let id = tx.next_record_id().await?;
        let org_path = body.check_context(tx, &self.catalogue, id).await?;
        let entered_at = self.entered_at(meta);
        let row = RecordRow {
            id,
            kind: T::KIND,
            org_path,
            event_date: body.event_date(),
            version: 1,
            deleted: false,
            first_entered_at: entered_at,
            last_changed_at: entered_at,
            body: self.encode_sealed(&body)?,
        };
        tx.insert_record(&row).await?;
        if T::KIND == RecordKind::Member {
            let elsewhere =
                postings_elsewhere(tx, id, &row.org_path, &row.body, &Default::default()).await?;
            if !elsewhere.is_empty() {
                tx.set_postings_elsewhere(id, &elsewhere).await?;
            }
        }
        Self::append(tx, head, &row, ChangeOperation::Create, meta, entered_at).await?;
        Ok(Stored {
            id,
            version: 1,
            event_date: row.event_date,
            first_entered_at: entered_at,
            last_changed_at: entered_at,
            body,
        })
    }

    /// Creates a record after validating it on its own and against the records around it.
    pub async fn create<T: ContextCheck>(
        &self,
        body: T,
        meta: &ChangeMeta,
    ) -> Result<Stored<T>, StorageError> {
        require_actor(meta)?;
        let mut tx = self.backend.begin().await?;
        if let Some(key) = &meta.idempotency_key
            && let Some(existing) = tx.find_idempotency_key(key).await?
        {
            tx.commit().await?;
            return self.get_by_raw_id::<T>(existing).await;
        }
        let mut head = tx.chain_head().await?;
        let stored = self.create_in(tx.as_mut(), &mut head, body, meta).await?;
        if let Some(key) = &meta.idempotency_key {
            tx.save_idempotency_key(key, stored.id, stored.first_entered_at)
                .await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Creates many records in one transaction: all are written or none. Errors name the item by
    /// its position (`[12].attendance[3].member_id`).
    pub async fn create_many<T: ContextCheck>(
        &self,
        bodies: Vec<T>,
        meta: &ChangeMeta,
    ) -> Result<Vec<Stored<T>>, StorageError> {
        let items = bodies
            .into_iter()
            .map(|body| (body, meta.entered_at))
            .collect();
        self.create_many_entered(items, meta).await
    }

    /// Like [`Repository::create_many`], with each record's own entry instant (for trusted bulk
    /// loads of historical records, where each was typed in on a different day). `None` takes the
    /// instant from `meta` or the clock.
    pub async fn create_many_entered<T: ContextCheck>(
        &self,
        items: Vec<(T, Option<DateTime<Utc>>)>,
        meta: &ChangeMeta,
    ) -> Result<Vec<Stored<T>>, StorageError> {
        require_actor(meta)?;
        let mut tx = self.backend.begin().await?;
        let mut head = tx.chain_head().await?;
        let mut stored = Vec::with_capacity(items.len());
        for (index, (body, entered_at)) in items.into_iter().enumerate() {
            let item_meta = ChangeMeta {
                entered_at: entered_at.or(meta.entered_at),
                ..meta.clone()
            };
            match self
                .create_in(tx.as_mut(), &mut head, body, &item_meta)
                .await
            {
                Ok(record) => stored.push(record),
                Err(StorageError::Invalid(errors)) => {
                    let mut prefixed = ValidationErrors::new();
                    prefixed.extend_prefixed(&format!("[{index}]."), errors);
                    return Err(StorageError::Invalid(prefixed));
                }
                Err(other) => return Err(other),
            }
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn current_for_change<T: Record>(
        tx: &mut dyn Transaction,
        id: i64,
        expected_version: i32,
    ) -> Result<RecordRow, StorageError> {
        let row = match tx.get(id).await? {
            Some(row) if row.kind == T::KIND => row,
            _ => return Err(StorageError::NotFound { kind: T::KIND, id }),
        };
        if row.deleted {
            return Err(StorageError::Deleted { id });
        }
        if row.version != expected_version {
            return Err(StorageError::StaleVersion {
                id,
                expected: expected_version,
                actual: row.version,
            });
        }
        Ok(row)
    }

    /// Amends a record: a new version with who, when and why. Refused if the record has changed
    /// since `expected_version` was read.
    pub async fn amend<T: ContextCheck>(
        &self,
        id: T::Id,
        expected_version: i32,
        body: T,
        meta: &ChangeMeta,
    ) -> Result<Stored<T>, StorageError> {
        require_actor(meta)?;
        require_reason(meta)?;
        body.validate()?;
        let id: i64 = id.into();
        let mut tx = self.backend.begin().await?;
        let mut head = tx.chain_head().await?;
        let current = Self::current_for_change::<T>(tx.as_mut(), id, expected_version).await?;
        if T::KIND == RecordKind::Org {
            // An org keeps its place in the tree: moving it would silently re-scope its records.
            let old: Org =
                serde_json::from_str(&current.body).map_err(|error| StorageError::Corrupt {
                    id,
                    message: error.to_string(),
                })?;
            let new: Org = serde_json::from_str(&encode(&body)?).map_err(StorageError::database)?;
            if old.parent_id != new.parent_id || old.level != new.level {
                return Err(StorageError::Invalid(ValidationErrors::single(
                    FieldError::new(
                        "parent_id",
                        "cannot_move",
                        "不能通过修改改变组织的隶属关系或层级",
                        "an amendment cannot move an organization or change its level",
                    ),
                )));
            }
        }
        let org_path = body.check_context(tx.as_mut(), &self.catalogue, id).await?;
        let entered_at = self.entered_at(meta);
        let row = RecordRow {
            id,
            kind: T::KIND,
            org_path,
            event_date: body.event_date(),
            version: current.version + 1,
            deleted: false,
            first_entered_at: current.first_entered_at,
            last_changed_at: entered_at,
            body: self.encode_sealed(&body)?,
        };
        tx.update_record(&row).await?;
        if T::KIND == RecordKind::Member {
            let elsewhere = postings_elsewhere(
                tx.as_mut(),
                id,
                &row.org_path,
                &row.body,
                &Default::default(),
            )
            .await?;
            tx.set_postings_elsewhere(id, &elsewhere).await?;
        }
        Self::append(
            tx.as_mut(),
            &mut head,
            &row,
            ChangeOperation::Amend,
            meta,
            entered_at,
        )
        .await?;
        tx.commit().await?;
        self.open_row(&row)
    }

    /// Deletes a record: a final version marking it deleted. Its history stays readable.
    pub async fn delete<T: Record>(
        &self,
        id: T::Id,
        expected_version: i32,
        meta: &ChangeMeta,
    ) -> Result<(), StorageError> {
        require_actor(meta)?;
        require_reason(meta)?;
        let id: i64 = id.into();
        let mut tx = self.backend.begin().await?;
        let mut head = tx.chain_head().await?;
        let current = Self::current_for_change::<T>(tx.as_mut(), id, expected_version).await?;
        if T::KIND == RecordKind::Org {
            let path = current.org_path.clone();
            for kind in RecordKind::ALL {
                let mut query = RecordQuery::in_subtree(kind, &path);
                query.limit = Some(2);
                let inside = tx.list(&query).await?;
                if inside.iter().any(|row| row.id != id) {
                    return Err(StorageError::Invalid(ValidationErrors::single(
                        FieldError::new(
                            "id",
                            "org_not_empty",
                            "组织下仍有记录，不能删除；可填写撤销日期",
                            "the organization still holds records; set its dissolution date instead",
                        ),
                    )));
                }
            }
        }
        let entered_at = self.entered_at(meta);
        let row = RecordRow {
            version: current.version + 1,
            deleted: true,
            last_changed_at: entered_at,
            ..current
        };
        tx.update_record(&row).await?;
        if T::KIND == RecordKind::Member {
            tx.set_postings_elsewhere(id, &[]).await?;
        }
        Self::append(
            tx.as_mut(),
            &mut head,
            &row,
            ChangeOperation::Delete,
            meta,
            entered_at,
        )
        .await?;
        tx.commit().await
    }

    async fn get_by_raw_id<T: Record>(&self, id: i64) -> Result<Stored<T>, StorageError> {
        match self.backend.get(id).await? {
            Some(row) if row.kind == T::KIND && !row.deleted => self.open_row(&row),
            _ => Err(StorageError::NotFound { kind: T::KIND, id }),
        }
    }

    /// The current version of a record; deleted records are not found.
    pub async fn get<T: Record>(&self, id: T::Id) -> Result<Stored<T>, StorageError> {
        self.get_by_raw_id(id.into()).await
    }

    /// The subtree path of an org (`/1/5/23/`).
    pub async fn org_path(&self, org: OrgId) -> Result<String, StorageError> {
        match self.backend.get(org.0).await? {
            Some(row) if row.kind == RecordKind::Org && !row.deleted => Ok(row.org_path),
            _ => Err(StorageError::NotFound {
                kind: RecordKind::Org,
                id: org.0,
            }),
        }
    }

    /// Whether `org` lies in `ancestor`'s subtree (an org is in its own subtree).
    pub async fn is_within(&self, org: OrgId, ancestor: OrgId) -> Result<bool, StorageError> {
        Ok(self.org_path(org).await?.contains(&format!("/{ancestor}/")))
    }

    pub async fn list<T: Record>(
        &self,
        request: &ListRequest,
    ) -> Result<Page<Stored<T>>, StorageError> {
        let path_prefix = match request.subtree {
            Some(org) => Some(self.org_path(org).await?),
            None => None,
        };
        let limit = request.limit.unwrap_or(100).clamp(1, 1000);
        let query = RecordQuery {
            kind: T::KIND,
            path_prefix,
            event_from: request.event_from,
            event_to: request.event_to,
            after_id: request.after_id,
            limit: Some(limit + 1),
        };
        let rows = self.backend.list(&query).await?;
        let has_more = rows.len() > limit as usize;
        let items = rows
            .iter()
            .take(limit as usize)
            .map(|row| self.open_row::<T>(row))
            .collect::<Result<Vec<_>, _>>()?;
        let next_after = if has_more {
            items.last().map(|item| item.id)
        } else {
            None
        };
        Ok(Page { items, next_after })
    }

    /// Every version of a record, oldest first, with who, when and why.
    pub async fn history(
        &self,
        kind: RecordKind,
        id: i64,
    ) -> Result<Vec<RecordVersion>, StorageError> {
        let entries = self.backend.history(id).await?;
        if entries.is_empty() || entries[0].kind != kind {
            return Err(StorageError::NotFound { kind, id });
        }
        Ok(entries
            .into_iter()
            .map(|entry| RecordVersion {
                record_id: entry.record_id,
                kind: entry.kind,
                version: entry.version,
                operation: entry.operation,
                event_date: entry.event_date,
                entered_at: entry.entered_at,
                actor: entry.actor,
                reason: entry.reason,
                body: entry.body,
                previous_hash: entry.previous_hash,
                hash: entry.hash,
            })
            .collect())
    }

    async fn all_in_subtree<T: Record>(
        &self,
        path: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Stored<T>>, StorageError> {
        let query = RecordQuery {
            event_from: from,
            event_to: to,
            ..RecordQuery::in_subtree(T::KIND, path)
        };
        self.backend
            .list(&query)
            .await?
            .iter()
            .map(decode::<T>)
            .collect()
    }

    /// Loads what the engine needs to evaluate `root`'s subtree for periods overlapping
    /// `from..=to`: events of the whole calendar years concerned (yearly duties need them), every
    /// org, member and committee term of the subtree, and the ancestors with their local rules.
    pub async fn load_snapshot(
        &self,
        root: OrgId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Snapshot, StorageError> {
        let path = self.org_path(root).await?;
        let year_start = NaiveDate::from_ymd_opt(from.year(), 1, 1);
        let year_end = NaiveDate::from_ymd_opt(to.year(), 12, 31);
        let mut orgs = self.all_in_subtree::<Org>(&path, None, None).await?;
        let ancestor_ids: Vec<i64> = path
            .split('/')
            .filter(|part| !part.is_empty())
            .filter_map(|part| part.parse::<i64>().ok())
            .filter(|id| *id != root.0)
            .collect();
        for id in &ancestor_ids {
            orgs.push(self.get_by_raw_id::<Org>(*id).await?);
        }
        let mut local_rules = self.all_in_subtree::<LocalRule>(&path, None, None).await?;
        for id in &ancestor_ids {
            let ancestor_path = self.org_path(OrgId(*id)).await?;
            let query = RecordQuery::in_subtree(RecordKind::LocalRule, &ancestor_path);
            for row in self.backend.list(&query).await? {
                let rule = decode::<LocalRule>(&row)?;
                // Only the ancestor's own rules; its other subtrees' rules do not reach us.
                if rule.body.issued_by.0 == *id {
                    local_rules.push(rule);
                }
            }
        }
        // Every member ever posted to a branch of the subtree: those kept here, and those who
        // transferred out and are kept under another branch's path (migration 5).
        let mut members = self.all_in_subtree::<Member>(&path, None, None).await?;
        let held: std::collections::HashSet<i64> = members.iter().map(|member| member.id).collect();
        let mut elsewhere: Vec<i64> = self
            .backend
            .members_posted_within(&path)
            .await?
            .into_iter()
            .filter(|id| !held.contains(id))
            .collect();
        elsewhere.sort_unstable();
        elsewhere.dedup();
        if !elsewhere.is_empty() {
            for row in self.backend.get_many(&elsewhere).await? {
                if row.kind == RecordKind::Member && !row.deleted {
                    members.push(decode::<Member>(&row)?);
                }
            }
            members.sort_by_key(|member| member.id);
        }
        Ok(Snapshot {
            orgs,
            committee_terms: self
                .all_in_subtree::<CommitteeTerm>(&path, None, None)
                .await?,
            members,
            meetings: self
                .all_in_subtree::<Meeting>(&path, year_start, year_end)
                .await?,
            talks: self
                .all_in_subtree::<HeartToHeartTalk>(&path, year_start, year_end)
                .await?,
            exemptions: self.all_in_subtree::<Exemption>(&path, None, None).await?,
            local_rules,
            admission_records: self
                .all_in_subtree::<AdmissionRecord>(&path, None, None)
                .await?,
            income_declarations: self
                .all_in_subtree::<IncomeDeclaration>(&path, None, None)
                .await?,
            dues_payments: self
                .all_in_subtree::<DuesPayment>(&path, None, None)
                .await?,
            dues_reliefs: self.all_in_subtree::<DuesRelief>(&path, None, None).await?,
            dues_policies: self
                .all_in_subtree::<BranchDuesPolicy>(&path, None, None)
                .await?,
        })
    }
}

/// A record for [`Repository::bulk_load`]: made by a trusted generator, or taken from data that
/// was validated when it was first written. Its id comes from
/// [`Repository::reserve_record_ids`]; its `org_path` is the one `create` would have given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRecord {
    pub id: i64,
    pub kind: RecordKind,
    pub org_path: String,
    pub event_date: NaiveDate,
    /// When it was first entered; truncated to whole microseconds as the chain keeps them.
    pub entered_at: DateTime<Utc>,
    /// The body as JSON text; [`Repository::bulk_load`] seals its personal fields before it is
    /// written and hashed.
    pub body: String,
    /// The kind's personal fields (`Record::PERSONAL_FIELDS`).
    pub personal_fields: &'static [&'static str],
}

impl TrustedRecord {
    /// Checks the record on its own (the checks that need no other record) and encodes it. The
    /// checks against its neighbours are the caller's promise.
    pub fn new<T: Record>(
        id: i64,
        org_path: String,
        body: &T,
        entered_at: DateTime<Utc>,
    ) -> Result<TrustedRecord, StorageError> {
        body.validate()?;
        Ok(TrustedRecord {
            id,
            kind: T::KIND,
            org_path,
            event_date: body.event_date(),
            entered_at: entered_at.trunc_subsecs(6),
            body: encode(body)?,
            personal_fields: T::PERSONAL_FIELDS,
        })
    }
}

fn is_well_formed_path(path: &str) -> bool {
    path.len() >= 3
        && path.starts_with('/')
        && path.ends_with('/')
        && !path.contains("//")
        && path
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'/')
}

impl Repository {
    /// Reserves `count` consecutive record ids for a bulk load and returns the first. No other
    /// writer, in this process or another, will be given them.
    pub async fn reserve_record_ids(&self, count: u64) -> Result<i64, StorageError> {
        let mut tx = self.backend.begin().await?;
        let first = tx.reserve_record_ids(count).await?;
        tx.commit().await?;
        Ok(first)
    }

    /// The trusted bulk path, for generators and imports of data that was validated when it was
    /// first written (the demo and benchmark cities): writes `records` as new records in one
    /// transaction, all or nothing, with multi-row statements. Every record gets a version in the
    /// hash chain exactly as [`Repository::create`] would give it (operation `create`, version 1,
    /// the given entry instant, `actor`), so `verify` holds afterwards. What it skips is the
    /// checks against other records (does the attendee belong to the branch that day?): a caller
    /// that cannot vouch for them must use `create_many`. Each record is still checked on its own
    /// when the [`TrustedRecord`] is made, and paths and ids are checked here.
    pub async fn bulk_load(
        &self,
        records: &[TrustedRecord],
        actor: &str,
    ) -> Result<(), StorageError> {
        require_actor(&ChangeMeta::by(actor))?;
        for (index, record) in records.iter().enumerate() {
            if !is_well_formed_path(&record.org_path) || record.id <= 0 {
                return Err(StorageError::Invalid(ValidationErrors::single(
                    FieldError::new(
                        format!("[{index}].org_path"),
                        "malformed_path",
                        format!("记录{}的组织路径“{}”格式不正确", record.id, record.org_path),
                        format!(
                            "record {} has a malformed organization path {:?}",
                            record.id, record.org_path
                        ),
                    ),
                )));
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.backend.begin().await?;
        let mut head = tx.chain_head().await?;
        let mut rows = Vec::with_capacity(records.len());
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let entered_at = record.entered_at.trunc_subsecs(6);
            let row = RecordRow {
                id: record.id,
                kind: record.kind,
                org_path: record.org_path.clone(),
                event_date: record.event_date,
                version: 1,
                deleted: false,
                first_entered_at: entered_at,
                last_changed_at: entered_at,
                body: self.seal_text(record.personal_fields, record.body.clone())?,
            };
            let (seq, previous_hash) = match &head {
                Some(head) => (head.seq + 1, head.hash.clone()),
                None => (1, GENESIS_HASH.to_string()),
            };
            let mut entry = ChainEntry {
                seq,
                record_id: row.id,
                kind: row.kind,
                version: 1,
                operation: ChangeOperation::Create,
                org_path: row.org_path.clone(),
                event_date: row.event_date,
                entered_at,
                actor: actor.to_string(),
                reason: None,
                body: row.body.clone(),
                previous_hash,
                hash: String::new(),
            };
            entry.hash = version_hash(&entry);
            head = Some(ChainHead {
                seq,
                hash: entry.hash.clone(),
            });
            rows.push(row);
            entries.push(entry);
        }
        tx.insert_many(&rows, &entries).await?;
        // Members posted to branches other than the one they are kept under (transfers).
        let known: std::collections::HashMap<i64, String> = rows
            .iter()
            .filter(|row| row.kind == RecordKind::Org)
            .map(|row| (row.id, row.org_path.clone()))
            .collect();
        for row in rows.iter().filter(|row| row.kind == RecordKind::Member) {
            let elsewhere =
                postings_elsewhere(tx.as_mut(), row.id, &row.org_path, &row.body, &known).await?;
            if !elsewhere.is_empty() {
                tx.set_postings_elsewhere(row.id, &elsewhere).await?;
            }
        }
        if let Some(head) = &head {
            tx.set_chain_head(head).await?;
        }
        tx.commit().await
    }
}
