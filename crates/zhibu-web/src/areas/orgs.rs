//! Party organizations (党组织): the tree every other record hangs from. An amendment cannot move
//! an organization or change its level, and one that still holds records cannot be deleted (the
//! repository refuses both); a dissolved organization is amended with its dissolution date.

use zhibu_core::Org;

crate::records::record_routes! {
    record: Org,
    name: "org",
    name_zh: "党组织",
    collection: "/orgs",
    item: "/orgs/{id}",
    history: "/orgs/{id}/history",
    tag: "orgs",
    delete: allowed,
}
