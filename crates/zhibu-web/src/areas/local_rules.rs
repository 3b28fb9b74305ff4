//! Local rules (本地规则): an upper organization adds, enables or tightens a rule for its subtree,
//! citing its own document. They are checked against the national catalogue when stored.

use zhibu_core::rules::LocalRule;

crate::records::record_routes! {
    record: LocalRule,
    name: "local_rule",
    name_zh: "本地规则",
    collection: "/local-rules",
    item: "/local-rules/{id}",
    history: "/local-rules/{id}/history",
    tag: "local-rules",
    delete: allowed,
}
