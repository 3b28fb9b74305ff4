//! `/admin/audit`: administrators search the audit log. Personal data in it is masked: the last
//! part of each address, and any long run of digits in an entry's detail (an ID card or phone
//! number typed into a reason), which keeps enough to tell entries apart.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use zhibu_core::calendar::china_standard_time;
use zhibu_storage::AuditQuery;

use super::{Chrome, Failure, PageContext, PageError, html, query_pairs, query_value};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal, mask_identifier};

const PAGE_SIZE: u32 = 100;

#[derive(askama::Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    login: String,
    action: String,
    from: String,
    to: String,
    from_error: bool,
    to_error: bool,
    date_error: String,
    entries: Vec<EntryView>,
    older_href: Option<String>,
}

struct EntryView {
    at: String,
    login: String,
    ip: String,
    action: String,
    target: String,
    detail: String,
}

/// Masks the host part of an address: `192.168.1.*`, `2001:db8:…:*`.
fn mask_ip(ip: &str) -> String {
    match ip.rsplit_once(['.', ':']) {
        Some((network, _)) => format!("{network}{}*", if ip.contains('.') { "." } else { ":" }),
        None => "*".to_string(),
    }
}

/// Masks every run of seven or more digits (or an ID card number ending in X) in `text`.
fn mask_digit_runs(text: &str) -> String {
    let mut masked = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, masked: &mut String| {
        if run.chars().count() >= 7 {
            masked.push_str(&mask_identifier(run));
        } else {
            masked.push_str(run);
        }
        run.clear();
    };
    for character in text.chars() {
        if character.is_ascii_digit() || ((character == 'X' || character == 'x') && !run.is_empty())
        {
            run.push(character);
        } else {
            flush(&mut run, &mut masked);
            masked.push(character);
        }
    }
    flush(&mut run, &mut masked);
    masked
}

fn china_midnight(day: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    china_standard_time()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|instant| instant.with_timezone(&Utc))
}

pub async fn audit_page(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    if principal.allows(Area::Audit, Action::Read) == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    let query = query_pairs(&uri);
    let text = |name: &str| query_value(&query, name).unwrap_or("").trim().to_string();
    let (login, action, from, to) = (text("login"), text("action"), text("from"), text("to"));
    let parse_day = |value: &str| -> Result<Option<NaiveDate>, ()> {
        if value.is_empty() {
            Ok(None)
        } else {
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| ())
        }
    };
    let from_day = parse_day(&from);
    let to_day = parse_day(&to);
    let before = query_value(&query, "before").and_then(|value| value.parse::<i64>().ok());
    let mut entries = Vec::new();
    let mut older_href = None;
    if let (Ok(from_day), Ok(to_day)) = (from_day, to_day) {
        let search = AuditQuery {
            login: (!login.is_empty()).then(|| login.to_lowercase()),
            action: (!action.is_empty()).then(|| action.clone()),
            from: from_day.and_then(china_midnight),
            until: to_day
                .and_then(|day| day.succ_opt())
                .and_then(china_midnight),
            path_prefix: None,
            before_id: before,
            limit: PAGE_SIZE + 1,
        };
        let mut found = state
            .repository
            .accounts()
            .search_audit(&search)
            .await
            .map_err(|error| PageError::storage(lang, error))?;
        if found.len() > PAGE_SIZE as usize {
            found.truncate(PAGE_SIZE as usize);
            if let Some(last) = found.last() {
                let mut next = form_urlencoded::Serializer::new(String::new());
                for (name, value) in [
                    ("login", &login),
                    ("action", &action),
                    ("from", &from),
                    ("to", &to),
                ] {
                    next.append_pair(name, value);
                }
                next.append_pair("before", &last.id.to_string());
                older_href = Some(format!("/admin/audit?{}", next.finish()));
            }
        }
        entries = found
            .into_iter()
            .map(|entry| EntryView {
                at: entry
                    .at
                    .with_timezone(&china_standard_time())
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                login: entry.login.unwrap_or_default(),
                ip: entry.ip.as_deref().map(mask_ip).unwrap_or_default(),
                action: entry.action,
                target: match (entry.target_kind, entry.target_id) {
                    (Some(kind), Some(id)) => format!("{kind} {id}"),
                    (Some(kind), None) => kind,
                    _ => String::new(),
                },
                detail: mask_digit_runs(&entry.detail),
            })
            .collect();
    }
    let page = AuditPage {
        chrome: context.chrome(context.tr().audit_title),
        from_error: from_day.is_err(),
        to_error: to_day.is_err(),
        date_error: lang
            .pick("日期须写作YYYY-MM-DD", "write the date as YYYY-MM-DD")
            .to_string(),
        login,
        action,
        from,
        to,
        entries,
        older_href,
    };
    Ok(html(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked() {
        assert_eq!(mask_ip("192.168.1.23"), "192.168.1.*");
        assert_eq!(
            mask_digit_runs(r#"{"reason":"身份证110101199003071234，电话13812345678，第3版"}"#),
            r#"{"reason":"身份证110***********1234，电话138****5678，第3版"}"#
        );
        assert_eq!(mask_digit_runs("11010119900307123X"), "110***********123X");
    }
}
