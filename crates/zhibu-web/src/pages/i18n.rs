//! Every string the pages show, in Simplified Chinese (the default) and English, in one table.
//!
//! The table is a struct with one field per string, so a template that names a string the table
//! lacks does not compile, and a string added in one language but not the other does not compile
//! either. Strings with numbers or names in them are methods on [`Lang`] below the table.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use chrono::{Datelike, NaiveDate};
use zhibu_core::engine::FindingStatus;
use zhibu_core::rules::{Responsibility, Severity};
use zhibu_core::{
    AttendanceState, ChangeOperation, CommitteeRole, FieldError, MeetingKind, MemberStatus,
    OrgLevel, RecordKind,
};

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "zhibu_lang";

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// Declares the table: each line is `key: "中文", "English";`.
macro_rules! texts {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        /// The strings of one language.
        #[derive(Debug)]
        pub struct Texts {
            $(pub $key: &'static str,)*
        }

        pub static ZH: Texts = Texts { $($key: $zh,)* };
        pub static EN: Texts = Texts { $($key: $en,)* };
    };
}

texts! {
    app_name: "支部", "Zhibu";
    lang_name: "中文", "English";
    other_lang_name: "English", "中文";
    colon: "：", ": ";
    comma: "，", ", ";
    lparen: "（", " (";
    rparen: "）", ")";
    skip_to_content: "跳到正文", "Skip to content";
    sign_out: "退出登录", "Sign out";
    nav_home: "首页", "Home";
    nav_workspace: "支部工作台", "Branch workspace";
    nav_dashboard: "督导看板", "Dashboard";
    nav_my_page: "我的记录", "My records";
    nav_audit: "操作日志", "Audit log";
    footer_note: "支部只记录组织正式开展的工作，不给任何人打分。", "Zhibu records what organizations formally do; it never scores anyone.";
    // Errors shown as whole pages.
    error_title: "出错了", "Something went wrong";
    not_found_title: "找不到页面", "Page not found";
    not_found_text: "找不到这个页面或记录。请检查地址，或从首页进入。", "There is no such page or record. Check the address, or start from the home page.";
    forbidden_title: "无权查看", "Not allowed";
    forbidden_text: "你的账号无权查看或修改这个组织的记录。如需访问，请联系上级党组织的管理员。", "Your account may not see or change this organization's records. Ask an administrator of the upper organization if you need access.";
    csrf_title: "请求被拒绝", "Request refused";
    csrf_text: "表单缺少有效的安全令牌，未保存任何内容。请返回上一页、刷新后重新提交。", "The form lacked a valid security token, so nothing was saved. Go back, reload the page and submit again.";
    internal_text: "服务器内部出错，未能完成操作，也没有保存任何内容。请稍后重试；如果问题持续，请联系系统管理员。", "Something went wrong on the server; nothing was saved. Try again later, and tell the system administrator if it keeps happening.";
    back_home: "返回首页", "Back to the home page";
    form_has_errors: "提交的内容有误，未保存。请按各项提示修改后重新提交。", "The form has problems and was not saved; correct each marked field and submit again.";
    // Branch workspace.
    due_this_month: "本月到期", "Due this month";
    nothing_due: "本月没有即将到期的事项。", "Nothing is due this month.";
    open_findings: "待处理的问题", "Open findings";
    no_open_findings: "没有待处理的问题。", "There are no open findings.";
    calendar_title: "全年工作日历", "The year's calendar of duties";
    calendar_caption: "依据规则目录，每项制度性工作在每个周期的完成情况", "For each duty in the rule catalogue, how each period stands";
    duty: "工作", "Duty";
    cell_held: "已开展", "held";
    cell_missed: "缺失", "missed";
    cell_due: "即将到期", "due";
    cell_due_short: "待办", "due";
    cell_exempted: "已豁免", "exempted";
    cell_future: "未到期", "not yet due";
    cell_none: "无记录", "nothing recorded";
    cell_ok: "符合", "met";
    legend: "图例", "Legend";
    recent_meetings: "本年会议", "Meetings this year";
    no_meetings: "本年还没有会议记录。", "No meetings recorded this year.";
    record_meeting: "记录会议", "Record a meeting";
    year: "年度", "Year";
    previous_year: "上一年", "Previous year";
    next_year: "下一年", "Next year";
    show: "查看", "Show";
    // Meetings.
    meeting: "会议", "Meeting";
    new_meeting_title: "记录会议", "Record a meeting";
    kinds: "会议类型", "Kind of meeting";
    held_on: "日期", "Date";
    place: "地点", "Place";
    chair: "主持人", "Chair";
    recorder: "记录人", "Recorder";
    nobody: "（未填）", "(not given)";
    topics: "议题", "Topics";
    topics_hint: "每行一个议题", "One topic per line";
    minutes: "会议记录", "Minutes";
    resolutions: "表决事项", "Votes";
    resolutions_hint: "没有表决可留空；票数为实到人数中的表决结果", "Leave empty if nothing was voted; counts are of those present";
    subject: "事项", "Subject";
    votes_yes: "赞成", "Yes";
    votes_no: "反对", "No";
    votes_abstain: "弃权", "Abstain";
    outcome: "结果", "Outcome";
    outcome_passed: "通过", "Passed";
    outcome_rejected: "未通过", "Rejected";
    add_resolution: "再加一项表决", "Add another vote";
    party_group: "党小组", "Party group";
    party_group_hint: "仅党小组会需要选择", "Only for a party group meeting";
    attendance: "出席情况", "Attendance";
    attendance_hint: "默认全部实到；请点选请假或缺席的党员", "Everyone is marked present; tap those excused or absent";
    all_present: "全部实到", "All present";
    present: "实到", "Present";
    excused: "请假", "Excused";
    absent: "缺席", "Absent";
    excuse_reason: "请假原因", "Reason";
    save_meeting: "保存会议记录", "Save the meeting";
    cancel: "取消", "Cancel";
    counts_present: "实到", "present";
    counts_expected: "应到", "expected";
    meeting_saved: "会议记录已保存。", "The meeting was saved.";
    meeting_amended: "修改已保存。", "The amendment was saved.";
    amend_title: "修改记录", "Amend this record";
    amend_hint: "修改会保留原记录，并记下修改人、时间和理由。", "An amendment keeps the earlier version and records who changed it, when and why.";
    amend_reason: "修改理由", "Reason for the amendment";
    save_amendment: "保存修改", "Save the amendment";
    stale_edit: "在你编辑期间，有人已修改了这条记录，你的修改未保存。下面是最新内容和你填写的内容；请核对后重新提交。", "Someone else amended this record while you were editing it, so your change was not saved. The latest version and your input are below; check them and submit again.";
    history: "修改历史", "Version history";
    version: "版本", "Version";
    operation: "操作", "Change";
    entered_at: "时间（北京时间）", "When (China time)";
    actor: "操作人", "By";
    reason: "理由", "Reason";
    statements: "本人陈述", "Statements by those concerned";
    no_statements: "没有本人陈述。", "No statements.";
    // Dashboard.
    dashboard_title: "督导看板", "Dashboard";
    heatmap_title: "各支部每月待处理问题", "Open findings per branch and month";
    heatmap_caption: "每格为该支部当月待处理（未豁免）的问题数；点选一格查看问题、依据和相关记录。", "Each cell is the number of open (not exempted) findings of that branch in that month; choose a cell to see the findings, their articles and the records behind them.";
    branch: "党支部", "Branch";
    branches: "党支部", "Branches";
    month: "月份", "Month";
    findings_by_rule: "按规则统计的待处理问题", "Open findings by rule";
    rule: "规则", "Rule";
    open_count: "待处理", "Open";
    exempted_count: "已豁免", "Exempted";
    most_overdue: "待处理事项较多的支部", "Branches with the most overdue items";
    most_overdue_note: "按待处理事项件数列出，仅陈述事实，不作评分。", "Listed by the number of open items; these are facts, not scores.";
    items: "件", "items";
    trend_title: "全年走势", "Trend over the year";
    trend_caption: "每月新出现的待处理问题数（全部支部合计）", "Open findings per month, all branches together";
    no_branches: "该组织下没有党支部。", "There are no branches under this organization.";
    sub_committees: "下级党组织", "Organizations below";
    // Drill page.
    findings_title: "问题详情", "Findings";
    filters: "筛选条件", "Filters";
    all: "全部", "All";
    status: "状态", "Status";
    period: "周期", "Period";
    citation: "依据", "Basis";
    evidence: "相关记录", "Records behind it";
    missing_items: "缺少", "Missing";
    responsible: "责任方", "Who must act";
    exempted_by: "已豁免", "Exempted";
    exempt_title: "豁免此问题", "Exempt this finding";
    exempt_reason: "豁免理由", "Reason for the exemption";
    exempt_submit: "确认豁免", "Grant the exemption";
    exemption_saved: "已豁免。该问题仍会列出，并注明豁免理由。", "Exempted. The finding is still listed, with the reason.";
    no_findings: "没有符合条件的问题。", "No findings match.";
    // Stored findings on the dashboard and drill pages (scale, issue 6).
    heatmap_caption_units: "每行为一个下级党组织或直属党支部；每格为其所属各支部当月待处理（未豁免）问题之和。点选名称进入该组织，点选一格查看问题、依据和相关记录。", "Each row is an organization below or a branch directly under this one; a cell counts the open (not exempted) findings of its branches in that month. Choose a name to open that organization, a cell to see the findings, their articles and the records behind them.";
    rows_with_open_findings: "只看有待处理问题的", "Only rows with open findings";
    all_rows: "显示全部", "Show all rows";
    previous_rows: "上一页", "Previous";
    next_rows: "下一页", "Next";
    findings_updating: "正在按最新记录和今天的日期更新，稍后刷新即可看到", "being brought up to date with the latest records and today's date; reload shortly";
    findings_pending: "本年度的检查结果正在生成，请稍后刷新本页。", "The findings for this year are being computed; reload this page shortly.";
    // Registry details and personal data on the member page (issue 4, import).
    registry_details: "登记信息", "Registry details";
    ethnicity: "民族", "Ethnicity";
    education: "学历", "Education";
    id_number_masked: "公民身份号码（部分隐藏）", "ID number (partly hidden)";
    phone_masked: "联系电话（部分隐藏）", "Phone (partly hidden)";
    // Showing an ID number or phone in full, with a purpose, audited (issue 4).
    show_in_full: "显示完整", "Show in full";
    show_in_full_field: "显示哪一项", "Which item";
    show_in_full_purpose: "用途（将记入审计日志）", "Purpose (recorded in the audit log)";
    show_in_full_purpose_hint: "例如：核对身份、组织关系转接、联系本人", "e.g. checking identity, a transfer, contacting the member";
    show_in_full_notice: "以下为完整信息，仅本次显示；本次查看已记入审计日志。", "Shown in full this once; this viewing is recorded in the audit log.";
    id_number_full: "公民身份号码（完整）", "ID number (in full)";
    phone_full: "联系电话（完整）", "Phone (in full)";
    not_recorded: "未登记", "not recorded";
    // Member page.
    member: "党员", "Member";
    member_status: "党员身份", "Standing";
    joined_on: "入党日期", "Joined";
    status_history: "身份变化", "Status history";
    effective_on: "生效日期", "From";
    note: "备注", "Note";
    postings: "组织关系", "Branch postings";
    from: "自", "From";
    until: "至", "Until";
    transferred_in_from: "转入自", "Transferred in from";
    transferred_out_to: "转出至", "Transferred out to";
    talks: "谈心谈话", "Heart-to-heart talks";
    no_talks: "没有谈心谈话记录。", "No talks recorded.";
    talk_with: "谈话对象", "With";
    topic: "主题", "Topic";
    my_attendance: "参加会议情况", "Attendance at meetings";
    state_case: "陈述本人意见", "State your case";
    state_case_hint: "你的陈述将附在这条记录下，原记录不会改动。", "Your statement is attached to this record; the record itself is not changed.";
    state_case_submit: "提交陈述", "Submit the statement";
    statement_saved: "你的陈述已附在记录下。", "Your statement is attached to the record.";
    own_record: "本人党员记录", "My member record";
    // Audit.
    audit_title: "操作日志", "Audit log";
    audit_search: "搜索", "Search";
    audit_query: "关键词（账号、操作、对象）", "Words (account, action, target)";
    audit_when: "时间（北京时间）", "When (China time)";
    audit_who: "账号", "Account";
    audit_action: "操作", "Action";
    audit_target: "对象", "Target";
    audit_outcome: "结果", "Outcome";
    audit_masked: "个人信息已遮盖。", "Personal data is masked.";
    no_audit: "没有符合条件的记录。", "No entries match.";
    // Sign-in. The messages for a wrong password and a locked login are shared with the API
    // (`auth::handlers`), so that both say the same and neither tells whether a login exists.
    sign_in_title: "登录", "Sign in";
    login: "登录名", "Login";
    password: "密码", "Password";
    sign_in: "登录", "Sign in";
    login_required: "请填写登录名。", "Enter your login.";
    password_required: "请填写密码。", "Enter your password.";
    sign_in_expired: "页面已过期或缺少防伪令牌，请重新登录。", "The page expired or lacked its anti-forgery token; sign in again.";
    // Own password.
    nav_password: "修改密码", "Password";
    password_title: "修改密码", "Change password";
    signed_in_as: "当前账号", "Signed in as";
    one_time_password_notice: "你的密码是临时密码，请先设置新密码。", "Your password is a one-time password; choose a new one first.";
    current_password: "当前密码", "Current password";
    new_password: "新密码", "New password";
    new_password_hint: "至少10个字符，不能与登录名相同", "10 characters or more, not the login";
    new_password_again: "再次输入新密码", "New password again";
    change_password: "修改密码", "Change the password";
    current_password_required: "请填写当前密码。", "Enter your current password.";
    current_password_wrong: "当前密码不正确。", "The current password is wrong.";
    passwords_differ: "两次输入的新密码不一致。", "The two new passwords differ.";
    password_unchanged: "新密码不能与当前密码相同。", "The new password must differ from the current one.";
    // Records outside the reader's scope, named in one that is inside (a member's former branch).
    org_outside_scope: "（本账号范围以外的组织）", "(an organization outside your scope)";
    // Exports and printed registers (pages::exports).
    exports_title: "导出与打印", "Export and print";
    export_roster: "党员名册", "Member roster";
    export_dues: "本月党费收缴登记表", "This month's dues register";
    export_attendance: "出勤登记", "Attendance";
    export_annual_summary: "年度组织生活纪实", "Annual summary";
    export_meeting_record: "会议记录", "Meeting record";
    export_admission_record: "发展党员工作纪实表", "Admission record";
    export_note: "PDF 用于打印存档，Excel 表格便于核对；每次导出都记入操作日志。", "PDFs are for printing and filing, spreadsheets for checking; every export is written to the audit log.";
    // Regularity (常态化) pages and calendar feeds (issue 7).
    regularity_link: "常态化情况", "Regularity";
    regularity_title: "常态化情况", "Regularity";
    regularity_intro: "以下是根据活动日期和录入时间得出的事实，每条都附有所依据的记录；不打分，不排名。", "Facts read from when things happened and when they were entered, each with the records behind it. No scores, no rankings.";
    regularity_facts: "事实", "Facts";
    regularity_no_facts: "没有发现补录、集中补开、集中录入或整月没有组织生活的情况。", "No late entries, bursts, entry batches or months without organizational life.";
    regularity_no_match: "没有符合条件的事实。", "No facts match.";
    regularity_evidence: "所依据的记录", "The records behind it";
    regularity_no_evidence: "本年度没有可作依据的会议记录。", "No meeting record of the year to point to.";
    regularity_duties: "月度工作是否在当月完成", "Monthly duties done in their own month";
    regularity_holder: "组织", "Organization";
    regularity_duty: "工作", "Duty";
    regularity_owed: "应开展的月数", "Months owed";
    regularity_done_own_month: "当月完成的月数", "Done in its own month";
    regularity_months_without: "当月没有开展的月份", "Months without";
    regularity_no_duties: "本年度还没有已结束、应开展月度工作的月份。", "No ended month of the year owed a monthly duty yet.";
    regularity_trend: "全年各月", "The year month by month";
    regularity_trend_caption: "每根柱为当月活动的记录条数（按活动日期计），深色部分为满期限后才录入的；柱上数字为落在该月的事实条数。点选一个月查看该月的事实。", "Each bar is the month's records by event date; the dark part was entered late. The number above a bar counts the facts that sit in that month. Choose a month to see its facts.";
    regularity_on_time: "按时录入", "Entered on time";
    regularity_late: "满期限后录入（补录）", "Entered late";
    regularity_show_all: "显示全部事实", "Show all facts";
    regularity_showing_only: "仅显示", "Showing only";
    regularity_back_workspace: "返回支部工作台", "Back to the branch workspace";
    regularity_back_dashboard: "返回督导看板", "Back to the dashboard";
    regularity_branches: "各支部的常态化事实", "Each branch's facts";
    regularity_order_note: "按组织顺序排列，不排名；每个数字都可点开查看所依据的记录。", "In the order of the organization tree, not a ranking; every number opens the records behind it.";
    regularity_col_branch: "支部", "Branch";
    regularity_col_findings: "待处理问题", "Open findings";
    regularity_col_late: "补录", "Late entries";
    regularity_col_bursts: "集中补开", "Bursts";
    regularity_col_batches: "集中录入", "Entry batches";
    regularity_col_empty_months: "整月无组织生活", "Months without organizational life";
    regularity_col_own_month: "月度工作当月完成", "Monthly duties in their own month";
    regularity_col_months: "各月事实条数", "Facts per month";
    regularity_no_branches: "本年度没有下属支部。", "No branches this year.";
    regularity_committee_trend_caption: "各支部合计：每根柱为当月活动的记录条数（按活动日期计），深色部分为补录；柱上数字为落在该月的事实条数。", "All branches together: each bar is the month's records by event date, the dark part entered late; the number above a bar counts the facts that sit in that month.";
    fact_late_entry: "补录", "Late entry";
    fact_duty_burst: "集中补开", "Burst";
    fact_entry_batch: "集中录入", "Entry batch";
    fact_month_without_org_life: "整月无组织生活", "Month without organizational life";
    nav_calendars: "日历订阅", "Calendars";
    calendars_title: "日历订阅", "Calendar subscriptions";
    calendars_intro: "把本年度的工作期限和会议记录加入手机或电脑上的日历。订阅地址里含有密钥，相当于密码：不要转发他人；不再使用时请撤销。", "Put the year's deadlines and meetings into the calendar on your phone or computer. The subscription address holds a secret key and works like a password: do not pass it on, and revoke it when you no longer use it.";
    calendars_what_is_in: "日历中有：本月到期和待处理的工作（与支部工作台所列一致），以及本年度的会议记录。系统尚无会议计划功能，因此只列已录入的会议。", "The calendar holds the duties due this month and the open findings (as the branch workspace lists them) and the year's recorded meetings. Zhibu keeps no meeting plans yet, so only meetings on record are listed.";
    calendars_new: "新建订阅", "New subscription";
    calendars_subject: "订阅内容", "Calendar of";
    calendars_create: "生成订阅地址", "Create the subscription address";
    calendars_created: "订阅地址已生成。它只显示这一次，请现在复制：", "The subscription address is ready. It is shown only this once; copy it now:";
    calendars_how: "在日历应用中选择“添加订阅日历”或“从网址添加”，粘贴这个地址（iPhone：设置→日历→账户→添加账户→其他→添加已订阅的日历；Outlook：添加日历→从 Internet 订阅；Google 日历：其他日历→通过网址添加）。", "In your calendar app choose to add a subscribed calendar or a calendar from a URL, and paste this address (iPhone: Settings → Calendar → Accounts → Add Account → Other → Add Subscribed Calendar; Outlook: Add calendar → Subscribe from web; Google Calendar: Other calendars → From URL).";
    calendars_open_app: "用日历应用打开", "Open in a calendar app";
    calendars_existing: "我的订阅", "My subscriptions";
    calendars_none: "还没有订阅。", "No subscriptions yet.";
    calendars_col_created: "生成时间", "Created";
    calendars_col_fetched: "最近一次获取", "Last fetched";
    calendars_col_state: "状态", "State";
    calendars_never: "尚未获取", "never";
    calendars_active: "有效", "active";
    calendars_revoked_state: "已撤销", "revoked";
    calendars_revoke: "撤销", "Revoke";
    calendars_revoked_notice: "订阅已撤销，原地址从此无法访问。", "The subscription is revoked; its address no longer works.";
    calendars_nothing: "你的账号没有可以订阅的支部日历或本人日历。", "Your account has no branch calendar or calendar of its own to subscribe to.";
    calendars_subject_invalid: "请选择可以订阅的日历。", "Choose a calendar you may subscribe to.";
    // Admission pipelines, votes and elections (issue 5).
    admissions_link: "发展党员", "Admissions";
    admissions_title: "发展党员", "Admitting members";
    admissions_intro: "每人当前所处阶段、下一步骤及其期限；超过时限的步骤引用所依据的条款。", "Each person's current stage, the next step and its deadline; overdue steps cite their article.";
    admissions_none: "本支部没有在培养中的发展党员记录。", "The branch has no admission records.";
    col_person: "姓名", "Person";
    col_stage: "当前阶段", "Current stage";
    col_next_step: "下一步骤", "Next step";
    col_deadline: "期限", "Deadline";
    col_overdue: "已超时限", "Overdue";
    no_deadline: "无规定时限", "no time limit";
    pipeline_title: "发展党员纪实", "Admission record";
    pipeline_steps: "五个阶段二十五个步骤", "The 5 stages and 25 steps";
    col_step: "步骤", "Step";
    col_date: "日期", "Date";
    col_people: "相关人员", "People";
    col_rule_version: "适用细则", "Rules applied";
    step_not_yet: "尚未进行", "not yet";
    pipeline_due: "待办步骤", "Open steps";
    pipeline_documents: "已收材料", "Documents received";
    pipeline_no_documents: "尚未登记收到的材料。", "No documents recorded yet.";
    pipeline_votes: "支部大会表决", "General-meeting votes";
    record_step: "记录下一步骤", "Record the next step";
    record_step_help: "按该步骤日期当天施行的细则版本校验；不符合规定的不会保存，并指出依据的条款和填写有误的项目。", "Checked against the version of the rules in force on the step's date; a step that breaks a rule is not saved, and the rule and the field are named.";
    field_step: "步骤", "Step";
    field_date: "日期", "Date";
    field_people: "人员（谈话人、培养联系人、入党介绍人）", "People (talkers, mentors, sponsors)";
    field_approved: "批准", "Approved";
    field_not_approved: "不批准", "Not approved";
    field_training_days: "培训天数", "Training days";
    field_training_hours: "培训学时", "Training hours";
    field_publicity_last_day: "公示截止日", "Last day of publicity";
    field_vote_id: "采用本支部已记录的表决", "Take the counts from a recorded vote";
    field_documents: "本步骤收到的材料（括号内为通常接收该材料的步骤）", "Papers received with this step (in brackets: the steps that usually receive them)";
    field_other_document: "其他材料名称", "Other paper, by name";
    field_approving_committee: "具有审批权限的党委", "Party committee with the authority to approve";
    resolution_title: "支部大会接收预备党员的决议（细则第二十一条）", "The general meeting's resolution to admit (art. 21)";
    resolution_not_recorded: "未记录", "not recorded";
    field_main_performance: "发展对象的主要表现（随支部大会讨论步骤登记）", "The candidate's main performance (with the general meeting's vote)";
    field_signed_by_secretary: "签名的党支部书记", "Branch secretary who signed";
    member_sanctions: "党纪处分（警告、严重警告、撤销党内职务）", "Disciplinary sanctions (warning, serious warning, removal from Party post)";
    sanction_kind: "处分", "Sanction";
    sanction_decided_on: "决定日期", "Decided on";
    sanction_decided_by: "决定机关", "Decided by";
    sanction_influence_ends_on: "影响期至", "Influence period ends";
    sanction_in_effect: "影响期内", "within its influence period";
    pipeline_warnings: "提示（不影响保存）", "Notes (the record is kept)";
    field_none: "（无）", "(none)";
    field_reason: "修改原因", "Reason for the change";
    save_step: "保存该步骤", "Save the step";
    step_saved: "已保存该步骤。", "The step is saved.";
    votes_title: "会议表决", "Votes at the meeting";
    votes_link: "表决", "Votes";
    votes_entitlement: "表决权名单（开始表决时冻结）", "Who may vote (frozen when the vote opens)";
    votes_entitlement_help: "正式党员有表决权；受留党察看处分期间或权利被中止的党员没有表决权；预备党员没有表决权。", "Full members vote; members under Party probation or with suspended rights do not; probationary members never vote.";
    votes_excluded: "没有表决权", "No vote";
    votes_recorded: "本次会议已记录的表决", "Votes recorded at this meeting";
    votes_none: "本次会议还没有记录表决。", "No vote is recorded at this meeting yet.";
    votes_new: "记录一项表决", "Record a vote";
    field_question: "表决事项", "Question";
    question_admission: "接收预备党员", "Admission as probationary member";
    question_conversion: "预备党员转正", "Conversion to full member";
    question_general: "其他事项", "Other decision";
    field_candidate: "发展对象", "Person";
    field_subject: "事项", "Subject";
    field_method: "表决方式", "How the votes are taken";
    method_secret_counts: "无记名投票：录入计票结果", "Secret ballot: enter the counted result";
    method_secret_device: "无记名投票：在本设备上逐人投票", "Secret ballot: each voter votes on this device";
    method_hands: "举手表决：录入结果", "Show of hands: enter the result";
    field_opened_at: "开始表决时间", "Vote opened at";
    field_yes: "赞成", "Yes";
    field_no: "反对", "No";
    field_abstain: "弃权", "Abstain";
    field_written_from: "会前提交书面意见的党员", "Members who handed in a written opinion before the meeting";
    field_written_at: "书面意见收到时间", "Written opinions received at";
    written_totals: "书面意见", "Written opinions";
    in_room_totals: "会场投票", "In the room";
    open_vote: "开始表决", "Open the vote";
    save_vote: "保存表决结果", "Save the result";
    ballot_box_title: "无记名投票", "Secret ballot";
    ballot_box_help: "请投票人本人选择姓名和意见后提交，然后把设备交给下一位。系统只记录谁已投票和各项合计，不记录谁投了什么。", "Each voter picks their own name and choice, submits, and hands the device on. Zhibu records who has voted and the totals, never who chose what.";
    ballot_cast_count: "已投票人数", "Ballots cast";
    field_voter: "投票人", "Voter";
    cast_ballot: "投票", "Cast the ballot";
    ballot_received: "选票已收到，请把设备交给下一位投票人。", "Ballot received; hand the device to the next voter.";
    close_vote: "结束投票并计票", "Close the vote and count";
    ballot_box_lost: "没有正在进行的投票（服务重启后未结束的投票不会保留，请重新开始表决）。", "No vote is open (a vote not closed before the server restarted is not kept; open it again).";
    vote_title: "表决结果", "Result of the vote";
    vote_arithmetic: "计算过程", "The arithmetic";
    vote_passed: "通过", "Passed";
    vote_not_passed: "未通过", "Not passed";
    vote_no_quorum: "到会人数不足，不能表决", "No quorum: no valid vote";
    vote_voted: "参加投票", "Took part";
    vote_secrecy_note: "本记录只保存有表决权的名单、实到和参加投票的人以及各项合计，不保存任何人的投票意见。", "This record keeps who could vote, who was present and took part, and the totals — never anyone's choice.";
    elections_title: "换届选举", "Elections";
    elections_link: "换届选举", "Elections";
    elections_terms: "委员会任期", "Committee terms";
    elections_no_terms: "没有委员会任期记录。", "No committee term is on record.";
    col_elected_on: "选举日期", "Elected on";
    col_term_end: "任期届满", "Term ends";
    col_reminder: "提醒", "Reminder";
    elections_recorded: "选举记录", "Elections on record";
    elections_none: "没有选举记录。", "No election is on record.";
    col_seats: "应选人数", "Seats";
    col_rounds: "轮次", "Rounds";
    col_result: "结果", "Result";
    col_report: "上报批准", "Sent up for approval";
    election_title: "选举结果", "Election result";
    election_round: "第{}轮", "Round {}";
    col_candidate: "候选人", "Candidate";
    col_yes_votes: "赞成票", "Yes votes";
    col_elected: "当选", "Elected";
    election_secretary: "书记", "Secretary";
    election_deputy: "副书记", "Deputy secretary";
    election_not_reported: "尚未上报", "not yet sent up";
    election_approved: "已批准", "approved";
    election_rejected: "未批准", "not approved";
    election_awaiting: "等待批复", "awaiting the decision";
    // The election entry form and the report upwards (issue 5, elections).
    election_new_link: "记录换届选举", "Record an election";
    election_new_title: "记录换届选举", "Record an election";
    election_nothing_written: "未写入任何记录。", "Nothing was written.";
    election_choose_meeting: "选择召开选举的党员大会", "Choose the general meeting that held the election";
    election_no_general_meeting: "本支部没有党员大会记录：请先记录召开选举的党员大会。", "This branch has no general meeting on record: record the meeting that held the election first.";
    election_expected: "应到会有选举权的党员（按当天名册计算）", "Members expected with voting rights (from the roster on the day)";
    election_form_kind: "领导机构形式", "Form of leadership";
    election_form_committee: "支部委员会", "Branch committee";
    election_form_secretary_only: "不设委员会，只设书记（副书记）", "No committee: a secretary (and deputy)";
    election_col_member: "党员", "Member";
    election_col_present: "实到", "Present";
    election_col_no_votes: "反对票（未计可空）", "No votes (blank if not counted)";
    election_col_abstentions: "弃权票（未计可空）", "Abstentions (blank if not counted)";
    election_ballots_issued: "发出选票", "Ballots issued";
    election_ballots_returned: "收回选票", "Ballots returned";
    election_ballots_void: "废票", "Void ballots";
    election_reduce_seats: "经党员大会同意，把名额减少到已当选的人数", "With the general meeting's consent, reduce the seats to those elected";
    election_count: "计票并显示结果", "Count and show the result";
    election_save: "保存选举记录", "Save the election";
    election_saved: "已保存。", "Saved.";
    election_report_title: "上报上级党组织审批", "Send up for approval";
    election_reported_on: "上报日期", "Sent up on";
    election_report_submit: "记录上报", "Record that it was sent up";
    election_approval_title: "上级党组织批复（书记、副书记人选）", "The upper organization's decision (secretary and deputy)";
    election_decided_on: "批复日期", "Decided on";
    election_approve_yes: "批准", "Approved";
    election_approve_no: "不批准", "Not approved";
    election_approval_submit: "记录批复", "Record the decision";
    election_reason: "修改原因", "Reason for the change";
}

impl Lang {
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The code used in the cookie, in the switch link and in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language the `zhibu_lang` cookie asks for; Chinese when there is none.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Lang::parse(value.trim()))
            .unwrap_or_default()
    }

    /// Picks the text of this language from a pair.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn field_message(self, error: &FieldError) -> String {
        self.pick(&error.message_zh, &error.message_en).to_string()
    }

    pub fn date(self, date: NaiveDate) -> String {
        match self {
            Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
            Lang::En => date.format("%-d %b %Y").to_string(),
        }
    }

    pub fn month_short(self, month: u32) -> String {
        match self {
            Lang::Zh => format!("{month}月"),
            Lang::En => [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]
            .get(month.saturating_sub(1) as usize)
            .copied()
            .unwrap_or("?")
            .to_string(),
        }
    }

    pub fn year_month(self, year: i32, month: u32) -> String {
        match self {
            Lang::Zh => format!("{year}年{month}月"),
            Lang::En => format!("{} {year}", self.month_short(month)),
        }
    }

    /// The countdown to a due date.
    pub fn countdown(self, days: i64) -> String {
        match (self, days) {
            (Lang::Zh, 0) => "今天到期".to_string(),
            (Lang::Zh, days) if days > 0 => format!("还剩{days}天"),
            (Lang::Zh, days) => format!("已过期{}天", -days),
            (Lang::En, 0) => "due today".to_string(),
            (Lang::En, 1) => "1 day left".to_string(),
            (Lang::En, days) if days > 0 => format!("{days} days left"),
            (Lang::En, days) => format!("{} days overdue", -days),
        }
    }

    /// How often a duty recurs, as a suffix: `（每月）`, ` (monthly)`.
    pub fn every(self, length: zhibu_core::calendar::PeriodLength) -> &'static str {
        use zhibu_core::calendar::PeriodLength;
        match (self, length) {
            (Lang::Zh, PeriodLength::Month) => "（每月）",
            (Lang::Zh, PeriodLength::Quarter) => "（每季度）",
            (Lang::Zh, PeriodLength::Year) => "（每年）",
            (Lang::En, PeriodLength::Month) => " (monthly)",
            (Lang::En, PeriodLength::Quarter) => " (quarterly)",
            (Lang::En, PeriodLength::Year) => " (yearly)",
        }
    }

    pub fn count_items(self, count: usize) -> String {
        match self {
            Lang::Zh => format!("{count}件"),
            Lang::En if count == 1 => "1 item".to_string(),
            Lang::En => format!("{count} items"),
        }
    }

    pub fn meeting_kind(self, kind: MeetingKind) -> &'static str {
        self.pick(kind.name_zh(), kind.name_en())
    }

    pub fn record_kind(self, kind: RecordKind) -> &'static str {
        self.pick(kind.name_zh(), kind.name_en())
    }

    pub fn member_status(self, status: MemberStatus) -> &'static str {
        let en = match status {
            MemberStatus::Probationary => "probationary member",
            MemberStatus::Full => "full member",
            MemberStatus::UnderPartyProbation => "under Party probation",
            MemberStatus::RightsSuspended => "rights suspended",
            MemberStatus::MembershipSuspended => "membership suspended",
            MemberStatus::Ended => "no longer a member",
        };
        self.pick(status.name_zh(), en)
    }

    pub fn org_level(self, level: OrgLevel) -> &'static str {
        let en = match level {
            OrgLevel::WorkingCommittee => "working committee",
            OrgLevel::PartyCommittee => "Party committee",
            OrgLevel::GeneralBranch => "general branch",
            OrgLevel::Branch => "branch",
            OrgLevel::PartyGroup => "party group",
        };
        self.pick(level.name_zh(), en)
    }

    pub fn committee_role(self, role: CommitteeRole) -> &'static str {
        let en = match role {
            CommitteeRole::Secretary => "secretary",
            CommitteeRole::DeputySecretary => "deputy secretary",
            CommitteeRole::OrganizationOfficer => "organization officer",
            CommitteeRole::PublicityOfficer => "publicity officer",
            CommitteeRole::DisciplineOfficer => "discipline officer",
            CommitteeRole::CommitteeMember => "committee member",
        };
        self.pick(role.name_zh(), en)
    }

    pub fn finding_status(self, status: FindingStatus) -> &'static str {
        let en = match status {
            FindingStatus::Missing => "missing",
            FindingStatus::Invalid => "invalid",
            FindingStatus::Overdue => "overdue",
            FindingStatus::Noncompliant => "not compliant",
            FindingStatus::ComingDue => "coming due",
        };
        self.pick(status.name_zh(), en)
    }

    pub fn severity(self, severity: Severity) -> &'static str {
        let en = match severity {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "breach",
        };
        self.pick(severity.name_zh(), en)
    }

    pub fn responsibility(self, responsibility: Responsibility) -> &'static str {
        match responsibility {
            Responsibility::BranchSecretary => self.pick("支部书记", "the branch secretary"),
            Responsibility::ParentOrg => self.pick("上级党组织", "the upper organization"),
        }
    }

    pub fn attendance_state(self, state: &AttendanceState) -> &'static str {
        match state {
            AttendanceState::Present => self.texts().present,
            AttendanceState::Excused { .. } => self.texts().excused,
            AttendanceState::Absent => self.texts().absent,
        }
    }

    pub fn operation(self, operation: ChangeOperation) -> &'static str {
        match operation {
            ChangeOperation::Create => self.pick("创建", "created"),
            ChangeOperation::Amend => self.pick("修改", "amended"),
            ChangeOperation::Delete => self.pick("删除", "deleted"),
        }
    }

    pub fn heat_cell_title(self, branch: &str, year: i32, month: u32, count: usize) -> String {
        match self {
            Lang::Zh => format!("{branch} {year}年{month}月：待处理问题{count}件"),
            Lang::En => format!(
                "{branch}, {}: {}",
                self.year_month(year, month),
                match count {
                    1 => "1 open finding".to_string(),
                    count => format!("{count} open findings"),
                }
            ),
        }
    }

    pub fn trend_bar_title(self, year: i32, month: u32, count: usize) -> String {
        match self {
            Lang::Zh => format!("{year}年{month}月：待处理问题{count}件"),
            Lang::En => format!("{}: {count} open findings", self.year_month(year, month)),
        }
    }

    pub fn attendance_counts(self, present: usize, expected: usize) -> String {
        match self {
            Lang::Zh => format!("应到{expected}人，实到{present}人"),
            Lang::En => format!("{present} of {expected} present"),
        }
    }

    pub fn status_breakdown(self, parts: &[(FindingStatus, usize)]) -> String {
        let words: Vec<String> = parts
            .iter()
            .map(|(status, count)| match self {
                Lang::Zh => format!("{}{count}", status.name_zh()),
                Lang::En => format!("{count} {}", self.finding_status(*status)),
            })
            .collect();
        words.join(self.pick("、", ", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_cookie_chooses_the_language_and_chinese_is_the_default() {
        let table = [
            (None, Lang::Zh),
            (Some("zhibu_lang=en"), Lang::En),
            (Some("session=abc; zhibu_lang=en"), Lang::En),
            (Some("zhibu_lang=zh"), Lang::Zh),
            (Some("zhibu_lang=fr"), Lang::Zh),
            (Some("other_zhibu_lang=en"), Lang::Zh),
        ];
        for (cookie, expected) in table {
            let mut headers = HeaderMap::new();
            if let Some(cookie) = cookie {
                headers.insert(COOKIE, HeaderValue::from_static(cookie));
            }
            assert_eq!(Lang::from_headers(&headers), expected, "{cookie:?}");
        }
    }

    #[test]
    fn countdowns_read_naturally_in_both_languages() {
        assert_eq!(Lang::Zh.countdown(3), "还剩3天");
        assert_eq!(Lang::Zh.countdown(0), "今天到期");
        assert_eq!(Lang::En.countdown(1), "1 day left");
        assert_eq!(Lang::En.countdown(-2), "2 days overdue");
    }
}
