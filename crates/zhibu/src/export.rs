//! `zhibu export <kind>`: the same registers and spreadsheets the web pages offer, written to a
//! file. The command line has no account: it is run by whoever operates the database, so it may
//! export any org, and every export is written to the audit log under the login `cli`. ID numbers
//! and phones in the roster are masked unless `--show-personal-data` is given (and that is logged).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};
use clap::{Subcommand, ValueEnum};
use zhibu_core::admission::AdmissionRecordId;
use zhibu_core::dues::YearMonth;
use zhibu_core::{MeetingId, OrgId};
use zhibu_core::{Org, OrgLevel};
use zhibu_print::gather::{self, PersonalData};
use zhibu_print::{PrintError, Printer, docx, xlsx};
use zhibu_storage::{NewAuditEntry, Repository, StorageError};

use super::{Failure, repository, today_in_china};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SheetFormat {
    Pdf,
    Xlsx,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecordFormat {
    Pdf,
    Docx,
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// 党员名册 / the roster of a branch
    Roster {
        /// 党支部编号 / branch id
        #[arg(long)]
        branch: i64,
        /// 统计日期 / the day the roster is for (default: today in China)
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = SheetFormat::Pdf)]
        format: SheetFormat,
        /// 完整显示公民身份号码和手机号码（记入操作日志）/ show ID numbers and phones whole (audited)
        #[arg(long)]
        show_personal_data: bool,
        /// 输出文件 / file to write
        #[arg(long, short)]
        output: PathBuf,
    },
    /// 党费收缴登记表 / the dues register of a month
    Dues {
        #[arg(long)]
        branch: i64,
        /// 月份 YYYY-MM / the month (default: this month)
        #[arg(long)]
        month: Option<String>,
        #[arg(long, value_enum, default_value_t = SheetFormat::Pdf)]
        format: SheetFormat,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// 出勤登记（xlsx）/ attendance per meeting and member over a year (xlsx)
    Attendance {
        #[arg(long)]
        branch: i64,
        /// 年度 / year (default: this year)
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// 年度组织生活纪实（PDF）/ a branch's annual summary (PDF)
    AnnualSummary {
        #[arg(long)]
        branch: i64,
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// 会议记录 / one meeting's record
    Meeting {
        /// 会议编号 / meeting id
        #[arg(long)]
        id: i64,
        #[arg(long, value_enum, default_value_t = RecordFormat::Pdf)]
        format: RecordFormat,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// 发展党员工作纪实表（PDF）/ one person's admission record (PDF)
    Admission {
        /// 发展党员记录编号 / admission record id
        #[arg(long)]
        id: i64,
        #[arg(long, short)]
        output: PathBuf,
    },
}

fn print_failure(error: PrintError) -> Failure {
    Failure(error.to_string())
}

fn printer() -> Result<std::sync::Arc<Printer>, Failure> {
    Printer::shared().map_err(print_failure)
}

/// Refuses an id that names no branch, in both languages, before anything is gathered.
async fn require_branch(repository: &Repository, id: i64) -> Result<(), Failure> {
    match repository.get::<Org>(OrgId(id)).await {
        Ok(org) if org.body.level == OrgLevel::Branch => Ok(()),
        Ok(org) => Err(Failure(format!(
            "组织 {id}（{}）不是党支部：--branch 应为党支部编号 / org {id} ({}) is not a branch: --branch takes a branch id",
            org.body.name, org.body.name
        ))),
        Err(error) => Err(not_found(error, "党支部", "branch", id)),
    }
}

/// A record the command names that does not exist (or was deleted) is the user's mistake, not a
/// database failure: say so in both languages.
fn not_found(error: StorageError, what_zh: &str, what_en: &str, id: i64) -> Failure {
    match error {
        StorageError::NotFound { .. } => Failure(format!(
            "找不到编号为 {id} 的{what_zh} / no {what_en} with id {id}"
        )),
        StorageError::Deleted { .. } => Failure(format!(
            "编号为 {id} 的{what_zh}已被删除 / {what_en} {id} was deleted"
        )),
        other => Failure::from(other),
    }
}

/// Writes the file, then the audit entry, then gives the file its name: a file that could not be
/// written leaves no audit entry, and an export whose audit entry could not be written leaves no file.
async fn write_audited(
    repository: &Repository,
    output: &Path,
    bytes: &[u8],
    kind: &str,
    id: i64,
    org: OrgId,
    detail: serde_json::Value,
) -> Result<(), Failure> {
    let mut partial = output.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, bytes).map_err(|error| {
        Failure(format!(
            "无法写入文件 {0} / cannot write {0}: {error}",
            output.display()
        ))
    })?;
    let recorded = audit(repository, kind, id, org, detail).await;
    if let Err(failure) = recorded {
        let _ = std::fs::remove_file(&partial);
        return Err(failure);
    }
    if let Err(error) = std::fs::rename(&partial, output) {
        let _ = std::fs::remove_file(&partial);
        return Err(Failure(format!(
            "无法写入文件 {0} / cannot write {0}: {error}",
            output.display()
        )));
    }
    println!(
        "已导出 / exported: {} ({} 字节 / bytes)",
        output.display(),
        bytes.len()
    );
    Ok(())
}

async fn audit(
    repository: &Repository,
    kind: &str,
    id: i64,
    org: OrgId,
    detail: serde_json::Value,
) -> Result<(), Failure> {
    let entry = NewAuditEntry {
        at: repository.now(),
        account_id: None,
        login: Some("cli".into()),
        action: "export".into(),
        target_kind: Some(kind.into()),
        target_id: Some(id),
        org_path: Some(repository.org_path(org).await?),
        detail: detail.to_string(),
        ip: None,
    };
    repository.accounts().append_audit(&entry).await?;
    Ok(())
}

pub async fn run(database_url: &str, command: ExportCommand) -> Result<ExitCode, Failure> {
    let repository = repository(database_url).await?;
    let today = today_in_china();
    match command {
        ExportCommand::Roster {
            branch,
            date,
            format,
            show_personal_data,
            output,
        } => {
            let as_of = date.unwrap_or(today);
            let personal = if show_personal_data {
                PersonalData::Whole
            } else {
                PersonalData::Masked
            };
            require_branch(&repository, branch).await?;
            let view = gather::roster(&repository, OrgId(branch), as_of, personal).await?;
            let bytes = match format {
                SheetFormat::Pdf => printer()?.roster(&view),
                SheetFormat::Xlsx => xlsx::roster(&view),
            }
            .map_err(print_failure)?;
            write_audited(
                &repository,
                &output,
                &bytes,
                "org",
                branch,
                OrgId(branch),
                serde_json::json!({ "export": "roster", "format": format_name(format), "date": as_of, "masked": !show_personal_data }),
            )
            .await?;
        }
        ExportCommand::Dues {
            branch,
            month,
            format,
            output,
        } => {
            let month = match month {
                None => YearMonth::of(today),
                Some(text) => YearMonth::parse(&text).map_err(|_| {
                    Failure(format!(
                        "--month 应为 YYYY-MM，收到“{text}” / --month must be YYYY-MM, got {text:?}"
                    ))
                })?,
            };
            require_branch(&repository, branch).await?;
            let view = gather::dues_register(&repository, OrgId(branch), month).await?;
            let bytes = match format {
                SheetFormat::Pdf => printer()?.dues_register(&view),
                SheetFormat::Xlsx => xlsx::dues_register(&view),
            }
            .map_err(print_failure)?;
            write_audited(
                &repository,
                &output,
                &bytes,
                "org",
                branch,
                OrgId(branch),
                serde_json::json!({ "export": "dues", "format": format_name(format), "month": month.to_string() }),
            )
            .await?;
        }
        ExportCommand::Attendance {
            branch,
            year,
            output,
        } => {
            let year = year.unwrap_or(today.year());
            require_branch(&repository, branch).await?;
            let view = gather::attendance(&repository, OrgId(branch), year, today).await?;
            let bytes = xlsx::attendance(&view).map_err(print_failure)?;
            write_audited(
                &repository,
                &output,
                &bytes,
                "org",
                branch,
                OrgId(branch),
                serde_json::json!({ "export": "attendance", "format": "xlsx", "year": year }),
            )
            .await?;
        }
        ExportCommand::AnnualSummary {
            branch,
            year,
            output,
        } => {
            let year = year.unwrap_or(today.year());
            require_branch(&repository, branch).await?;
            let view = gather::annual_summary(&repository, OrgId(branch), year, today).await?;
            let bytes = printer()?.annual_summary(&view).map_err(print_failure)?;
            write_audited(
                &repository,
                &output,
                &bytes,
                "org",
                branch,
                OrgId(branch),
                serde_json::json!({ "export": "annual_summary", "format": "pdf", "year": year }),
            )
            .await?;
        }
        ExportCommand::Meeting { id, format, output } => {
            let meeting = gather::meeting(&repository, MeetingId(id))
                .await
                .map_err(|error| not_found(error, "会议", "meeting", id))?;
            let view = gather::meeting_record(&repository, &meeting).await?;
            let bytes = match format {
                RecordFormat::Pdf => printer()?.meeting_record(&view),
                RecordFormat::Docx => docx::meeting_record(&view),
            }
            .map_err(print_failure)?;
            let format = match format {
                RecordFormat::Pdf => "pdf",
                RecordFormat::Docx => "docx",
            };
            write_audited(
                &repository,
                &output,
                &bytes,
                "meeting",
                id,
                meeting.body.org_id,
                serde_json::json!({ "export": "meeting_record", "format": format, "version": meeting.version }),
            )
            .await?;
        }
        ExportCommand::Admission { id, output } => {
            let record = gather::admission(&repository, AdmissionRecordId(id))
                .await
                .map_err(|error| not_found(error, "发展党员纪实", "admission record", id))?;
            let view = gather::admission_record(&repository, &record.body, today).await?;
            let bytes = printer()?.admission_record(&view).map_err(print_failure)?;
            write_audited(
                &repository,
                &output,
                &bytes,
                "admission_record",
                id,
                record.body.person.branch_id,
                serde_json::json!({ "export": "admission_record", "format": "pdf", "version": record.version }),
            )
            .await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn format_name(format: SheetFormat) -> &'static str {
    match format {
        SheetFormat::Pdf => "pdf",
        SheetFormat::Xlsx => "xlsx",
    }
}
