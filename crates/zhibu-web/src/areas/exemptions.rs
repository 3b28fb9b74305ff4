//! Exemptions (豁免): an upper organization excuses one finding, with a reason.
//!
//! Exemptions are amended, never deleted. An exemption is what an inspector asks about ("who
//! excused this, when, and why?"), so the API offers no way to make one disappear from the current
//! records; a wrong one is corrected by an amendment that gives the reason, and both versions stay
//! in its history. `DELETE` answers 405 with that explanation.

use zhibu_core::Exemption;

crate::records::record_routes! {
    record: Exemption,
    name: "exemption",
    name_zh: "豁免",
    collection: "/exemptions",
    item: "/exemptions/{id}",
    history: "/exemptions/{id}/history",
    tag: "exemptions",
    delete: refused(
        "豁免不能删除：豁免及其依据须完整保留以备检查。如需更正，请修改该豁免并说明理由。",
        "An exemption is never deleted: it and its grounds are kept for inspection. To correct one, amend it and give the reason."
    ),
}
