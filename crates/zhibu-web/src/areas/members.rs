//! Party members (党员), with their status and branch postings over time.

use zhibu_core::Member;

crate::records::record_routes! {
    record: Member,
    name: "member",
    name_zh: "党员",
    collection: "/members",
    item: "/members/{id}",
    history: "/members/{id}/history",
    tag: "members",
    delete: allowed,
}
