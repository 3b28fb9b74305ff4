//! Heart-to-heart talks (谈心谈话) between two members of a branch.

use zhibu_core::HeartToHeartTalk;

crate::records::record_routes! {
    record: HeartToHeartTalk,
    name: "talk",
    name_zh: "谈心谈话",
    collection: "/talks",
    item: "/talks/{id}",
    history: "/talks/{id}/history",
    tag: "talks",
    delete: allowed,
}
