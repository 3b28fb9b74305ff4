//! Elected terms (届) of a branch committee, or of a secretary where there is no committee.

use zhibu_core::CommitteeTerm;

crate::records::record_routes! {
    record: CommitteeTerm,
    name: "committee_term",
    name_zh: "支部委员会（届）",
    collection: "/committee-terms",
    item: "/committee-terms/{id}",
    history: "/committee-terms/{id}/history",
    tag: "committee-terms",
    delete: allowed,
}
