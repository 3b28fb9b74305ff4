//! Closed votes (表决) at general meetings: the entitlement frozen when the vote opened, who was
//! present and took part, and the totals — never who chose what. Checked against the meeting and
//! the members' status on the day; the same question cannot be voted on twice at one meeting.

use zhibu_core::vote_records::VoteRecord;

crate::records::record_routes! {
    record: VoteRecord,
    name: "vote",
    name_zh: "表决",
    collection: "/votes",
    item: "/votes/{id}",
    history: "/votes/{id}/history",
    tag: "votes",
    delete: allowed,
}
