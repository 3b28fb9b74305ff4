//! `zhibu verify`: proves that the stored history is the one the application wrote. It walks the
//! hash chain in order and then compares every current row with the latest version in the chain.
//! It reports every problem it finds, not just the first.

use std::collections::HashMap;

use serde::Serialize;
use zhibu_core::{ChangeOperation, RecordKind};

use crate::hashing::{GENESIS_HASH, version_hash};
use crate::{ChainEntry, Repository, StorageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A version's stored hash does not match its contents: the version was altered.
    VersionAltered,
    /// The chain skips a position or links to the wrong predecessor: versions were removed or reordered.
    ChainBroken,
    /// A record's versions are not numbered 1, 2, 3…
    VersionMissing,
    /// The current row differs from the latest version: the row was altered behind the application.
    RecordAltered,
    /// The chain has versions of a record whose current row is gone.
    RecordRemoved,
    /// A current row has no version in the chain: it was inserted behind the application.
    RecordWithoutHistory,
    /// The chain head does not match the last version: the newest versions were removed.
    HeadMismatch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyProblem {
    pub problem: ProblemKind,
    pub record_id: Option<i64>,
    pub kind: Option<RecordKind>,
    pub seq: Option<i64>,
    pub message_zh: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub versions_checked: u64,
    pub records_checked: u64,
    pub problems: Vec<VerifyProblem>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

struct LatestVersion {
    entry: ChainEntry,
}

const PAGE: u32 = 5_000;

impl Repository {
    /// Verifies the whole store. Database faults are errors; tampering is reported as problems.
    pub async fn verify(&self) -> Result<VerifyReport, StorageError> {
        let backend = self.backend();
        let mut report = VerifyReport::default();
        let mut latest: HashMap<i64, LatestVersion> = HashMap::new();
        let mut expected_seq = 1_i64;
        let mut previous_hash = GENESIS_HASH.to_string();
        let mut after = 0_i64;
        loop {
            let entries = backend.chain_entries(after, PAGE).await?;
            if entries.is_empty() {
                break;
            }
            for entry in entries {
                after = entry.seq;
                report.versions_checked += 1;
                let problem = |problem, zh: String, en: String| VerifyProblem {
                    problem,
                    record_id: Some(entry.record_id),
                    kind: Some(entry.kind),
                    seq: Some(entry.seq),
                    message_zh: zh,
                    message_en: en,
                };
                if entry.seq != expected_seq || entry.previous_hash != previous_hash {
                    report.problems.push(problem(
                        ProblemKind::ChainBroken,
                        format!("历史链在第{}条处断开（应为第{}条）：此前的版本被删除或改动", entry.seq, expected_seq),
                        format!("the chain breaks at entry {} (expected {}): earlier versions were removed or changed", entry.seq, expected_seq),
                    ));
                }
                if version_hash(&entry) != entry.hash {
                    report.problems.push(problem(
                        ProblemKind::VersionAltered,
                        format!(
                            "{}记录{}的第{}版内容与其哈希不符：该版本被直接改动",
                            entry.kind.name_zh(),
                            entry.record_id,
                            entry.version
                        ),
                        format!(
                            "version {} of {} {} does not match its hash: it was altered",
                            entry.version,
                            entry.kind.as_str(),
                            entry.record_id
                        ),
                    ));
                }
                let expected_version = latest
                    .get(&entry.record_id)
                    .map_or(1, |l| l.entry.version + 1);
                if entry.version != expected_version {
                    report.problems.push(problem(
                        ProblemKind::VersionMissing,
                        format!(
                            "{}记录{}缺少第{}版",
                            entry.kind.name_zh(),
                            entry.record_id,
                            expected_version
                        ),
                        format!(
                            "{} {} is missing version {}",
                            entry.kind.as_str(),
                            entry.record_id,
                            expected_version
                        ),
                    ));
                }
                expected_seq = entry.seq + 1;
                previous_hash = entry.hash.clone();
                latest.insert(entry.record_id, LatestVersion { entry });
            }
        }
        let head = backend.chain_head().await?;
        let chain_end = if report.versions_checked == 0 {
            None
        } else {
            Some((expected_seq - 1, previous_hash.clone()))
        };
        let head_matches = match (&head, &chain_end) {
            (None, None) => true,
            (Some(head), Some((seq, hash))) => head.seq == *seq && &head.hash == hash,
            _ => false,
        };
        if !head_matches {
            report.problems.push(VerifyProblem {
                problem: ProblemKind::HeadMismatch,
                record_id: None,
                kind: None,
                seq: head.as_ref().map(|head| head.seq),
                message_zh: "历史链的末端与记录的链头不符：最新的版本被删除".into(),
                message_en: "the end of the chain does not match the recorded head: the newest versions were removed".into(),
            });
        }

        let mut after_id = 0_i64;
        loop {
            let rows = backend.all_records(after_id, PAGE).await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                after_id = row.id;
                report.records_checked += 1;
                let Some(LatestVersion { entry }) = latest.remove(&row.id) else {
                    report.problems.push(VerifyProblem {
                        problem: ProblemKind::RecordWithoutHistory,
                        record_id: Some(row.id),
                        kind: Some(row.kind),
                        seq: None,
                        message_zh: format!("{}记录{}没有任何历史版本：它是绕过系统写入的", row.kind.name_zh(), row.id),
                        message_en: format!("{} {} has no version in the chain: it was written behind the application", row.kind.as_str(), row.id),
                    });
                    continue;
                };
                // The same text, or the same JSON value (a database may re-space JSON it stores).
                // A body that does not parse is never equal to anything but the identical text.
                let same_body = row.body == entry.body
                    || matches!(
                        (serde_json::from_str::<serde_json::Value>(&row.body), serde_json::from_str::<serde_json::Value>(&entry.body)),
                        (Ok(current), Ok(recorded)) if current == recorded
                    );
                let matches = row.kind == entry.kind
                    && row.version == entry.version
                    && row.org_path == entry.org_path
                    && row.event_date == entry.event_date
                    && row.deleted == (entry.operation == ChangeOperation::Delete)
                    && row.last_changed_at == entry.entered_at
                    && same_body;
                if !matches {
                    report.problems.push(VerifyProblem {
                        problem: ProblemKind::RecordAltered,
                        record_id: Some(row.id),
                        kind: Some(row.kind),
                        seq: Some(entry.seq),
                        message_zh: format!("{}记录{}的当前内容与其第{}版不符：它被绕过系统直接修改", row.kind.name_zh(), row.id, entry.version),
                        message_en: format!("{} {} differs from its version {}: it was changed behind the application", row.kind.as_str(), row.id, entry.version),
                    });
                }
            }
        }
        let mut removed: Vec<&LatestVersion> = latest.values().collect();
        removed.sort_by_key(|l| l.entry.record_id);
        for LatestVersion { entry } in removed {
            report.problems.push(VerifyProblem {
                problem: ProblemKind::RecordRemoved,
                record_id: Some(entry.record_id),
                kind: Some(entry.kind),
                seq: Some(entry.seq),
                message_zh: format!(
                    "{}记录{}在历史中存在，但当前记录被直接删除",
                    entry.kind.name_zh(),
                    entry.record_id
                ),
                message_en: format!(
                    "{} {} has history but its current row was removed behind the application",
                    entry.kind.as_str(),
                    entry.record_id
                ),
            });
        }
        Ok(report)
    }
}
