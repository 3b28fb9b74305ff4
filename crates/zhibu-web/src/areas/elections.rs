//! Elections of a branch's committee or secretary (换届选举), round by round, with the report of
//! the result to the upper organization for approval of the secretary and deputy.

use zhibu_core::vote_records::ElectionRecord;

crate::records::record_routes! {
    record: ElectionRecord,
    name: "election",
    name_zh: "选举",
    collection: "/elections",
    item: "/elections/{id}",
    history: "/elections/{id}/history",
    tag: "elections",
    delete: allowed,
}
