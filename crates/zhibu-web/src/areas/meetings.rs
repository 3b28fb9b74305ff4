//! Meetings of every kind (三会一课, themed Party days, org-life meetings, appraisals), with
//! attendance checked against the branch roster on the meeting day.

use zhibu_core::Meeting;

crate::records::record_routes! {
    record: Meeting,
    name: "meeting",
    name_zh: "会议",
    collection: "/meetings",
    item: "/meetings/{id}",
    history: "/meetings/{id}/history",
    tag: "meetings",
    delete: allowed,
}
