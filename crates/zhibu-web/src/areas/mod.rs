//! The record areas of the API, one module each. Every area offers the same operations on its
//! record type (see `crate::records`); an area's module is where anything particular to it goes.

pub mod admission_records;
pub mod committee_terms;
pub mod dues_payments;
pub mod dues_policies;
pub mod dues_reliefs;
pub mod dues_reports;
pub mod elections;
pub mod exemptions;
pub mod income_declarations;
pub mod local_rules;
pub mod meeting_plans;
pub mod meetings;
pub mod members;
pub mod orgs;
pub mod talks;
pub mod votes;

use axum::Router;

use crate::AppState;

/// Every area's routes, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(orgs::router())
        .merge(members::router())
        .merge(meetings::router())
        .merge(talks::router())
        .merge(committee_terms::router())
        .merge(local_rules::router())
        .merge(exemptions::router())
        .merge(admission_records::router())
        .merge(income_declarations::router())
        .merge(dues_payments::router())
        .merge(dues_reliefs::router())
        .merge(dues_policies::router())
        .merge(dues_reports::router())
        .merge(votes::router())
        .merge(elections::router())
        .merge(meeting_plans::router())
}

/// Every area's part of the OpenAPI document, relative to `/api/v1`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = orgs::openapi();
    for area in [
        members::openapi(),
        meetings::openapi(),
        talks::openapi(),
        committee_terms::openapi(),
        local_rules::openapi(),
        exemptions::openapi(),
        admission_records::openapi(),
        income_declarations::openapi(),
        dues_payments::openapi(),
        dues_reliefs::openapi(),
        dues_policies::openapi(),
        dues_reports::openapi(),
        votes::openapi(),
        elections::openapi(),
        meeting_plans::openapi(),
    ] {
        document.merge(area);
    }
    document
}
