//! Dues pages (issue 4).
//!
//! - `/branches/{id}/dues?month=YYYY-MM`: the branch's collection report for a month (each member's
//!   base, rate, due, paid, arrears, flags), the arrears list, what is remitted upward, and two
//!   phone-first forms: record a payment, record an income declaration. Both carry the session's
//!   CSRF token and an idempotency key (a double tap records one payment); a refused form comes back
//!   with what was typed and each error beside its field, in Chinese and English.
//! - `/members/{id}/dues`: one member's ledger month by month, linked from the member page and from
//!   the collection report.
//!
//! The figures come from the pure core (`zhibu_core::dues`) through the loaders the JSON API uses
//! (`crate::areas::dues_reports`). Strings are bilingual inline (`Lang::pick`), Chinese first.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use zhibu_core::dues::{
    BranchCollectionReport, DuesPayment, IncomeDeclaration, MemberLedger, MonthState,
    PaymentMethod, YearMonth, category_name_en, category_name_zh,
};
use zhibu_core::money::Fen;
use zhibu_core::{EmploymentCategory, FieldError, Member, MemberId, OrgId, Stored};
use zhibu_storage::{ChangeMeta, StorageError};

use super::admissions::{branch_of, guard};
use super::i18n::Lang;
use super::{
    Chrome, Failure, PageContext, PageError, audit_change, check_csrf, field, form_fields, html,
    parse_id, query_pairs, see_other,
};
use crate::AppState;
use crate::areas::dues_reports::{collection_report, ledger_of};
use crate::auth::{Access, Action, Area, Principal};

fn form_key(principal: &Principal) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = DefaultHasher::new();
    std::time::SystemTime::now().hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    count.hash(&mut hasher);
    principal.account_id.hash(&mut hasher);
    format!("{:016x}{count:08x}", hasher.finish())
}

fn month_text(lang: Lang, month: YearMonth) -> String {
    match lang {
        Lang::Zh => month.label_zh(),
        Lang::En => month.to_string(),
    }
}

fn money(fen: Fen) -> String {
    fen.to_yuan_string()
}

fn state_text(lang: Lang, state: MonthState) -> &'static str {
    let en = match state {
        MonthState::NotOwed => "not owed",
        MonthState::Waived => "waived",
        MonthState::Settled => "paid",
        MonthState::PartlyPaid => "part paid",
        MonthState::Unpaid => "unpaid",
        MonthState::PaidDueUnknown => "paid (due unknown)",
    };
    lang.pick(state.name_zh(), en)
}

fn category_text(lang: Lang, category: Option<EmploymentCategory>) -> String {
    category.map_or_else(String::new, |category| {
        lang.pick(category_name_zh(category), category_name_en(category))
            .to_string()
    })
}

fn rate_text(lang: Lang, rate: Option<&zhibu_core::dues::DuesRate>) -> String {
    rate.map_or_else(String::new, |rate| match lang {
        Lang::Zh => rate.describe_zh(),
        Lang::En => rate.describe_en(),
    })
}

fn months_list(lang: Lang, months: &[YearMonth]) -> String {
    months
        .iter()
        .map(|month| month_text(lang, *month))
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct CollectionRow {
    pub name: String,
    pub ledger_href: String,
    pub category: String,
    pub base: String,
    pub rate: String,
    pub due: String,
    pub paid: String,
    pub state: &'static str,
    pub arrears: String,
    pub unpaid: String,
    pub alert: bool,
}

pub struct ArrearsRow {
    pub name: String,
    pub ledger_href: String,
    pub arrears: String,
    pub months: String,
}

/// What a form shows back: the values typed and the errors by field.
#[derive(Default)]
pub struct FormState {
    pub values: Vec<(String, String)>,
    pub errors: Vec<(String, String)>,
}

impl FormState {
    pub fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    pub fn errors_for(&self, name: &str) -> Vec<String> {
        self.errors
            .iter()
            .filter(|(key, _)| key == name || key.starts_with(&format!("{name}[")))
            .map(|(_, text)| text.clone())
            .collect()
    }

    pub fn other_errors(&self, known: &[&str]) -> Vec<String> {
        self.errors
            .iter()
            .filter(|(key, _)| {
                !known
                    .iter()
                    .any(|name| key == name || key.starts_with(&format!("{name}[")))
            })
            .map(|(_, text)| text.clone())
            .collect()
    }

    fn error(&mut self, lang: Lang, error: &FieldError) {
        let text = match lang {
            Lang::Zh => format!("{}（{}）", error.message_zh, error.message_en),
            Lang::En => format!("{} ({})", error.message_en, error.message_zh),
        };
        self.errors.push((error.field.clone(), text));
    }
}

const PAYMENT_FIELDS: [&str; 6] = [
    "member_id",
    "paid_on",
    "amount",
    "months_covered",
    "method",
    "proxy",
];
const DECLARATION_FIELDS: [&str; 4] = ["member_id", "category", "monthly_base", "effective_month"];

#[derive(askama::Template)]
#[template(path = "dues_branch.html")]
struct BranchDuesPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    month_value: String,
    month_label: String,
    previous_href: String,
    next_href: String,
    saved: Option<&'static str>,
    expected: String,
    collected: String,
    collected_for_month: String,
    arrears_total: String,
    unknown_due: usize,
    remit_share: String,
    remit_ordinary: String,
    remit_extras: String,
    remit_total: String,
    rows: Vec<CollectionRow>,
    arrears: Vec<ArrearsRow>,
    flags: Vec<String>,
    can_record_payment: bool,
    can_declare: bool,
    csrf_token: String,
    payment_key: String,
    declaration_key: String,
    members: Vec<(String, String)>,
    methods: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    payment: FormState,
    declaration: FormState,
}

impl BranchDuesPage {
    fn payment_other_errors(&self) -> Vec<String> {
        self.payment.other_errors(&PAYMENT_FIELDS)
    }

    fn declaration_other_errors(&self) -> Vec<String> {
        self.declaration.other_errors(&DECLARATION_FIELDS)
    }

    fn options(&self, list: &[(String, String)], selected: &str) -> Vec<SelectOption> {
        list.iter()
            .map(|(value, label)| SelectOption {
                value: value.clone(),
                label: label.clone(),
                selected: value == selected,
            })
            .collect()
    }
}

fn method_options(lang: Lang) -> Vec<(String, String)> {
    [
        (PaymentMethod::Cash, "cash", "cash"),
        (PaymentMethod::Transfer, "transfer", "transfer"),
        (PaymentMethod::Payroll, "payroll", "deducted from pay"),
        (
            PaymentMethod::PaidByOrganization,
            "paid_by_organization",
            "paid by the organization",
        ),
    ]
    .into_iter()
    .map(|(method, code, en)| {
        (
            code.to_string(),
            lang.pick(method.name_zh(), en).to_string(),
        )
    })
    .collect()
}

fn category_options(lang: Lang) -> Vec<(String, String)> {
    use EmploymentCategory::*;
    [
        (Salaried, "salaried"),
        (AnnualSalary, "annual_salary"),
        (SelfEmployed, "self_employed"),
        (Retired, "retired"),
        (Farmer, "farmer"),
        (Student, "student"),
        (UnemployedOrRelief, "unemployed_or_relief"),
    ]
    .into_iter()
    .map(|(category, code)| (code.to_string(), category_text(lang, Some(category))))
    .collect()
}

fn parse_method(text: &str) -> Option<PaymentMethod> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

fn parse_category(text: &str) -> Option<EmploymentCategory> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

struct Loaded {
    branch_name: String,
    report: BranchCollectionReport,
    members: Vec<Stored<Member>>,
}

async fn load(
    state: &AppState,
    context: &PageContext,
    branch_id: OrgId,
    month: YearMonth,
) -> Result<Loaded, PageError> {
    let lang = context.lang;
    let branch = branch_of(state, context, branch_id).await?;
    let (report, _, members) = collection_report(&state.repository, branch_id, month)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    Ok(Loaded {
        branch_name: branch.body.name,
        report,
        members,
    })
}

#[allow(clippy::too_many_arguments)]
fn page(
    context: &PageContext,
    principal: &Principal,
    branch_id: OrgId,
    month: YearMonth,
    loaded: Loaded,
    saved: Option<&'static str>,
    payment: FormState,
    declaration: FormState,
    keys: (String, String),
) -> BranchDuesPage {
    let lang = context.lang;
    let report = &loaded.report;
    let href = |month: YearMonth| format!("/branches/{branch_id}/dues?month={month}");
    let rows = report
        .members
        .iter()
        .map(|line| CollectionRow {
            name: line.name.clone(),
            ledger_href: format!("/members/{}/dues", line.member_id),
            category: category_text(lang, line.due.category),
            base: line.due.base.map(money).unwrap_or_default(),
            rate: rate_text(lang, line.due.rate.as_ref()),
            due: line
                .owed
                .map(money)
                .unwrap_or_else(|| lang.pick("未申报基数", "no base declared").to_string()),
            paid: money(line.paid_for_month),
            state: state_text(lang, line.state),
            arrears: money(line.arrears_to_date),
            unpaid: months_list(lang, &line.unpaid_months),
            alert: line.arrears_to_date.is_positive() || !line.unpaid_months.is_empty(),
        })
        .collect();
    let arrears = report
        .members
        .iter()
        .filter(|line| report.members_in_arrears.contains(&line.member_id))
        .map(|line| ArrearsRow {
            name: line.name.clone(),
            ledger_href: format!("/members/{}/dues", line.member_id),
            arrears: money(line.arrears_to_date),
            months: months_list(lang, &line.unpaid_months),
        })
        .collect();
    let flags = report
        .flags
        .iter()
        .map(|flag| match lang {
            Lang::Zh => flag.message_zh.clone(),
            Lang::En => flag.message_en.clone(),
        })
        .collect();
    let share = report.remittance.share.0;
    let members = report
        .members
        .iter()
        .map(|line| (line.member_id.to_string(), line.name.clone()))
        .collect::<Vec<_>>();
    // Members posted here who owe nothing this month can still pay back months.
    let mut members = members;
    for member in &loaded.members {
        let id = member.id.to_string();
        if !members.iter().any(|(known, _)| *known == id)
            && member.body.current_branch() == Some(branch_id)
        {
            members.push((id, member.body.name.clone()));
        }
    }
    let title = format!("{}{}", loaded.branch_name, lang.pick("·党费", " · dues"));
    BranchDuesPage {
        chrome: context.chrome(title),
        branch_id,
        branch_name: loaded.branch_name.clone(),
        month_value: month.to_string(),
        month_label: month_text(lang, month),
        previous_href: href(month.previous()),
        next_href: href(month.next()),
        saved,
        expected: money(report.expected),
        collected: money(report.collected),
        collected_for_month: money(report.collected_for_month),
        arrears_total: money(report.arrears_total),
        unknown_due: report.members_with_unknown_due.len(),
        remit_share: format!("{}.{:02}%", share / 100, share % 100),
        remit_ordinary: money(report.remittance.ordinary_remitted),
        remit_extras: money(report.remittance.voluntary_extras_for_centre),
        remit_total: money(report.remittance.total),
        rows,
        arrears,
        flags,
        can_record_payment: may_write(principal, Area::DuesPayments),
        can_declare: may_write(principal, Area::IncomeDeclarations),
        csrf_token: principal.csrf_token.clone(),
        payment_key: keys.0,
        declaration_key: keys.1,
        members,
        methods: method_options(lang),
        categories: category_options(lang),
        payment,
        declaration,
    }
}

fn may_write(principal: &Principal, area: Area) -> bool {
    principal.can_write()
        && matches!(
            principal.allows(area, Action::Create),
            Access::InScope | Access::BelowScope
        )
}

fn requested_month(uri: &Uri, today: NaiveDate) -> YearMonth {
    query_pairs(uri)
        .iter()
        .find(|(key, _)| key == "month")
        .and_then(|(_, value)| YearMonth::parse(value).ok())
        .unwrap_or_else(|| YearMonth::of(today))
}

/// `GET /branches/{id}/dues?month=YYYY-MM`.
pub async fn branch_dues(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let branch_id = OrgId(parse_id(&context, &id)?);
    guard(
        &state,
        &context,
        &principal,
        Area::DuesCollection,
        Action::Read,
        branch_id,
    )
    .await?;
    let month = requested_month(&uri, (state.today)());
    let saved = query_pairs(&uri)
        .iter()
        .find(|(key, _)| key == "saved")
        .map(|(_, value)| match value.as_str() {
            "declaration" => context
                .lang
                .pick("已记录基数申报。", "The income declaration was recorded."),
            _ => context
                .lang
                .pick("已记录交纳。", "The payment was recorded."),
        });
    let loaded = load(&state, &context, branch_id, month).await?;
    let today = (state.today)();
    let payment = FormState {
        values: vec![
            ("paid_on".into(), today.to_string()),
            ("months_covered".into(), month.to_string()),
            ("method".into(), "transfer".into()),
        ],
        errors: Vec::new(),
    };
    let declaration = FormState {
        values: vec![
            ("effective_month".into(), month.to_string()),
            ("category".into(), "salaried".into()),
        ],
        errors: Vec::new(),
    };
    let keys = (form_key(&principal), form_key(&principal));
    let page = page(
        &context,
        &principal,
        branch_id,
        month,
        loaded,
        saved,
        payment,
        declaration,
        keys,
    );
    Ok(html(StatusCode::OK, &page))
}

fn parse_member(fields: &[(String, String)], form: &mut FormState, lang: Lang) -> Option<MemberId> {
    match field(fields, "member_id").trim().parse::<i64>() {
        Ok(id) => Some(MemberId(id)),
        Err(_) => {
            form.error(
                lang,
                &FieldError::new("member_id", "required", "请选择党员", "choose a member"),
            );
            None
        }
    }
}

fn parse_month_field(
    name: &str,
    text: &str,
    form: &mut FormState,
    lang: Lang,
) -> Option<YearMonth> {
    match YearMonth::parse(text.trim()) {
        Ok(month) => Some(month),
        Err(error) => {
            form.error(lang, &error.to_field_error(name));
            None
        }
    }
}

fn parse_amount(name: &str, text: &str, form: &mut FormState, lang: Lang) -> Option<Fen> {
    match Fen::parse(text.trim()) {
        Ok(amount) => Some(amount),
        Err(error) => {
            form.error(lang, &error.to_field_error(name));
            None
        }
    }
}

/// Storage's refusal as field errors, or a page error for anything else.
fn refusal(error: StorageError, form: &mut FormState, lang: Lang) -> Result<(), PageError> {
    match error {
        StorageError::Invalid(errors) => {
            for error in &errors.errors {
                form.error(lang, error);
            }
            Ok(())
        }
        other => Err(PageError::storage(lang, other)),
    }
}

fn change_meta(principal: &Principal, kind: &str, key: &str) -> ChangeMeta {
    ChangeMeta {
        actor: principal.login.clone(),
        reason: None,
        idempotency_key: (!key.is_empty())
            .then(|| format!("page-{kind}:{}:{key}", principal.account_id)),
        entered_at: None,
    }
}

/// `POST /branches/{id}/dues/payments`: records a payment; back to the month's report.
pub async fn record_payment(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let branch_id = OrgId(parse_id(&context, &id)?);
    guard(
        &state,
        &context,
        &principal,
        Area::DuesPayments,
        Action::Create,
        branch_id,
    )
    .await?;
    let today = (state.today)();
    let month = YearMonth::parse(field(&fields, "month").trim()).unwrap_or(YearMonth::of(today));
    let key = field(&fields, "idempotency_key").trim().to_string();
    let mut form = FormState {
        values: PAYMENT_FIELDS
            .iter()
            .map(|name| (name.to_string(), field(&fields, name).to_string()))
            .collect(),
        errors: Vec::new(),
    };
    let member_id = parse_member(&fields, &mut form, lang);
    let paid_on = match NaiveDate::parse_from_str(field(&fields, "paid_on").trim(), "%Y-%m-%d") {
        Ok(day) => Some(day),
        Err(_) => {
            form.error(
                lang,
                &FieldError::new(
                    "paid_on",
                    "invalid_date",
                    format!(
                        "“{}”不是有效日期（格式：2026-03-08）",
                        field(&fields, "paid_on")
                    ),
                    format!(
                        "“{}” is not a valid date (e.g. 2026-03-08)",
                        field(&fields, "paid_on")
                    ),
                ),
            );
            None
        }
    };
    let amount = parse_amount("amount", field(&fields, "amount"), &mut form, lang);
    let mut months = Vec::new();
    for part in field(&fields, "months_covered")
        .split([',', '，', '、', ' '])
        .filter(|part| !part.trim().is_empty())
    {
        if let Some(month) = parse_month_field("months_covered", part, &mut form, lang) {
            months.push(month);
        }
    }
    let method = parse_method(field(&fields, "method"));
    if method.is_none() {
        form.error(
            lang,
            &FieldError::new(
                "method",
                "required",
                "请选择交纳方式",
                "choose how it was paid",
            ),
        );
    }
    let proxy = Some(field(&fields, "proxy").trim().to_string()).filter(|name| !name.is_empty());
    if form.errors.is_empty()
        && let (Some(member_id), Some(paid_on), Some(amount), Some(method)) =
            (member_id, paid_on, amount, method)
    {
        let payment = DuesPayment {
            member_id,
            branch_id,
            paid_on,
            amount,
            months_covered: months,
            method,
            proxy,
            quarterly_consent_ref: None,
        };
        match state
            .repository
            .create(payment, &change_meta(&principal, "dues-payment", &key))
            .await
        {
            Ok(stored) => {
                let path = state
                    .repository
                    .org_path(branch_id)
                    .await
                    .map_err(|error| PageError::storage(lang, error))?;
                audit_change(
                    &state,
                    &principal,
                    "create",
                    "dues_payment",
                    stored.id,
                    &path,
                    serde_json::json!({ "member_id": stored.body.member_id, "paid_on": stored.body.paid_on, "through": "page" }),
                )
                .await;
                return Ok(see_other(&format!(
                    "/branches/{branch_id}/dues?month={month}&saved=payment"
                )));
            }
            Err(error) => refusal(error, &mut form, lang)?,
        }
    }
    let loaded = load(&state, &context, branch_id, month).await?;
    let declaration = FormState {
        values: vec![("effective_month".into(), month.to_string())],
        errors: Vec::new(),
    };
    // The same key again: the corrected form is the same payment, not another one.
    let key = if key.is_empty() {
        form_key(&principal)
    } else {
        key
    };
    let page = page(
        &context,
        &principal,
        branch_id,
        month,
        loaded,
        None,
        form,
        declaration,
        (key, form_key(&principal)),
    );
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /branches/{id}/dues/declarations`: records an income declaration.
pub async fn record_declaration(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let branch_id = OrgId(parse_id(&context, &id)?);
    guard(
        &state,
        &context,
        &principal,
        Area::IncomeDeclarations,
        Action::Create,
        branch_id,
    )
    .await?;
    let today = (state.today)();
    let month = YearMonth::parse(field(&fields, "month").trim()).unwrap_or(YearMonth::of(today));
    let key = field(&fields, "idempotency_key").trim().to_string();
    let mut form = FormState {
        values: DECLARATION_FIELDS
            .iter()
            .map(|name| (name.to_string(), field(&fields, name).to_string()))
            .collect(),
        errors: Vec::new(),
    };
    let member_id = parse_member(&fields, &mut form, lang);
    let category = parse_category(field(&fields, "category"));
    if category.is_none() {
        form.error(
            lang,
            &FieldError::new(
                "category",
                "required",
                "请选择党员类别",
                "choose the category",
            ),
        );
    }
    let base_text = field(&fields, "monthly_base").trim();
    let base = if base_text.is_empty() {
        Some(Fen::ZERO)
    } else {
        parse_amount("monthly_base", base_text, &mut form, lang)
    };
    let effective = parse_month_field(
        "effective_month",
        field(&fields, "effective_month"),
        &mut form,
        lang,
    );
    if form.errors.is_empty()
        && let (Some(member_id), Some(category), Some(monthly_base), Some(effective_month)) =
            (member_id, category, base, effective)
    {
        let declaration = IncomeDeclaration {
            member_id,
            branch_id,
            category,
            monthly_base: monthly_base.into(),
            effective_month,
            note: String::new(),
        };
        match state
            .repository
            .create(
                declaration,
                &change_meta(&principal, "income-declaration", &key),
            )
            .await
        {
            Ok(stored) => {
                let path = state
                    .repository
                    .org_path(branch_id)
                    .await
                    .map_err(|error| PageError::storage(lang, error))?;
                // The amount is personal data: the audit entry names the member and month only.
                audit_change(
                    &state,
                    &principal,
                    "create",
                    "income_declaration",
                    stored.id,
                    &path,
                    serde_json::json!({ "member_id": stored.body.member_id, "effective_month": stored.body.effective_month, "through": "page" }),
                )
                .await;
                return Ok(see_other(&format!(
                    "/branches/{branch_id}/dues?month={month}&saved=declaration"
                )));
            }
            Err(error) => refusal(error, &mut form, lang)?,
        }
    }
    let loaded = load(&state, &context, branch_id, month).await?;
    let payment = FormState {
        values: vec![
            ("paid_on".into(), today.to_string()),
            ("months_covered".into(), month.to_string()),
            ("method".into(), "transfer".into()),
        ],
        errors: Vec::new(),
    };
    let key = if key.is_empty() {
        form_key(&principal)
    } else {
        key
    };
    let page = page(
        &context,
        &principal,
        branch_id,
        month,
        loaded,
        None,
        payment,
        form,
        (form_key(&principal), key),
    );
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

pub struct LedgerRow {
    pub month: String,
    pub base: String,
    pub rate: String,
    pub due: String,
    pub relief: String,
    pub paid: String,
    pub arrears: String,
    pub state: &'static str,
    pub alert: bool,
}

#[derive(askama::Template)]
#[template(path = "dues_ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    member_name: String,
    member_href: String,
    branch_name: String,
    branch_href: Option<String>,
    from: String,
    to: String,
    total_owed: String,
    total_paid: String,
    arrears: String,
    unpaid: String,
    rows: Vec<LedgerRow>,
    flags: Vec<String>,
}

/// `GET /members/{id}/dues`: a member's ledger (their own for a member; any member of a branch in
/// scope for the branch's officers and upper staff).
pub async fn member_dues(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let id = parse_id(&context, &id)?;
    let access = principal.allows(Area::DuesLedgers, Action::Read);
    if access == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    let member = state
        .repository
        .get::<Member>(MemberId(id))
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let visible = match access {
        Access::Own => principal.member_id == Some(MemberId(id)),
        _ => {
            let mut any = false;
            for posting in &member.body.postings {
                if principal
                    .can_see_org(&state.repository, posting.branch_id)
                    .await
                    .map_err(|error| PageError::storage(lang, error))?
                {
                    any = true;
                    break;
                }
            }
            any
        }
    };
    if !visible {
        return Err(context.error(Failure::NotFound));
    }
    let today = (state.today)();
    let to = requested_month(&uri, today);
    let (ledger, _) = ledger_of(&state.repository, &member, None, to)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let branch = match member.body.current_branch() {
        Some(branch) => Some((
            branch,
            state
                .repository
                .get::<zhibu_core::Org>(branch)
                .await
                .map_err(|error| PageError::storage(lang, error))?
                .body
                .name,
        )),
        None => None,
    };
    let page = ledger_page(&context, &principal, &member, &ledger, branch);
    Ok(html(StatusCode::OK, &page))
}

fn ledger_page(
    context: &PageContext,
    principal: &Principal,
    member: &Stored<Member>,
    ledger: &MemberLedger,
    branch: Option<(OrgId, String)>,
) -> LedgerPage {
    let lang = context.lang;
    let rows = ledger
        .months
        .iter()
        .rev()
        .map(|line| LedgerRow {
            month: month_text(lang, line.month),
            base: line.due.base.map(money).unwrap_or_default(),
            rate: rate_text(lang, line.due.rate.as_ref()),
            due: match (line.owed, line.due.is_owed()) {
                (Some(owed), _) => money(owed),
                (None, true) => lang.pick("未申报基数", "no base declared").to_string(),
                (None, false) => String::new(),
            },
            relief: match line.relief.map(|relief| relief.kind) {
                Some(zhibu_core::dues::ReliefKind::Waive) => lang.pick("免交", "waived").into(),
                Some(zhibu_core::dues::ReliefKind::Reduce { monthly_amount }) => {
                    format!(
                        "{}{}",
                        lang.pick("少交至", "reduced to "),
                        money(monthly_amount)
                    )
                }
                None => String::new(),
            },
            paid: money(line.paid + line.extra),
            arrears: money(line.arrears),
            state: state_text(lang, line.state),
            alert: matches!(line.state, MonthState::Unpaid | MonthState::PartlyPaid),
        })
        .collect();
    let (branch_href, branch_name) = match branch {
        Some((id, name)) if principal.role != crate::auth::Role::Member => {
            (Some(format!("/branches/{id}/dues")), name)
        }
        Some((_, name)) => (None, name),
        None => (None, String::new()),
    };
    LedgerPage {
        chrome: context.chrome(format!(
            "{}{}",
            member.body.name,
            lang.pick("·党费账", " · dues ledger")
        )),
        member_name: member.body.name.clone(),
        member_href: super::member_href(MemberId(member.id)),
        branch_name,
        branch_href,
        from: month_text(lang, ledger.from),
        to: month_text(lang, ledger.to),
        total_owed: money(ledger.total_owed),
        total_paid: money(ledger.total_paid),
        arrears: money(ledger.arrears),
        unpaid: months_list(lang, &ledger.unpaid_months),
        rows,
        flags: ledger
            .flags
            .iter()
            .map(|flag| match lang {
                Lang::Zh => flag.message_zh.clone(),
                Lang::En => flag.message_en.clone(),
            })
            .collect(),
    }
}
