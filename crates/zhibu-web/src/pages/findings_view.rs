//! A finding as a page shows it: what, where, when, the article and its words, the records behind
//! it and who must act, in the reader's language.

use zhibu_core::RecordKind;
use zhibu_core::engine::{Finding, FindingStatus};

use super::evaluation::Names;
use super::i18n::Lang;

pub struct FindingView {
    pub key: String,
    pub title: String,
    pub status: &'static str,
    /// `bad`, `warn` or `ok`: the badge colour.
    pub status_class: &'static str,
    pub severity: &'static str,
    pub org_name: String,
    pub period_label: String,
    pub due_on: Option<String>,
    pub message: String,
    pub citation_document: String,
    pub citation_article: String,
    pub citation_quote: String,
    pub evidence: Vec<EvidenceView>,
    pub missing: Vec<String>,
    pub responsible: String,
    /// Who exempted it, when and why.
    pub exempted: Option<String>,
    pub coming_due: bool,
    pub exempt_form: Option<ExemptForm>,
    /// Where to do what the finding asks, where a page does it (an election due: its form).
    pub act_href: Option<String>,
}

pub struct EvidenceView {
    pub kind: &'static str,
    pub date: String,
    pub note: String,
    /// The page of the record, where there is one.
    pub href: Option<String>,
}

/// The exemption form under a finding.
pub struct ExemptForm {
    pub action: String,
    pub csrf_token: String,
    /// The drill page's query, to come back to it.
    pub back: String,
    pub reason: String,
    pub error: Option<String>,
}

/// The page of a record the engine cites as evidence.
pub fn record_href(kind: RecordKind, id: i64) -> Option<String> {
    match kind {
        RecordKind::Meeting => Some(format!("/meetings/{id}")),
        RecordKind::Member => Some(format!("/members/{id}")),
        RecordKind::Talk => Some(format!("/talks/{id}")),
        _ => None,
    }
}

impl FindingView {
    pub fn new(finding: &Finding, evaluation: &dyn Names, lang: Lang) -> FindingView {
        let status_class = match (finding.status, finding.exemption.is_some()) {
            (_, true) => "",
            (FindingStatus::ComingDue, false) => "warn",
            _ => "bad",
        };
        let responsible = {
            let who = lang.responsibility(finding.responsible.responsibility);
            let org = evaluation.org_name(finding.responsible.org_id);
            let colon = lang.pick("：", ": ");
            match finding.responsible.member_id {
                Some(member) => {
                    let name = evaluation.member_name(member);
                    match lang {
                        Lang::Zh => format!("{who}：{org}（{name}）"),
                        Lang::En => format!("{who}{colon}{org} ({name})"),
                    }
                }
                None => format!("{who}{colon}{org}"),
            }
        };
        let exempted = finding.exemption.as_ref().map(|note| {
            let granted_by = evaluation.org_name(note.granted_by);
            let granted_on = lang.date(note.granted_on);
            match lang {
                Lang::Zh => format!("{granted_by}，{granted_on}：{}", note.reason),
                Lang::En => format!("{granted_by}, {granted_on}: {}", note.reason),
            }
        });
        FindingView {
            key: finding.key.clone(),
            title: lang.pick(&finding.title_zh, &finding.title_en).to_string(),
            status: lang.finding_status(finding.status),
            status_class,
            severity: lang.severity(finding.severity),
            org_name: finding.org_name.clone(),
            period_label: finding.period_label.clone(),
            due_on: finding.due_on.map(|day| lang.date(day)),
            message: lang
                .pick(&finding.message_zh, &finding.message_en)
                .to_string(),
            citation_document: finding.citation.document.clone(),
            citation_article: finding.citation.article.clone(),
            citation_quote: finding.citation.quote.clone(),
            evidence: finding
                .evidence
                .records
                .iter()
                .map(|record| EvidenceView {
                    kind: lang.record_kind(record.kind),
                    date: record.date.to_string(),
                    note: lang.pick(&record.note_zh, &record.note_en).to_string(),
                    href: record_href(record.kind, record.id),
                })
                .collect(),
            missing: match lang {
                Lang::Zh => finding.evidence.missing_zh.clone(),
                Lang::En => finding.evidence.missing_en.clone(),
            },
            responsible,
            exempted,
            coming_due: finding.status == FindingStatus::ComingDue,
            exempt_form: None,
            act_href: (finding.rule_id == "BRANCH.COMMITTEE.TERM_EXPIRY")
                .then(|| format!("/branches/{}/elections/new", finding.org_id)),
        }
    }
}
