//! Dues payments (交纳党费): date, amount in fen, months covered, method, proxy, quarterly consent.
//! The ledger spreads them over their months; payroll deductions and organization-paid dues,
//! back payment beyond six months and advance payment without consent become findings.

use zhibu_core::dues::DuesPayment;

crate::records::record_routes! {
    record: DuesPayment,
    name: "dues payment",
    name_zh: "党费交纳",
    collection: "/dues-payments",
    item: "/dues-payments/{id}",
    history: "/dues-payments/{id}/history",
    tag: "dues-payments",
    delete: allowed,
}
