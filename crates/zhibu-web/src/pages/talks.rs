//! `/talks/{id}`: a heart-to-heart talk, with the statements of those who took part and its
//! version history. Findings about talk coverage link here as their evidence.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use zhibu_core::{HeartToHeartTalk, Member, MemberId, Org, OrgId, RecordKind, Statement, TalkId};

use super::meetings::{StatementView, VersionView, own_part_only, version_history};
use super::workspace::list_all;
use super::{Chrome, Failure, PageContext, PageError, html, parse_id};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};

#[derive(askama::Template)]
#[template(path = "talk.html")]
struct TalkPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    held_on: String,
    participants: Vec<Participant>,
    topic: String,
    statements: Vec<StatementView>,
    /// The change log; `None` for a member, who reads only their own part of the talk.
    history: Option<Vec<VersionView>>,
}

struct Participant {
    member_id: MemberId,
    name: String,
}

pub async fn view_talk(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let talk = state
        .repository
        .get::<HeartToHeartTalk>(TalkId(parse_id(&context, &id)?))
        .await
        .map_err(storage)?;
    // A member reads the talks they took part in; officers and staff the talks of their subtree.
    // Either way the talk must lie in the principal's subtree, as the API requires.
    let concerned = match principal.allows(Area::Talks, Action::Read) {
        Access::Denied => false,
        Access::Own => principal
            .member_id
            .is_some_and(|member| talk.body.involves(member)),
        Access::InScope | Access::BelowScope => true,
    };
    if !concerned
        || !principal
            .can_see_org(&state.repository, talk.body.org_id)
            .await
            .map_err(storage)?
    {
        return Err(context.error(Failure::NotFound));
    }
    let own_only = own_part_only(&principal, Area::Talks);
    let branch = talk.body.org_id;
    let branch_name = state
        .repository
        .get::<Org>(branch)
        .await
        .map_err(storage)?
        .body
        .name;
    let names: HashMap<MemberId, String> =
        list_all::<Member>(&state.repository, branch, None, None)
            .await
            .map_err(storage)?
            .into_iter()
            .map(|member| (MemberId(member.id), member.body.name))
            .collect();
    let name = |id: MemberId| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    let statements = list_all::<Statement>(&state.repository, branch, None, None)
        .await
        .map_err(storage)?
        .into_iter()
        .filter(|statement| {
            statement.body.about.kind == RecordKind::Talk
                && statement.body.about.id == talk.id
                && own_only.is_none_or(|member| statement.body.member_id == member)
        })
        .map(|statement| StatementView {
            author: name(statement.body.member_id),
            stated_on: lang.date(statement.body.stated_on),
            text: statement.body.text,
        })
        .collect();
    let page = TalkPage {
        chrome: context.chrome(context.tr().talks),
        branch_id: branch,
        branch_name,
        held_on: lang.date(talk.body.held_on),
        participants: talk
            .body
            .participants
            .iter()
            .map(|member| Participant {
                member_id: *member,
                name: name(*member),
            })
            .collect(),
        topic: talk.body.topic.clone(),
        statements,
        // A member reads a talk as the API gives it to them: without its change log.
        history: match own_only {
            Some(_) => None,
            None => Some(
                version_history(&state, RecordKind::Talk, talk.id, lang)
                    .await
                    .map_err(storage)?,
            ),
        },
    };
    Ok(html(StatusCode::OK, &page))
}
