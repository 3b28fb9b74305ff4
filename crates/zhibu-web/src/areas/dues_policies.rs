//! A branch's dues settings: when its ledger opens, the farmer amount, the share remitted upward.
//! The latest decision is in force.

use zhibu_core::dues::BranchDuesPolicy;

crate::records::record_routes! {
    record: BranchDuesPolicy,
    name: "dues settings",
    name_zh: "党费设置",
    collection: "/dues-policies",
    item: "/dues-policies/{id}",
    history: "/dues-policies/{id}/history",
    tag: "dues-policies",
    delete: allowed,
}
