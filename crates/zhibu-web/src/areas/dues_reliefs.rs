//! Hardship reductions and waivers (少交、免交党费): the branch's decision, and the upper
//! committee's approval, which only someone responsible for that committee may name.

use zhibu_core::dues::DuesRelief;

crate::records::record_routes! {
    record: DuesRelief,
    name: "dues relief",
    name_zh: "党费减免",
    collection: "/dues-reliefs",
    item: "/dues-reliefs/{id}",
    history: "/dues-reliefs/{id}/history",
    tag: "dues-reliefs",
    delete: allowed,
}
