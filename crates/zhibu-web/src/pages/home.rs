//! The home page, which sends each person to where their work is, and the language switch.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use zhibu_core::Org;
use zhibu_storage::ListRequest;

use super::i18n::{LANG_COOKIE, Lang};
use super::{
    Failure, PageContext, PageError, branch_href, member_href, query_pairs, query_value, see_other,
};
use crate::AppState;
use crate::auth::{Principal, Role};

/// `/`: committee staff to their dashboard, branch officers to their workspace, members to their
/// own records, administrators to the dashboard of the top organization.
pub async fn home(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let location = match (principal.role, principal.scope_org, principal.member_id) {
        (Role::CommitteeStaff, Some(org), _) => format!("/committees/{org}"),
        (Role::BranchSecretary | Role::BranchCommitteeMember, Some(org), _) => branch_href(org),
        (Role::Member, _, Some(member)) => member_href(member),
        (Role::Administrator, _, _) => {
            // The first organization without a parent is the top of the tree.
            let page = state
                .repository
                .list::<Org>(&ListRequest {
                    limit: Some(50),
                    ..ListRequest::default()
                })
                .await
                .map_err(|error| PageError::storage(context.lang, error))?;
            match page.items.iter().find(|org| org.body.parent_id.is_none()) {
                Some(root) => format!("/committees/{}", root.id),
                None => "/admin/audit".to_string(),
            }
        }
        _ => return Err(context.error(Failure::NotFound)),
    };
    Ok(see_other(&location))
}

/// `/lang/{zh|en}?back=/path`: remembers the language for a year and goes back. Only paths on
/// this site are followed, so the link cannot be used to send someone elsewhere.
pub async fn switch_language(Path(code): Path<String>, uri: Uri) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let query = query_pairs(&uri);
    let back = query_value(&query, "back")
        .filter(|back| back.starts_with('/') && !back.starts_with("//") && !back.contains('\\'))
        .unwrap_or("/");
    let mut response = see_other(back);
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response.into_response()
}
