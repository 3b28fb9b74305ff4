//! Reminders (issue 7): the inbox (`/inbox`, always on), each person's channel choices
//! (`/settings/notifications`: an e-mail address, the group bots to be told through), the group
//! bots of an org (configured there by administrators, committee staff and branch secretaries),
//! and the administrators' page of every delivery with its attempts (`/admin/deliveries`).
//!
//! Secrets: a bot's webhook URL carries its access token and a 钉钉 bot has a signing secret; they
//! are shown masked, never in full, and e-mail addresses are masked on the administrators' page.
//! When the database has a data key (`zhibu_storage::sealing`), the URL, the secret and e-mail
//! addresses are sealed at rest with it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::json;
use zhibu_core::OrgId;
use zhibu_core::calendar::china_standard_time;
use zhibu_storage::NotificationStore;
use zhibu_storage::notify::{
    ChannelConfig, ChannelKind, ChannelPreferences, DeliveryQuery, DeliveryStatus, NewChannelConfig,
};

use super::i18n::Lang;
use super::{
    Chrome, Failure, PageContext, PageError, check_csrf, field, form_fields, html, query_pairs,
    query_value, see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, AuditTarget, Principal, audit};

const INBOX_SIZE: u32 = 200;
const DELIVERIES_PAGE: u32 = 200;

fn store(state: &AppState, lang: Lang) -> Result<&dyn NotificationStore, PageError> {
    state.repository.backend().notifications().ok_or_else(|| {
        PageError::new(
            lang,
            Failure::Internal("this database keeps no reminders".into()),
        )
    })
}

fn local_time(instant: chrono::DateTime<chrono::Utc>) -> String {
    instant
        .with_timezone(&china_standard_time())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Secrets at rest.
// ---------------------------------------------------------------------------------------------

/// Seals a secret with the database's data key, if it has one.
fn seal_text(state: &AppState, field: &str, clear: &str) -> String {
    zhibu_storage::notify::seal_text(state.repository.data_key(), field, clear)
}

/// Opens what [`seal_text`] stored (clear text stays as it is).
fn open_text(state: &AppState, field: &str, stored: &str) -> Result<String, String> {
    zhibu_storage::notify::open_text(state.repository.data_key(), field, stored)
}

/// `wang***@example.org`.
fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let keep: String = local.chars().take(2).collect();
            format!("{keep}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// The scheme and host of a webhook URL, the rest masked: `https://qyapi.weixin.qq.com/…`.
fn mask_url(url: &str) -> String {
    match url.parse::<Uri>() {
        Ok(uri) => format!(
            "{}://{}/…",
            uri.scheme_str().unwrap_or("?"),
            uri.host().unwrap_or("?")
        ),
        Err(_) => "…".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The inbox.
// ---------------------------------------------------------------------------------------------

struct InboxView {
    id: i64,
    day: String,
    subject: String,
    body: String,
    link: String,
    unread: bool,
}

#[derive(askama::Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    csrf_token: String,
    items: Vec<InboxView>,
    unread: i64,
    t_intro: &'static str,
    t_empty: &'static str,
    t_mark_all: &'static str,
    t_mark_one: &'static str,
    t_open: &'static str,
    t_settings: &'static str,
    t_unread: &'static str,
}

pub async fn inbox(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let store = store(&state, lang)?;
    let items = store
        .inbox(principal.account_id, INBOX_SIZE)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let unread = items.iter().filter(|item| item.read_at.is_none()).count() as i64;
    let mut chrome = context.chrome(lang.pick("提醒", "Reminders"));
    chrome.unread = unread;
    if query_value(&query_pairs(&uri), "saved").is_some() {
        chrome.notice = Some(lang.pick("已保存", "Saved").to_string());
    }
    let page = InboxPage {
        chrome,
        csrf_token: principal.csrf_token.clone(),
        unread,
        items: items
            .into_iter()
            .map(|item| InboxView {
                id: item.id,
                day: item.day.to_string(),
                subject: lang.pick(&item.subject_zh, &item.subject_en).to_string(),
                body: lang.pick(&item.body_zh, &item.body_en).to_string(),
                link: item.link_path,
                unread: item.read_at.is_none(),
            })
            .collect(),
        t_intro: lang.pick(
            "截止日期前的提醒：每天至多提醒一次同一事项。也可以通过电子邮件或群机器人接收。",
            "Reminders before deadlines: the same thing at most once a day. They can also come by e-mail or through a group bot.",
        ),
        t_empty: lang.pick("暂无提醒。", "No reminders yet."),
        t_mark_all: lang.pick("全部标为已读", "Mark all as read"),
        t_mark_one: lang.pick("标为已读", "Mark as read"),
        t_open: lang.pick("打开", "Open"),
        t_settings: lang.pick("接收方式设置", "How I am told"),
        t_unread: lang.pick("未读", "unread"),
    };
    Ok(html(StatusCode::OK, &page))
}

/// `POST /inbox/read`: marks one item (`item_id`) or all of the account's items read. Only the
/// account's own items can change: the store matches the account as well as the id.
pub async fn mark_read(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let item = match field(&fields, "item_id") {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| context.error(Failure::NotFound))?,
        ),
    };
    store(&state, context.lang)?
        .mark_read(principal.account_id, item, state.repository.now())
        .await
        .map_err(|error| PageError::storage(context.lang, error))?;
    Ok(see_other("/inbox"))
}

// ---------------------------------------------------------------------------------------------
// Channel choices and group bots.
// ---------------------------------------------------------------------------------------------

struct BotView {
    id: i64,
    kind: &'static str,
    name: String,
    org: String,
    url: String,
    signed: bool,
    chosen: bool,
}

#[derive(Default)]
struct BotForm {
    org_id: String,
    kind: String,
    name: String,
    url: String,
    errors: Vec<(String, String)>,
}

impl BotForm {
    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, message)| message.as_str())
    }
}

#[derive(askama::Template)]
#[template(path = "notification_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    csrf_token: String,
    email: String,
    email_enabled: bool,
    email_error: Option<String>,
    bots: Vec<BotView>,
    may_add_bots: bool,
    default_org: String,
    bot_form: BotForm,
    t: SettingsTexts,
}

struct SettingsTexts {
    intro: &'static str,
    inbox_always: &'static str,
    email: &'static str,
    email_enabled: &'static str,
    groups: &'static str,
    no_groups: &'static str,
    signed: &'static str,
    save: &'static str,
    add_title: &'static str,
    org_id: &'static str,
    kind: &'static str,
    wecom: &'static str,
    dingtalk: &'static str,
    name: &'static str,
    url: &'static str,
    secret: &'static str,
    secret_hint: &'static str,
    add: &'static str,
}

fn settings_texts(lang: Lang) -> SettingsTexts {
    SettingsTexts {
        intro: lang.pick(
            "选择截止日期提醒的接收方式。",
            "Choose how you are told of duties coming due.",
        ),
        inbox_always: lang.pick(
            "站内提醒始终开启。",
            "Reminders in Zhibu's inbox are always on.",
        ),
        email: lang.pick("电子邮箱", "E-mail address"),
        email_enabled: lang.pick("通过电子邮件提醒我", "Tell me by e-mail"),
        groups: lang.pick("通过群机器人提醒", "Tell me through a group bot"),
        no_groups: lang.pick(
            "本组织尚未配置群机器人。",
            "No group bot is configured for your organization yet.",
        ),
        signed: lang.pick("已加签", "signed"),
        save: lang.pick("保存", "Save"),
        add_title: lang.pick("添加群机器人", "Add a group bot"),
        org_id: lang.pick("组织编号", "Organization id"),
        kind: lang.pick("类型", "Kind"),
        wecom: ChannelKind::Wecom.name_zh(),
        dingtalk: ChannelKind::Dingtalk.name_zh(),
        name: lang.pick("名称", "Name"),
        url: lang.pick("Webhook地址", "Webhook URL"),
        secret: lang.pick(
            "加签密钥（钉钉，可选）",
            "Signing secret (DingTalk, optional)",
        ),
        secret_hint: lang.pick(
            "SEC开头；保存后不再显示",
            "starts with SEC; never shown again once saved",
        ),
        add: lang.pick("添加", "Add"),
    }
}

/// The group bots the principal may choose: those of orgs in their subtree, or above them on
/// the way to the root (a committee's group includes its branches' secretaries).
async fn visible_bots(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
) -> Result<Vec<(ChannelConfig, String)>, PageError> {
    let store = store(state, lang)?;
    let configs = store
        .channel_configs()
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let own_path = match principal.scope_org {
        Some(org) => Some(
            state
                .repository
                .org_path(org)
                .await
                .map_err(|error| PageError::storage(lang, error))?,
        ),
        None => None,
    };
    let mut visible = Vec::new();
    for config in configs.into_iter().filter(|config| config.enabled) {
        let path = match state.repository.org_path(OrgId(config.org_id)).await {
            Ok(path) => path,
            Err(zhibu_storage::StorageError::NotFound { .. }) => continue,
            Err(error) => return Err(PageError::storage(lang, error)),
        };
        let above = own_path
            .as_deref()
            .is_some_and(|own| own.starts_with(path.as_str()));
        if principal.can_see_path(&path) || above {
            // A bot of an org deleted since is not listed; a database fault is an error page.
            let name = match state
                .repository
                .get::<zhibu_core::Org>(OrgId(config.org_id))
                .await
            {
                Ok(org) => org.body.name,
                Err(
                    zhibu_storage::StorageError::NotFound { .. }
                    | zhibu_storage::StorageError::Deleted { .. },
                ) => continue,
                Err(error) => return Err(PageError::storage(lang, error)),
            };
            visible.push((config, name));
        }
    }
    Ok(visible)
}

async fn render_settings(
    state: &AppState,
    principal: &Principal,
    context: &PageContext,
    status: StatusCode,
    email_override: Option<(String, bool, Option<String>)>,
    bot_form: BotForm,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let store = store(state, lang)?;
    let preferences = store
        .preferences(principal.account_id)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let (email, email_enabled, email_error) = match email_override {
        Some(values) => values,
        None => (
            match &preferences.email {
                Some(stored) => open_text(state, "email", stored)
                    .map_err(|error| context.error(Failure::Internal(error)))?,
                None => String::new(),
            },
            preferences.email_enabled,
            None,
        ),
    };
    let bots = visible_bots(state, principal, lang)
        .await?
        .into_iter()
        .map(|(config, org)| BotView {
            id: config.id,
            kind: match lang {
                Lang::Zh => config.kind.name_zh(),
                Lang::En => config.kind.name_en(),
            },
            name: config.name.clone(),
            org,
            url: open_text(state, "webhook_url", &config.webhook_url)
                .map(|url| mask_url(&url))
                .unwrap_or_else(|_| "…".into()),
            signed: config.secret.is_some(),
            chosen: preferences.group_channels.contains(&config.id),
        })
        .collect();
    let mut chrome = context.chrome(lang.pick("提醒接收方式", "How I am told"));
    chrome.notice = notice;
    let page = SettingsPage {
        chrome,
        csrf_token: principal.csrf_token.clone(),
        email,
        email_enabled,
        email_error,
        bots,
        may_add_bots: principal.allows(Area::GroupChannels, Action::Create) != Access::Denied,
        default_org: principal
            .scope_org
            .map(|org| org.to_string())
            .unwrap_or_default(),
        bot_form,
        t: settings_texts(lang),
    };
    Ok(html(status, &page))
}

pub async fn settings_page(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let notice = query_value(&query_pairs(&uri), "saved")
        .map(|_| context.lang.pick("已保存", "Saved").to_string());
    render_settings(
        &state,
        &principal,
        &context,
        StatusCode::OK,
        None,
        BotForm::default(),
        notice,
    )
    .await
}

/// A plausible e-mail address: one `@`, something before it, a dot in the domain, no spaces.
fn email_problem(lang: Lang, text: &str) -> Option<String> {
    let valid = text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !text.chars().any(char::is_whitespace)
        && text.len() <= 254;
    (!valid).then(|| {
        lang.pick(
            "电子邮箱格式不正确，如 wang@example.org",
            "not a valid e-mail address, e.g. wang@example.org",
        )
        .to_string()
    })
}

pub async fn save_settings(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let email = field(&fields, "email").trim().to_string();
    let email_enabled = field(&fields, "email_enabled") == "on";
    let mut email_error = None;
    if !email.is_empty() {
        email_error = email_problem(lang, &email);
    } else if email_enabled {
        email_error = Some(
            lang.pick(
                "开启邮件提醒须填写电子邮箱",
                "an e-mail address is needed to be told by e-mail",
            )
            .to_string(),
        );
    }
    if email_error.is_some() {
        return render_settings(
            &state,
            &principal,
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((email, email_enabled, email_error)),
            BotForm::default(),
            None,
        )
        .await;
    }
    // Only bots the principal may choose; anything else in the form is not theirs to pick.
    let visible: Vec<i64> = visible_bots(&state, &principal, lang)
        .await?
        .into_iter()
        .map(|(config, _)| config.id)
        .collect();
    let mut chosen = Vec::new();
    for (name, value) in &fields {
        if name == "group" {
            let id = value
                .parse::<i64>()
                .map_err(|_| context.error(Failure::NotFound))?;
            if !visible.contains(&id) {
                return Err(context.error(Failure::NotFound));
            }
            chosen.push(id);
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    let preferences = ChannelPreferences {
        account_id: principal.account_id,
        email: (!email.is_empty()).then(|| seal_text(&state, "email", &email)),
        email_enabled,
        group_channels: chosen.clone(),
    };
    store(&state, lang)?
        .set_preferences(&preferences)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    if let Err(error) = audit(
        &state,
        Some(&principal),
        "notification_preferences",
        AuditTarget::none(),
        json!({ "email_enabled": email_enabled, "group_bots": chosen }),
    )
    .await
    {
        tracing::error!(%error, "a change of channel choices was not written to the audit log");
    }
    Ok(see_other("/settings/notifications?saved=1"))
}

/// Why a webhook URL cannot be used: `http`/`https` with a host.
fn url_problem(lang: Lang, text: &str) -> Option<String> {
    let ok = text.parse::<Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https"))
            && uri.host().is_some_and(|host| !host.is_empty())
    });
    (!ok).then(|| {
        lang.pick(
            "须为 https:// 开头的完整地址（从群机器人设置中复制）",
            "must be a full https:// address (copy it from the group bot's settings)",
        )
        .to_string()
    })
}

pub async fn add_group_bot(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    if principal.allows(Area::GroupChannels, Action::Create) == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    let mut form = BotForm {
        org_id: field(&fields, "org_id").trim().to_string(),
        kind: field(&fields, "kind").to_string(),
        name: field(&fields, "name").trim().to_string(),
        url: field(&fields, "url").trim().to_string(),
        errors: Vec::new(),
    };
    let secret = field(&fields, "secret").trim().to_string();
    let org = form.org_id.parse::<i64>().ok().map(OrgId);
    match org {
        None => form.errors.push((
            "org_id".into(),
            lang.pick("须填写组织编号", "the organization id is needed")
                .into(),
        )),
        Some(org) => {
            let visible = principal
                .can_see_org(&state.repository, org)
                .await
                .map_err(|error| PageError::storage(lang, error))?;
            if !visible {
                // Outside the subtree answers like an org that does not exist.
                form.errors.push((
                    "org_id".into(),
                    lang.pick(
                        "无此组织，或不在您的管理范围内",
                        "no such organization within your scope",
                    )
                    .into(),
                ));
            }
        }
    }
    let kind = ChannelKind::parse(&form.kind).filter(|kind| *kind != ChannelKind::Email);
    if kind.is_none() {
        form.errors.push((
            "kind".into(),
            lang.pick("请选择企业微信或钉钉", "choose WeCom or DingTalk")
                .into(),
        ));
    }
    if form.name.is_empty() || form.name.chars().count() > 100 {
        form.errors.push((
            "name".into(),
            lang.pick(
                "须填写名称（100字以内）",
                "a name of at most 100 characters is needed",
            )
            .into(),
        ));
    }
    if let Some(problem) = url_problem(lang, &form.url) {
        form.errors.push(("url".into(), problem));
    }
    if !secret.is_empty() && kind != Some(ChannelKind::Dingtalk) {
        form.errors.push((
            "secret".into(),
            lang.pick(
                "只有钉钉机器人使用加签密钥",
                "only DingTalk bots use a signing secret",
            )
            .into(),
        ));
    }
    let (Some(org), Some(kind), true) = (org, kind, form.errors.is_empty()) else {
        return render_settings(
            &state,
            &principal,
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            form,
            None,
        )
        .await;
    };
    let created = store(&state, lang)?
        .create_channel_config(&NewChannelConfig {
            org_id: org.0,
            kind,
            name: form.name.clone(),
            webhook_url: seal_text(&state, "webhook_url", &form.url),
            secret: (!secret.is_empty()).then(|| seal_text(&state, "secret", &secret)),
            created_by: principal.account_id,
            created_at: state.repository.now(),
        })
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let path = state
        .repository
        .org_path(org)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    if let Err(error) = audit(
        &state,
        Some(&principal),
        "create",
        AuditTarget::record("group_bot", created.id, &path),
        json!({ "kind": kind.as_str(), "name": form.name }),
    )
    .await
    {
        tracing::error!(%error, "a new group bot was not written to the audit log");
    }
    Ok(see_other("/settings/notifications?saved=1"))
}

// ---------------------------------------------------------------------------------------------
// The administrators' page of deliveries.
// ---------------------------------------------------------------------------------------------

struct DeliveryView {
    id: i64,
    created: String,
    channel: &'static str,
    destination: String,
    account: String,
    status: &'static str,
    status_class: &'static str,
    attempts: i32,
    last_error: String,
    next_try: String,
}

struct ProblemView {
    channel: String,
    message: String,
}

#[derive(askama::Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    chrome: Chrome,
    problems: Vec<ProblemView>,
    deliveries: Vec<DeliveryView>,
    filter: String,
    t: DeliveriesTexts,
}

struct DeliveriesTexts {
    problems: &'static str,
    no_problems: &'static str,
    all: &'static str,
    pending: &'static str,
    sent: &'static str,
    failed: &'static str,
    none: &'static str,
    created: &'static str,
    channel: &'static str,
    destination: &'static str,
    account: &'static str,
    status: &'static str,
    attempts: &'static str,
    last_error: &'static str,
    next_try: &'static str,
}

fn status_name(lang: Lang, status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => lang.pick("待重试", "pending"),
        DeliveryStatus::Sent => lang.pick("已发送", "sent"),
        DeliveryStatus::Failed => lang.pick("失败", "failed"),
    }
}

pub async fn deliveries_page(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    if principal.allows(Area::Deliveries, Action::Read) == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    let query = query_pairs(&uri);
    let filter = query_value(&query, "status").unwrap_or("").to_string();
    let status = DeliveryStatus::parse(&filter);
    let found = store(&state, lang)?
        .search_deliveries(&DeliveryQuery {
            status,
            before_id: None,
            limit: DELIVERIES_PAGE,
        })
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let logins: std::collections::HashMap<i64, String> = state
        .repository
        .accounts()
        .list_accounts()
        .await
        .map_err(|error| PageError::storage(lang, error))?
        .into_iter()
        .map(|account| (account.id, account.login))
        .collect();
    let problems = match state.channel_problems.read() {
        Ok(problems) => problems.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let page = DeliveriesPage {
        chrome: context.chrome(lang.pick("提醒投递", "Reminder deliveries")),
        problems: problems
            .into_iter()
            .map(|problem| ProblemView {
                channel: problem.channel,
                message: lang
                    .pick(&problem.message_zh, &problem.message_en)
                    .to_string(),
            })
            .collect(),
        deliveries: found
            .into_iter()
            .map(|delivery| DeliveryView {
                id: delivery.id,
                created: local_time(delivery.created_at),
                channel: match lang {
                    Lang::Zh => delivery.channel.name_zh(),
                    Lang::En => delivery.channel.name_en(),
                },
                destination: match delivery.channel {
                    ChannelKind::Email => open_text(&state, "email", &delivery.destination)
                        .map(|address| mask_email(&address))
                        .unwrap_or_else(|_| "***".into()),
                    _ => delivery.destination.clone(),
                },
                account: logins
                    .get(&delivery.account_id)
                    .cloned()
                    .unwrap_or_default(),
                status: status_name(lang, delivery.status),
                status_class: match delivery.status {
                    DeliveryStatus::Pending => "warn",
                    DeliveryStatus::Sent => "ok",
                    DeliveryStatus::Failed => "bad",
                },
                attempts: delivery.attempts,
                last_error: delivery.last_error.unwrap_or_default(),
                next_try: if delivery.status == DeliveryStatus::Pending {
                    local_time(delivery.next_attempt_at)
                } else {
                    String::new()
                },
            })
            .collect(),
        filter,
        t: DeliveriesTexts {
            problems: lang.pick("渠道问题", "Channel problems"),
            no_problems: lang.pick(
                "启动检查未发现渠道问题。",
                "The start-up check found no channel problems.",
            ),
            all: lang.pick("全部", "All"),
            pending: lang.pick("待重试", "Pending"),
            sent: lang.pick("已发送", "Sent"),
            failed: lang.pick("失败", "Failed"),
            none: lang.pick("暂无投递记录。", "No deliveries."),
            created: lang.pick("生成时间", "Created"),
            channel: lang.pick("渠道", "Channel"),
            destination: lang.pick("发往", "To"),
            account: lang.pick("账号", "Account"),
            status: lang.pick("状态", "Status"),
            attempts: lang.pick("尝试次数", "Attempts"),
            last_error: lang.pick("最近错误", "Last error"),
            next_try: lang.pick("下次尝试", "Next try"),
        },
    };
    Ok(html(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_addresses_are_masked() {
        assert_eq!(mask_email("wang.shuji@example.org"), "wa***@example.org");
        assert_eq!(
            mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret"),
            "https://qyapi.weixin.qq.com/…"
        );
        assert!(email_problem(Lang::Zh, "wang@example.org").is_none());
        assert!(email_problem(Lang::En, "wang@").is_some());
        assert!(email_problem(Lang::En, "wang example@x.org").is_some());
        assert!(
            url_problem(
                Lang::En,
                "https://oapi.dingtalk.com/robot/send?access_token=t"
            )
            .is_none()
        );
        assert!(url_problem(Lang::En, "oapi.dingtalk.com/robot").is_some());
    }
}
