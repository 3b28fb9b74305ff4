//! Planned meetings (会议安排): meetings a branch or party group has scheduled but not yet held.
//! A plan is moved by an amendment and cancelled by a deletion, each with a reason; it never
//! counts as a meeting held (the engine does not read plans).

use zhibu_core::MeetingPlan;

crate::records::record_routes! {
    record: MeetingPlan,
    name: "meeting plan",
    name_zh: "会议安排",
    collection: "/meeting-plans",
    item: "/meeting-plans/{id}",
    history: "/meeting-plans/{id}/history",
    tag: "meeting-plans",
    delete: allowed,
}
