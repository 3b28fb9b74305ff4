//! RECRUIT.RESOLUTION.FIELDS (细则 第二十一条): a branch general meeting's resolution to admit
//! records the candidate's main performance, the voting members expected and present, the result,
//! the date and the branch secretary's signature. One finding per admission record whose
//! resolution lacks any of them, in the range the vote was held in, naming every missing field.

use super::{BranchContext, FindingParts};
use crate::admission::{AdmissionRuleSet, RESOLUTION_RULE, citation, missing_resolution_fields};
use crate::domain::RecordKind;
use crate::engine::resolve::Applied;
use crate::engine::{Evidence, EvidenceRecord, Finding, FindingStatus};

impl<'a> BranchContext<'a, '_> {
    pub(super) fn admission_resolutions(&self, applied: &Applied<'_>, findings: &mut Vec<Finding>) {
        let from = self.request.from;
        let to = self.request.to.min(self.reference_date());
        for record in self
            .index
            .admissions
            .get(&self.branch_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(vote) = &record.body.admission_vote else {
                continue;
            };
            let held = vote.held_on;
            if held < from || held > to {
                continue;
            }
            let missing = missing_resolution_fields(&record.body);
            if missing.is_empty() {
                continue;
            }
            let cited = citation(RESOLUTION_RULE, AdmissionRuleSet::in_force_on(held));
            let person = record.body.person.name.clone();
            let fields_zh: Vec<&str> = missing.iter().map(|field| field.name_zh()).collect();
            let fields_en: Vec<&str> = missing.iter().map(|field| field.name_en()).collect();
            let values = vec![
                ("person", person.clone()),
                ("date", held.to_string()),
                ("fields_zh", fields_zh.join("、")),
                ("fields_en", fields_en.join(", ")),
                ("article", cited.suffix_zh()),
                ("article_en", cited.suffix_en()),
            ];
            let evidence = Evidence {
                records: vec![EvidenceRecord {
                    kind: RecordKind::AdmissionRecord,
                    id: record.id,
                    date: held,
                    note_zh: format!(
                        "{person}的发展党员记录：{held}支部大会通过接收预备党员的决议"
                    ),
                    note_en: format!(
                        "admission record of {person}: the general meeting's resolution of {held}"
                    ),
                }],
                missing_zh: missing
                    .iter()
                    .map(|field| format!("{}（{}）", field.name_zh(), field.path()))
                    .collect(),
                missing_en: missing
                    .iter()
                    .map(|field| format!("{} ({})", field.name_en(), field.path()))
                    .collect(),
            };
            let mut finding = self.finding(
                applied,
                FindingParts {
                    org: self.branch_id,
                    org_name: self.org_name(),
                    period: None,
                    period_label: held.format("%Y-%m").to_string(),
                    subject: format!("admission {} resolution", record.id),
                    status: FindingStatus::Invalid,
                    message_key: "missing_fields",
                    values,
                    evidence,
                    due_on: None,
                    severity: None,
                },
            );
            finding.citation = crate::rules::Citation {
                document: cited.document_zh.to_string(),
                article: cited.article_zh.to_string(),
                quote: cited.quote_zh.to_string(),
                source: applied.citation.source.clone(),
            };
            findings.push(finding);
        }
    }
}
