//! Every route the application serves, in one table: its method, its path, the area and action of
//! the policy it falls under, and what it targets. The authorization tests walk this table for every
//! role against an org inside and one outside the role's scope; other tests hold its API part equal
//! to the OpenAPI document and the rest equal to what the page and form routers record as served
//! ([`RecordingRouter`]). Adding a route without adding it here fails those tests.

use axum::Router;
use axum::handler::Handler;

use super::policy::{Action, Area};
use crate::AppState;

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
    /// A branch by id in the path (its workspace and meeting form).
    Branch,
    /// An org above branches by id in the path (its dashboard and findings); a branch's id there
    /// is sent on to the branch's workspace.
    Committee,
    /// A member by id in the path, for something only that member may do (state their case).
    Member,
    /// One of the signed-in account's own calendar feeds by id (revoking it): another account's
    /// feed answers 404 like one that does not exist.
    OwnFeed,
    /// A calendar feed by the secret token in its path (`/feeds/<token>.ics`). Public in that it
    /// needs no session, but not open: the token is the credential. It names its owner's account,
    /// and each fetch is authorized as that account now (its role and scope as they stand), so a
    /// feed never shows what its owner could not open; unknown, revoked and no-longer-permitted
    /// tokens all answer 404. The authorization walk fetches such a route with tokens of every
    /// role's accounts, inside and outside their scope, and with revoked and made-up tokens.
    FeedToken,
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
const ADMISSION_RECORDS: [RouteSpec; 6] =
    record_area!(Area::AdmissionRecords, "/admission-records");
const INCOME_DECLARATIONS: [RouteSpec; 6] =
    record_area!(Area::IncomeDeclarations, "/income-declarations");
const DUES_PAYMENTS: [RouteSpec; 6] = record_area!(Area::DuesPayments, "/dues-payments");
const DUES_RELIEFS: [RouteSpec; 6] = record_area!(Area::DuesReliefs, "/dues-reliefs");
const DUES_POLICIES: [RouteSpec; 6] = record_area!(Area::DuesPolicies, "/dues-policies");
/// The dues pages (issue 4), in the order the page router adds them.
const DUES_PAGES: [RouteSpec; 4] = [
    form(
        "GET",
        "/branches/{id}/dues",
        Area::DuesCollection,
        Action::Read,
        Target::Branch,
    ),
    form(
        "POST",
        "/branches/{id}/dues/payments",
        Area::DuesPayments,
        Action::Create,
        Target::Branch,
    ),
    form(
        "POST",
        "/branches/{id}/dues/declarations",
        Area::IncomeDeclarations,
        Action::Create,
        Target::Branch,
    ),
    form(
        "GET",
        "/members/{id}/dues",
        Area::DuesLedgers,
        Action::Read,
        Target::Member,
    ),
];

/// The dues reports (issue 4): a branch's monthly collection, a member's ledger.
const DUES_REPORTS: [RouteSpec; 2] = [
    api(
        "GET",
        "/api/v1/dues/collection",
        Area::DuesCollection,
        Action::Read,
        Target::OrgQuery,
    ),
    api(
        "GET",
        "/api/v1/members/{id}/dues-ledger",
        Area::DuesLedgers,
        Action::Read,
        Target::Item,
    ),
];
const VOTES: [RouteSpec; 6] = record_area!(Area::Votes, "/votes");
const ELECTIONS: [RouteSpec; 6] = record_area!(Area::Elections, "/elections");
const MEETING_PLANS: [RouteSpec; 6] = record_area!(Area::MeetingPlans, "/meeting-plans");

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

const fn public(route: RouteSpec) -> RouteSpec {
    RouteSpec {
        public: true,
        ..route
    }
}

/// The server-rendered pages (`crate::pages::router`), in the order the router adds them.
const PAGES: [RouteSpec; 17] = [
    form("GET", "/", Area::OwnAccount, Action::Read, Target::Nothing),
    public(form(
        "GET",
        "/lang/{code}",
        Area::OwnAccount,
        Action::Read,
        Target::Nothing,
    )),
    public(form(
        "GET",
        "/assets/app.css",
        Area::Rules,
        Action::Read,
        Target::Nothing,
    )),
    public(form(
        "GET",
        "/assets/app.js",
        Area::Rules,
        Action::Read,
        Target::Nothing,
    )),
    form(
        "GET",
        "/branches/{id}",
        Area::Findings,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/branches/{id}/meetings/new",
        Area::Meetings,
        Action::Create,
        Target::Branch,
    ),
    form(
        "POST",
        "/branches/{id}/meetings",
        Area::Meetings,
        Action::Create,
        Target::Branch,
    ),
    form(
        "GET",
        "/meetings/{id}",
        Area::Meetings,
        Action::Read,
        Target::Item,
    ),
    form(
        "POST",
        "/meetings/{id}/amend",
        Area::Meetings,
        Action::Amend,
        Target::Item,
    ),
    form(
        "GET",
        "/committees/{id}",
        Area::Findings,
        Action::Read,
        Target::Committee,
    ),
    form(
        "GET",
        "/committees/{id}/findings",
        Area::Findings,
        Action::Read,
        Target::Committee,
    ),
    form(
        "POST",
        "/committees/{id}/exemptions",
        Area::Exemptions,
        Action::Create,
        Target::Committee,
    ),
    form(
        "GET",
        "/talks/{id}",
        Area::Talks,
        Action::Read,
        Target::Item,
    ),
    form(
        "GET",
        "/members/{id}",
        Area::Members,
        Action::Read,
        Target::Item,
    ),
    form(
        "POST",
        "/members/{id}/statements",
        Area::Statements,
        Action::Create,
        Target::Member,
    ),
    form(
        "POST",
        "/members/{id}/personal-data",
        Area::Members,
        Action::Unmask,
        Target::Item,
    ),
    form(
        "GET",
        "/admin/audit",
        Area::Audit,
        Action::Read,
        Target::Nothing,
    ),
];

/// The admission, vote and election pages (issue 5), in the order the page router adds them.
const ADMISSION_VOTE_PAGES: [RouteSpec; 11] = [
    form(
        "GET",
        "/branches/{id}/admissions",
        Area::AdmissionRecords,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/admission-records/{id}",
        Area::AdmissionRecords,
        Action::Read,
        Target::Item,
    ),
    form(
        "POST",
        "/admission-records/{id}/steps",
        Area::AdmissionRecords,
        Action::Amend,
        Target::Item,
    ),
    form(
        "GET",
        "/meetings/{id}/votes",
        Area::Votes,
        Action::Read,
        Target::Item,
    ),
    form(
        "POST",
        "/meetings/{id}/votes",
        Area::Votes,
        Action::Create,
        Target::Item,
    ),
    form(
        "GET",
        "/votes/{id}",
        Area::Votes,
        Action::Read,
        Target::Item,
    ),
    form(
        "GET",
        "/meetings/{id}/ballot-box",
        Area::Votes,
        Action::Create,
        Target::Item,
    ),
    form(
        "POST",
        "/meetings/{id}/ballot-box/cast",
        Area::Votes,
        Action::Create,
        Target::Item,
    ),
    form(
        "POST",
        "/meetings/{id}/ballot-box/close",
        Area::Votes,
        Action::Create,
        Target::Item,
    ),
    form(
        "GET",
        "/branches/{id}/elections",
        Area::Elections,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/elections/{id}",
        Area::Elections,
        Action::Read,
        Target::Item,
    ),
];

/// The regularity pages and the calendar feeds (issue 7), in the order the page router adds them.
const REGULARITY_AND_CALENDAR_PAGES: [RouteSpec; 6] = [
    form(
        "GET",
        "/branches/{id}/regularity",
        Area::Findings,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/committees/{id}/regularity",
        Area::Findings,
        Action::Read,
        Target::Committee,
    ),
    form(
        "GET",
        "/account/calendars",
        Area::CalendarFeeds,
        Action::Read,
        Target::Nothing,
    ),
    form(
        "POST",
        "/account/calendars",
        Area::CalendarFeeds,
        Action::Create,
        Target::Nothing,
    ),
    form(
        "POST",
        "/account/calendars/{id}/revoke",
        Area::CalendarFeeds,
        Action::Delete,
        Target::OwnFeed,
    ),
    // Public by token: see `Target::FeedToken`.
    public(form(
        "GET",
        "/feeds/{token}",
        Area::CalendarFeeds,
        Action::Read,
        Target::FeedToken,
    )),
];

/// Reminders (issue 7): one's inbox and channel choices, group bots, the deliveries page, in the
/// order the page router adds them.
const REMINDER_PAGES: [RouteSpec; 6] = [
    form(
        "GET",
        "/inbox",
        Area::OwnAccount,
        Action::Read,
        Target::Nothing,
    ),
    form(
        "POST",
        "/inbox/read",
        Area::OwnAccount,
        Action::Amend,
        Target::Nothing,
    ),
    form(
        "GET",
        "/settings/notifications",
        Area::OwnAccount,
        Action::Read,
        Target::Nothing,
    ),
    form(
        "POST",
        "/settings/notifications",
        Area::OwnAccount,
        Action::Amend,
        Target::Nothing,
    ),
    form(
        "POST",
        "/settings/notifications/groups",
        Area::GroupChannels,
        Action::Create,
        Target::Nothing,
    ),
    form(
        "GET",
        "/admin/deliveries",
        Area::Deliveries,
        Action::Read,
        Target::Nothing,
    ),
];

/// The downloads (`crate::pages::exports`), in the order the page router adds them.
const EXPORTS: [RouteSpec; 9] = [
    form(
        "GET",
        "/branches/{id}/exports/roster.pdf",
        Area::Exports,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/branches/{id}/exports/roster.xlsx",
        Area::Exports,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/branches/{id}/exports/dues.pdf",
        Area::Exports,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/branches/{id}/exports/dues.xlsx",
        Area::Exports,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/branches/{id}/exports/attendance.xlsx",
        Area::Exports,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/branches/{id}/exports/annual-summary.pdf",
        Area::Exports,
        Action::Read,
        Target::Branch,
    ),
    form(
        "GET",
        "/meetings/{id}/record.pdf",
        Area::Exports,
        Action::Read,
        Target::Item,
    ),
    form(
        "GET",
        "/meetings/{id}/record.docx",
        Area::Exports,
        Action::Read,
        Target::Item,
    ),
    form(
        "GET",
        "/admission-records/{id}/record.pdf",
        Area::Exports,
        Action::Read,
        Target::Item,
    ),
];

/// The spreadsheet import pages (issue 4 §3), in the order the page router adds them.
const IMPORT_PAGES: [RouteSpec; 4] = [
    form(
        "GET",
        "/imports",
        Area::Imports,
        Action::Read,
        Target::Nothing,
    ),
    form(
        "POST",
        "/imports",
        Area::Imports,
        Action::Create,
        Target::Nothing,
    ),
    form(
        "POST",
        "/imports/confirm",
        Area::Imports,
        Action::Create,
        Target::Nothing,
    ),
    form(
        "POST",
        "/imports/rollback",
        Area::Imports,
        Action::Delete,
        Target::Nothing,
    ),
];

/// The election entry form and the report upwards (issue 5 §4), in the order the page router
/// adds them: recording an election is creating one; sending it up and the upper decision amend it.
const ELECTION_FORM_PAGES: [RouteSpec; 3] = [
    form(
        "GET",
        "/branches/{id}/elections/new",
        Area::Elections,
        Action::Create,
        Target::Branch,
    ),
    form(
        "POST",
        "/branches/{id}/elections/new",
        Area::Elections,
        Action::Create,
        Target::Branch,
    ),
    form(
        "POST",
        "/elections/{id}/report",
        Area::Elections,
        Action::Amend,
        Target::Item,
    ),
];

/// The planned-meeting form (issue 7), in the order the page router adds it.
const MEETING_PLAN_PAGES: [RouteSpec; 2] = [
    form(
        "GET",
        "/branches/{id}/meeting-plans/new",
        Area::MeetingPlans,
        Action::Create,
        Target::Branch,
    ),
    form(
        "POST",
        "/branches/{id}/meeting-plans",
        Area::MeetingPlans,
        Action::Create,
        Target::Branch,
    ),
];

/// Every route: the JSON API, the sign-in and account forms, and the pages.
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
        VOTES,
        ELECTIONS,
        INCOME_DECLARATIONS,
        DUES_PAYMENTS,
        DUES_RELIEFS,
        DUES_POLICIES,
        MEETING_PLANS,
    ]
    .into_iter()
    .flatten()
    .chain(DUES_REPORTS)
    .chain(OTHERS)
    .chain(PAGES)
    .chain(REGULARITY_AND_CALENDAR_PAGES)
    .chain(REMINDER_PAGES)
    .chain(ADMISSION_VOTE_PAGES)
    .chain(ELECTION_FORM_PAGES)
    .chain(DUES_PAGES)
    .chain(EXPORTS)
    .chain(IMPORT_PAGES)
    .chain(MEETING_PLAN_PAGES)
    .collect()
}

/// The routes of `all()` that are not part of the JSON API: the sign-in and account forms,
/// `/healthz` and the pages.
pub fn outside_the_api() -> Vec<RouteSpec> {
    all().into_iter().filter(|route| !route.api).collect()
}

/// A router that writes down every method and path it is given, so that a test can hold the table
/// above equal to what is actually served (axum cannot list a router's routes). The page and form
/// routers are built only through it.
pub struct RecordingRouter {
    router: Router<AppState>,
    served: Vec<(&'static str, &'static str)>,
}

impl Default for RecordingRouter {
    fn default() -> Self {
        RecordingRouter::new()
    }
}

impl RecordingRouter {
    pub fn new() -> RecordingRouter {
        RecordingRouter {
            router: Router::new(),
            served: Vec::new(),
        }
    }

    /// Serves `GET path` with `handler`.
    pub fn get<H, T>(mut self, path: &'static str, handler: H) -> RecordingRouter
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, axum::routing::get(handler));
        self.served.push(("GET", path));
        self
    }

    /// Serves `POST path` with `handler`.
    pub fn post<H, T>(mut self, path: &'static str, handler: H) -> RecordingRouter
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, axum::routing::post(handler));
        self.served.push(("POST", path));
        self
    }

    /// The method and path of every route added, in order.
    pub fn served(&self) -> &[(&'static str, &'static str)] {
        &self.served
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
