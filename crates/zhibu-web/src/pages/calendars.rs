//! Calendar feeds (issue 7): an iCalendar (RFC 5545) feed per branch and per member that phone and
//! desktop calendar apps subscribe to, and the page where people make and revoke their feeds.
//!
//! - `GET /account/calendars`: one's own feeds (made, last fetched, revoked) and the form for a new
//!   one: the calendar of one's branch (for those who may read its findings; `?branch=` offers
//!   another branch in scope) or one's own calendar as a member.
//! - `POST /account/calendars`: makes a feed. The address, with a fresh 256-bit token from the
//!   operating system's random number generator, is shown on the answer once and never again: only
//!   the token's SHA-256 is stored. Audited as `calendar_feed_create`.
//! - `POST /account/calendars/{id}/revoke`: revokes one of one's own feeds; audited.
//! - `GET /feeds/{token}.ics`: the feed. No session: the token is the credential. It names its
//!   owner's account, and every fetch checks, as if that account were signed in now, that it may
//!   still see what the feed shows; an unknown, revoked or no-longer-permitted token answers 404
//!   exactly like one that never existed.
//!
//! What a feed holds, for the whole year (through `zhibu_core::ical::year_events`, so the feed and
//! the page cannot disagree): the obligations the branch page lists (due this month and open
//! findings), every period of every recurring duty of the year as the workspace's calendar of
//! duties shows it (`workspace::year_duties`; a period a finding stands for is that finding's
//! event, under the same UID), the year's planned meetings (`meeting_plan` records; a deleted plan
//! leaves the feed) and the year's recorded meetings. A member's own feed holds what they must act
//! on or attend, the plans and duties of meetings they are expected at, and the meetings whose
//! roster lists them; the open findings (judgements on the branch) only if their role may read the
//! branch's findings, otherwise just the duties coming due.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sha2::{Digest, Sha256};
use zhibu_core::calendar::china_standard_time;
use zhibu_core::engine::{FindingStatus, Report, Snapshot};
use zhibu_core::ical::{
    Calendar, FeedOptions, FeedScope, PlannedMeeting, RecordedMeeting, YearDuty,
    recorded_meeting_event, year_events,
};
use zhibu_core::{
    CommitteeTerm, HeartToHeartTalk, Meeting, MeetingPlan, Member, MemberId, Org, OrgId, OrgLevel,
};
use zhibu_storage::feeds::{FEED_SUBJECT_BRANCH, FEED_SUBJECT_MEMBER};
use zhibu_storage::{
    CalendarFeedRow, CalendarFeedStore, NewCalendarFeed, SessionRow, StorageError,
    calendar_feed_store,
};

use super::evaluation::Evaluation;
use super::evaluation::{FindingsCache, year_end, year_start};
use super::i18n::Lang;
use super::workspace::{list_all, may_see_findings, year_duties};
use super::{
    Chrome, Failure, PageContext, PageError, audit_change, check_csrf, field, form_fields, html,
    parse_id, query_pairs, query_value, see_other,
};
use crate::AppState;
use crate::auth::password::{random_hex, token_hash};
use crate::auth::{Access, Action, Area, Principal};

/// Bytes of randomness in a feed token: 256 bits, written as 64 hex digits.
const TOKEN_BYTES: usize = 32;

/// How often subscribers are asked to fetch again (`REFRESH-INTERVAL`), in hours.
const REFRESH_HOURS: u32 = 4;

/// How long a fetched feed may be reused before asking again (`Cache-Control: max-age`).
const MAX_AGE_SECONDS: u32 = 900;

fn feeds(state: &AppState) -> Result<&dyn CalendarFeedStore, StorageError> {
    calendar_feed_store(state.repository.backend())
}

/// One of the account's feeds on its page.
struct FeedRowView {
    id: i64,
    what: String,
    created: String,
    fetched: String,
    revoked: Option<String>,
}

/// A calendar the account may subscribe to, as an option of the form.
struct SubjectOption {
    value: String,
    label: String,
}

/// The address of a feed just made, shown once.
struct CreatedFeed {
    url: String,
    webcal_url: String,
}

#[derive(askama::Template)]
#[template(path = "calendars.html")]
struct CalendarsPage {
    chrome: Chrome,
    created: Option<CreatedFeed>,
    error: Option<&'static str>,
    options: Vec<SubjectOption>,
    feeds: Vec<FeedRowView>,
}

/// `2026-06-15 10:30`, China time.
fn china_time(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&china_standard_time())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The scheme and host the request came to, for absolute addresses: `https` when the server is
/// configured as behind TLS.
fn origin(state: &AppState, headers: &HeaderMap) -> (String, String) {
    let scheme = if state.auth.secure_cookies {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost")
        .to_string();
    (scheme.to_string(), host)
}

/// What a feed shows, in the reader's language.
async fn subject_label(
    state: &AppState,
    lang: Lang,
    kind: &str,
    id: i64,
) -> Result<String, StorageError> {
    let name = |result: Result<String, StorageError>| match result {
        Ok(name) => Ok(name),
        Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => Ok(id.to_string()),
        Err(error) => Err(error),
    };
    Ok(if kind == FEED_SUBJECT_BRANCH {
        let org = name(
            state
                .repository
                .get::<Org>(OrgId(id))
                .await
                .map(|org| org.body.name),
        )?;
        match lang {
            Lang::Zh => format!("支部日历：{org}"),
            Lang::En => format!("Branch calendar: {org}"),
        }
    } else {
        let member = name(
            state
                .repository
                .get::<Member>(MemberId(id))
                .await
                .map(|member| member.body.name),
        )?;
        match lang {
            Lang::Zh => format!("本人日历：{member}"),
            Lang::En => format!("Own calendar: {member}"),
        }
    })
}

/// The calendars the principal may subscribe to: their own as a member, their branch's if they
/// may read its findings, and `extra_branch` (from `?branch=`) if they may read that one's.
async fn subject_options(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    extra_branch: Option<OrgId>,
) -> Result<Vec<SubjectOption>, StorageError> {
    let mut options = Vec::new();
    let mut branches: Vec<OrgId> = Vec::new();
    if let Some(org) = principal.scope_org {
        branches.push(org);
    }
    if let Some(extra) = extra_branch
        && !branches.contains(&extra)
    {
        branches.push(extra);
    }
    for branch in branches {
        if may_subscribe_to_branch(state, principal, branch).await? {
            options.push(SubjectOption {
                value: format!("branch:{branch}"),
                label: subject_label(state, lang, FEED_SUBJECT_BRANCH, branch.0).await?,
            });
        }
    }
    if let Some(member) = principal.member_id {
        options.push(SubjectOption {
            value: "member".to_string(),
            label: subject_label(state, lang, FEED_SUBJECT_MEMBER, member.0).await?,
        });
    }
    Ok(options)
}

/// Whether `principal` may have (and still read) the calendar of `branch`: it is a branch, and
/// they may read its findings.
async fn may_subscribe_to_branch(
    state: &AppState,
    principal: &Principal,
    branch: OrgId,
) -> Result<bool, StorageError> {
    if !may_see_findings(state, principal, branch).await? {
        return Ok(false);
    }
    match state.repository.get::<Org>(branch).await {
        Ok(org) => Ok(org.body.level == OrgLevel::Branch),
        Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

async fn feed_rows(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
) -> Result<Vec<FeedRowView>, StorageError> {
    let tr = lang.texts();
    let mut rows = Vec::new();
    for feed in feeds(state)?
        .calendar_feeds_of_account(principal.account_id)
        .await?
    {
        rows.push(FeedRowView {
            id: feed.id,
            what: subject_label(state, lang, &feed.subject_kind, feed.subject_id).await?,
            created: china_time(feed.created_at),
            fetched: feed
                .last_fetched_at
                .map_or_else(|| tr.calendars_never.to_string(), china_time),
            revoked: feed.revoked_at.map(china_time),
        });
    }
    Ok(rows)
}

// The page is drawn from several places, each with its own mix of these.
#[allow(clippy::too_many_arguments)]
async fn render_page(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    status: StatusCode,
    created: Option<CreatedFeed>,
    error: Option<&'static str>,
    extra_branch: Option<OrgId>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let mut chrome = context.chrome(context.tr().calendars_title);
    chrome.notice = notice;
    let page = CalendarsPage {
        chrome,
        created,
        error,
        options: subject_options(state, principal, lang, extra_branch)
            .await
            .map_err(storage)?,
        feeds: feed_rows(state, principal, lang).await.map_err(storage)?,
    };
    Ok(html(status, &page))
}

pub async fn calendars_page(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let query = query_pairs(&uri);
    let extra_branch = query_value(&query, "branch")
        .and_then(|text| text.parse::<i64>().ok())
        .map(OrgId);
    let notice = (query_value(&query, "revoked") == Some("1"))
        .then(|| context.tr().calendars_revoked_notice.to_string());
    render_page(
        &state,
        &context,
        &principal,
        StatusCode::OK,
        None,
        None,
        extra_branch,
        notice,
    )
    .await
}

pub async fn create_feed(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let subject = field(&fields, "subject");
    let chosen: Option<(&str, i64, String)> = if subject == "member" {
        match principal.member_id {
            Some(member) => {
                let stored = state
                    .repository
                    .get::<Member>(member)
                    .await
                    .map_err(storage)?;
                let branch = stored
                    .body
                    .branch_on((state.today)())
                    .or_else(|| stored.body.current_branch());
                let path = match branch {
                    Some(branch) => state.repository.org_path(branch).await.map_err(storage)?,
                    None => String::new(),
                };
                Some((FEED_SUBJECT_MEMBER, member.0, path))
            }
            None => None,
        }
    } else if let Some(id) = subject
        .strip_prefix("branch:")
        .and_then(|text| text.parse::<i64>().ok())
    {
        let branch = OrgId(id);
        if may_subscribe_to_branch(&state, &principal, branch)
            .await
            .map_err(storage)?
        {
            let path = state.repository.org_path(branch).await.map_err(storage)?;
            Some((FEED_SUBJECT_BRANCH, id, path))
        } else {
            None
        }
    } else {
        None
    };
    let Some((kind, subject_id, org_path)) = chosen else {
        return render_page(
            &state,
            &context,
            &principal,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(context.tr().calendars_subject_invalid),
            None,
            None,
        )
        .await;
    };
    let token = random_hex(TOKEN_BYTES)
        .map_err(|error| context.error(Failure::Internal(error.to_string())))?;
    let row = feeds(&state)
        .map_err(storage)?
        .create_calendar_feed(&NewCalendarFeed {
            token_hash: token_hash(&token),
            account_id: principal.account_id,
            subject_kind: kind.to_string(),
            subject_id,
            created_at: state.repository.now(),
        })
        .await
        .map_err(storage)?;
    audit_change(
        &state,
        &principal,
        "calendar_feed_create",
        "calendar_feed",
        row.id,
        &org_path,
        serde_json::json!({ "subject_kind": kind, "subject_id": subject_id }),
    )
    .await;
    let (scheme, host) = origin(&state, &headers);
    let created = CreatedFeed {
        url: format!("{scheme}://{host}/feeds/{token}.ics"),
        webcal_url: format!("webcal://{host}/feeds/{token}.ics"),
    };
    render_page(
        &state,
        &context,
        &principal,
        StatusCode::OK,
        Some(created),
        None,
        None,
        None,
    )
    .await
}

pub async fn revoke_feed(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let id = parse_id(&context, &id)?;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    // Another account's feed, an unknown one and one already revoked answer alike.
    let Some(row) = feeds(&state)
        .map_err(storage)?
        .revoke_calendar_feed(id, principal.account_id, state.repository.now())
        .await
        .map_err(storage)?
    else {
        return Err(context.error(Failure::NotFound));
    };
    let org_path = feed_org_path(&state, &row).await.map_err(storage)?;
    audit_change(
        &state,
        &principal,
        "calendar_feed_revoke",
        "calendar_feed",
        row.id,
        &org_path,
        serde_json::json!({ "subject_kind": row.subject_kind, "subject_id": row.subject_id }),
    )
    .await;
    Ok(see_other("/account/calendars?revoked=1"))
}

/// The org path a feed is filed under in the audit log: the branch's, or the member's branch's.
async fn feed_org_path(state: &AppState, row: &CalendarFeedRow) -> Result<String, StorageError> {
    let branch = if row.subject_kind == FEED_SUBJECT_BRANCH {
        Some(OrgId(row.subject_id))
    } else {
        match state
            .repository
            .get::<Member>(MemberId(row.subject_id))
            .await
        {
            Ok(member) => member.body.current_branch(),
            Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => None,
            Err(error) => return Err(error),
        }
    };
    match branch {
        Some(branch) => match state.repository.org_path(branch).await {
            Ok(path) => Ok(path),
            Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => Ok(String::new()),
            Err(error) => Err(error),
        },
        None => Ok(String::new()),
    }
}

/// A feed that does not exist, is revoked or is no longer permitted: all answer the same.
fn no_feed() -> Response {
    let mut response = (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "找不到这个日历订阅（地址有误或已撤销） / No such calendar feed (wrong address, or revoked)\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether a text is a token as we make them: 64 lowercase hex digits.
fn is_token(text: &str) -> bool {
    text.len() == TOKEN_BYTES * 2
        && text
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

pub async fn feed(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<FindingsCache>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    match feed_response(&state, &cache, &headers, &file).await {
        Ok(Some(response)) => response,
        Ok(None) => no_feed(),
        Err(error) => {
            tracing::error!(%error, "a calendar feed failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "服务器内部出错 / Internal error\n",
            )
                .into_response()
        }
    }
}

/// The feed's answer, or `None` for "no such feed".
async fn feed_response(
    state: &AppState,
    cache: &FindingsCache,
    headers: &HeaderMap,
    file: &str,
) -> Result<Option<Response>, StorageError> {
    let Some(token) = file.strip_suffix(".ics").filter(|token| is_token(token)) else {
        return Ok(None);
    };
    let store = feeds(state)?;
    let Some(row) = store.calendar_feed_by_token(&token_hash(token)).await? else {
        return Ok(None);
    };
    if row.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(account) = state.repository.accounts().account(row.account_id).await? else {
        return Ok(None);
    };
    // The owner as if signed in now: their role and scope as they stand today. The session row
    // only carries the CSRF token, which a feed never uses.
    let now = state.repository.now();
    let session = SessionRow {
        token_hash: String::new(),
        account_id: account.id,
        csrf_token: String::new(),
        created_at: now,
        expires_at: now,
    };
    let owner = crate::auth::session::principal_of(state, account, &session, None).await?;
    let (scheme, host) = origin(state, headers);
    let options = FeedOptions {
        uid_domain: host.split(':').next().unwrap_or("zhibu").to_string(),
        page_url: None,
    };
    let today = (state.today)();
    let calendar = if row.subject_kind == FEED_SUBJECT_BRANCH {
        let branch = OrgId(row.subject_id);
        if !may_subscribe_to_branch(state, &owner, branch).await? {
            return Ok(None);
        }
        branch_calendar(state, cache, branch, today, &scheme, &host, options).await?
    } else {
        let member = MemberId(row.subject_id);
        if owner.member_id != Some(member) {
            return Ok(None);
        }
        match member_calendar(state, cache, &owner, member, today, &scheme, &host, options).await? {
            Some(calendar) => calendar,
            None => return Ok(None),
        }
    };
    if let Err(error) = store.record_calendar_feed_fetch(row.id, now).await {
        // Serving the feed matters more than noting when it was fetched; the fault is logged.
        tracing::error!(%error, feed = row.id, "could not note a calendar feed's fetch");
    }
    // The validator covers everything but DTSTAMP, which is the time of each fetch.
    let unstamped = calendar.to_ics(Utc.timestamp_opt(0, 0).single().unwrap_or(now));
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(unstamped.as_bytes())));
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            calendar.to_ics(now),
        )
            .into_response()
    };
    let response_headers = response.headers_mut();
    // Private: the feed is its owner's; shared caches must not keep it.
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("private, max-age={MAX_AGE_SECONDS}"))
            .unwrap_or(HeaderValue::from_static("private")),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, value);
    }
    response_headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"zhibu.ics\""),
    );
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The token is in the address: never send it on as a referrer.
    response_headers.insert(
        axum::http::HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    Ok(Some(response))
}

fn recorded(
    meeting: &zhibu_core::Stored<Meeting>,
    org_name: String,
    scheme: &str,
    host: &str,
) -> RecordedMeeting {
    RecordedMeeting {
        record_id: meeting.id,
        org_name,
        kinds: meeting.body.kinds.clone(),
        on: meeting.body.held_on,
        place: meeting.body.place.clone(),
        url: Some(format!("{scheme}://{host}/meetings/{}", meeting.id)),
    }
}

/// The year's duties (the workspace's calendar) and planned meetings of a branch and its groups.
async fn duties_and_plans(
    state: &AppState,
    evaluation: &Evaluation,
    branch: OrgId,
    year: i32,
    scheme: &str,
    host: &str,
) -> Result<(Vec<YearDuty>, Vec<PlannedMeeting>), StorageError> {
    let (from, to) = (Some(year_start(year)), Some(year_end(year)));
    let org = state.repository.get::<Org>(branch).await?;
    let meetings = list_all::<Meeting>(&state.repository, branch, from, to).await?;
    let talks = list_all::<HeartToHeartTalk>(&state.repository, branch, from, to).await?;
    let duties = year_duties(state, branch, &org.body, year, &meetings, &talks);
    let plans = list_all::<MeetingPlan>(&state.repository, branch, from, to)
        .await?
        .into_iter()
        .map(|plan| PlannedMeeting {
            key: plan.id.to_string(),
            org_id: plan.body.org_id,
            org_name: evaluation.org_name(plan.body.org_id),
            kinds: plan.body.kinds,
            on: plan.body.planned_on,
            place: plan.body.place,
            url: Some(format!(
                "{scheme}://{host}/branches/{branch}#plan-{}",
                plan.id
            )),
            starts_at: plan.body.starts_at,
            topic: plan.body.topic,
        })
        .collect();
    Ok((duties, plans))
}

/// A branch's calendar: what its page lists, for it and its party groups, the year's duties and
/// planned meetings, and the year's meetings.
async fn branch_calendar(
    state: &AppState,
    cache: &FindingsCache,
    branch: OrgId,
    today: NaiveDate,
    scheme: &str,
    host: &str,
    mut options: FeedOptions,
) -> Result<Calendar, StorageError> {
    let year = today.year();
    let evaluation = cache
        .evaluation(&state.repository, branch, year, today)
        .await?;
    options.page_url = Some(format!("{scheme}://{host}/branches/{branch}"));
    let orgs: Vec<OrgId> = evaluation
        .orgs
        .values()
        .filter(|org| {
            org.id == branch || (org.level == OrgLevel::PartyGroup && org.parent_id == Some(branch))
        })
        .map(|org| org.id)
        .collect();
    let (duties, plans) = duties_and_plans(state, &evaluation, branch, year, scheme, host).await?;
    let mut events = year_events(
        &evaluation.report,
        &FeedScope::Branch { orgs: &orgs },
        &duties,
        &plans,
        &options,
    );
    let meetings = list_all::<Meeting>(
        &state.repository,
        branch,
        Some(year_start(year)),
        Some(year_end(year)),
    )
    .await?;
    for meeting in &meetings {
        let org_name = evaluation.org_name(meeting.body.org_id);
        events.push(recorded_meeting_event(
            &recorded(meeting, org_name, scheme, host),
            &options,
        ));
    }
    events.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    let name = evaluation.org_name(branch);
    Ok(Calendar {
        name: format!("{name} · 支部工作日历 / Branch calendar"),
        description: Some(format!(
            "{name}{year}年的工作期限、待处理问题和会议记录（支部 Zhibu） / {name}: deadlines, open findings and meetings of {year} (Zhibu)"
        )),
        refresh_hours: Some(REFRESH_HOURS),
        events,
    })
}

/// A member's own calendar, or `None` when they belong to no branch today.
#[allow(clippy::too_many_arguments)]
async fn member_calendar(
    state: &AppState,
    cache: &FindingsCache,
    owner: &Principal,
    member: MemberId,
    today: NaiveDate,
    scheme: &str,
    host: &str,
    options: FeedOptions,
) -> Result<Option<Calendar>, StorageError> {
    let stored = match state.repository.get::<Member>(member).await {
        Ok(stored) => stored,
        Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let Some(branch) = stored.body.branch_on(today) else {
        return Ok(None);
    };
    let path = state.repository.org_path(branch).await?;
    if !owner.may_see_member(member, &path) {
        return Ok(None);
    }
    let year = today.year();
    let evaluation = cache
        .evaluation(&state.repository, branch, year, today)
        .await?;
    let terms = list_all::<CommitteeTerm>(&state.repository, branch, None, None).await?;
    let name = stored.body.name.clone();
    let snapshot = Snapshot {
        members: vec![stored],
        committee_terms: terms,
        ..Snapshot::default()
    };
    let catalogue = state.repository.catalogue();
    let Some(scope) = FeedScope::for_member(&snapshot, catalogue, member, today) else {
        return Ok(None);
    };
    // Judgements on the branch only for those who may read its findings; a member sees the duties
    // coming due that they must act on or attend.
    let reads_findings =
        owner.allows(Area::Findings, Action::Read) != Access::Denied && owner.can_see_path(&path);
    let report: Report = if reads_findings {
        evaluation.report.clone()
    } else {
        let mut report = evaluation.report.clone();
        report
            .findings
            .retain(|finding| finding.status == FindingStatus::ComingDue);
        report
    };
    let (duties, plans) = duties_and_plans(state, &evaluation, branch, year, scheme, host).await?;
    let mut events = year_events(&report, &scope, &duties, &plans, &options);
    let meetings = list_all::<Meeting>(
        &state.repository,
        branch,
        Some(year_start(year)),
        Some(year_end(year)),
    )
    .await?;
    for meeting in meetings.iter().filter(|meeting| {
        meeting
            .body
            .attendance
            .iter()
            .any(|entry| entry.member_id == member)
    }) {
        let org_name = evaluation.org_name(meeting.body.org_id);
        events.push(recorded_meeting_event(
            &recorded(meeting, org_name, scheme, host),
            &options,
        ));
    }
    events.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    Ok(Some(Calendar {
        name: format!("{name} · 本人日历 / My calendar"),
        description: Some(format!(
            "{name}{year}年要参加和办理的工作及参加的会议（支部 Zhibu） / {name}: duties and meetings of {year} (Zhibu)"
        )),
        refresh_hours: Some(REFRESH_HOURS),
        events,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_tokens_are_looked_up() {
        assert!(is_token(&"ab".repeat(32)));
        assert!(!is_token(&"AB".repeat(32)), "upper case is not ours");
        assert!(!is_token(&"ab".repeat(31)));
        assert!(!is_token(&format!("{}zz", "ab".repeat(31))));
    }
}
