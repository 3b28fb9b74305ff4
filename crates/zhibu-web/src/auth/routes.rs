//! Every route the application serves outside the pages, in one table: its method, its path, the
//! area and action of the policy it falls under, and what it targets. The authorization test walks
//! this table for every role against an org inside and one outside the role's scope; another test
//! checks that it lists exactly the routes of the OpenAPI document (plus the form routes, which the
//! document does not describe). Adding a route without adding it here fails those tests.

use super::policy::{Action, Area};

/// What a route acts on, which tells the authorization test how to fill in its path and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Nothing in particular (the session, the catalogue).
    Nothing,
    /// A collection of records of `kind`: list (GET) or create (POST).
    Collection,
    /// One record of `kind` by id: read, amend, delete.
    Item,
    /// One record's history.
    History,
    /// A report on an org's subtree, named in the query (`?org=`).
    OrgQuery,
    /// One account by id.
    Account,
    /// One rule of the national catalogue by id.
    Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub area: Area,
    pub action: Action,
    pub target: Target,
    /// Who may call it without signing in: only the sign-in itself and the documents that hold
    /// no data.
    pub public: bool,
    /// Whether the route is part of the JSON API (and so of the OpenAPI document).
    pub api: bool,
}

const fn api(
    method: &'static str,
    path: &'static str,
    area: Area,
    action: Action,
    target: Target,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        area,
        action,
        target,
        public: false,
        api: true,
    }
}

const fn form(
    method: &'static str,
    path: &'static str,
    area: Area,
    action: Action,
    target: Target,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        area,
        action,
        target,
        public: false,
        api: false,
    }
}

macro_rules! record_area {
    ($area:expr, $collection:literal) => {
        [
            api(
                "POST",
                concat!("/api/v1", $collection),
                $area,
                Action::Create,
                Target::Collection,
            ),
            api(
                "GET",
                concat!("/api/v1", $collection),
                $area,
                Action::Read,
                Target::Collection,
            ),
            api(
                "GET",
                concat!("/api/v1", $collection, "/{id}"),
                $area,
                Action::Read,
                Target::Item,
            ),
            api(
                "PUT",
                concat!("/api/v1", $collection, "/{id}"),
                $area,
                Action::Amend,
                Target::Item,
            ),
            api(
                "DELETE",
                concat!("/api/v1", $collection, "/{id}"),
                $area,
                Action::Delete,
                Target::Item,
            ),
            api(
                "GET",
                concat!("/api/v1", $collection, "/{id}/history"),
                $area,
                Action::Read,
                Target::History,
            ),
        ]
    };
}

const ORGS: [RouteSpec; 6] = record_area!(Area::Orgs, "/orgs");
const MEMBERS: [RouteSpec; 6] = record_area!(Area::Members, "/members");
const MEETINGS: [RouteSpec; 6] = record_area!(Area::Meetings, "/meetings");
const TALKS: [RouteSpec; 6] = record_area!(Area::Talks, "/talks");
const COMMITTEE_TERMS: [RouteSpec; 6] = record_area!(Area::CommitteeTerms, "/committee-terms");
const LOCAL_RULES: [RouteSpec; 6] = record_area!(Area::LocalRules, "/local-rules");
const EXEMPTIONS: [RouteSpec; 6] = record_area!(Area::Exemptions, "/exemptions");
const ADMISSION_RECORDS: [RouteSpec; 6] = record_area!(Area::AdmissionRecords, "/admission-records");

const OTHERS: [RouteSpec; 18] = [
    api(
        "GET",
        "/api/v1/findings",
        Area::Findings,
        Action::Read,
        Target::OrgQuery,
    ),
    api(
        "GET",
        "/api/v1/rules",
        Area::Rules,
        Action::Read,
        Target::Nothing,
    ),
    api(
        "GET",
        "/api/v1/rules/{id}",
        Area::Rules,
        Action::Read,
        Target::Rule,
    ),
    api(
        "GET",
        "/api/v1/audit",
        Area::Audit,
        Action::Read,
        Target::Nothing,
    ),
    api(
        "GET",
        "/api/v1/accounts",
        Area::Accounts,
        Action::Read,
        Target::Nothing,
    ),
    api(
        "POST",
        "/api/v1/accounts",
        Area::Accounts,
        Action::Create,
        Target::Nothing,
    ),
    api(
        "POST",
        "/api/v1/accounts/{id}/reset",
        Area::Accounts,
        Action::Amend,
        Target::Account,
    ),
    api(
        "GET",
        "/api/v1/session",
        Area::OwnAccount,
        Action::Read,
        Target::Nothing,
    ),
    RouteSpec {
        public: true,
        ..api(
            "POST",
            "/api/v1/session",
            Area::OwnAccount,
            Action::Create,
            Target::Nothing,
        )
    },
    api(
        "DELETE",
        "/api/v1/session",
        Area::OwnAccount,
        Action::Delete,
        Target::Nothing,
    ),
    RouteSpec {
        public: true,
        ..api(
            "GET",
            "/api/v1/openapi.json",
            Area::Rules,
            Action::Read,
            Target::Nothing,
        )
    },
    RouteSpec {
        public: true,
        api: false,
        ..api(
            "GET",
            "/healthz",
            Area::Rules,
            Action::Read,
            Target::Nothing,
        )
    },
    RouteSpec {
        public: true,
        ..form(
            "GET",
            "/login",
            Area::OwnAccount,
            Action::Read,
            Target::Nothing,
        )
    },
    RouteSpec {
        public: true,
        ..form(
            "POST",
            "/login",
            Area::OwnAccount,
            Action::Create,
            Target::Nothing,
        )
    },
    form(
        "POST",
        "/logout",
        Area::OwnAccount,
        Action::Delete,
        Target::Nothing,
    ),
    form(
        "GET",
        "/account/password",
        Area::OwnAccount,
        Action::Read,
        Target::Nothing,
    ),
    form(
        "POST",
        "/account/password",
        Area::OwnAccount,
        Action::Amend,
        Target::Nothing,
    ),
    form(
        "POST",
        "/admin/accounts/{id}/reset",
        Area::Accounts,
        Action::Amend,
        Target::Account,
    ),
];

/// Every route outside the pages.
pub fn all() -> Vec<RouteSpec> {
    [
        ORGS,
        MEMBERS,
        MEETINGS,
        TALKS,
        COMMITTEE_TERMS,
        LOCAL_RULES,
        EXEMPTIONS,
        ADMISSION_RECORDS,
    ]
    .into_iter()
    .flatten()
    .chain(OTHERS)
    .collect()
}
