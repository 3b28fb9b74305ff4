//! Admission pipelines (发展党员): one record per person, from the application to full membership.
//! Each write is checked against the 发展党员工作细则 in force for each step (2014, or the 2026
//! revision from 2026-05-11); open steps and overdue deadlines appear among the branch's findings.

use zhibu_core::admission::AdmissionRecord;

crate::records::record_routes! {
    record: AdmissionRecord,
    name: "admission record",
    name_zh: "发展党员记录",
    collection: "/admission-records",
    item: "/admission-records/{id}",
    history: "/admission-records/{id}/history",
    tag: "admission-records",
    delete: allowed,
}
