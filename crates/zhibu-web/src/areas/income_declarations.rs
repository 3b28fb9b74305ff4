//! Income declarations (党费计算基数申报): a member's dues base from the month it takes effect.
//! Personal data: only roles that collect dues read them, and a member only their own.

use zhibu_core::dues::IncomeDeclaration;

crate::records::record_routes! {
    record: IncomeDeclaration,
    name: "income declaration",
    name_zh: "党费基数申报",
    collection: "/income-declarations",
    item: "/income-declarations/{id}",
    history: "/income-declarations/{id}/history",
    tag: "income-declarations",
    delete: allowed,
}
