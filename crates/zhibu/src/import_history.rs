//! `zhibu import dues FILE` and `zhibu import meetings FILE`: dues history and past meetings, with
//! the same flags, preview, progress bar, summary and exit codes as `zhibu import roster`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use zhibu_core::OrgId;
use zhibu_core::calendar::china_date;
use zhibu_import::roster::{Options, Target};
use zhibu_import::{ImportError, dues, meetings};
use zhibu_storage::{ImportProgress, Repository};

/// The flags of `zhibu import dues` and `zhibu import meetings` (those of `import roster`).
#[derive(clap::Args)]
pub struct HistoryArgs {
    /// The .xlsx or .csv file.
    #[arg(required_unless_present = "rollback_latest")]
    file: Option<PathBuf>,
    /// Every row belongs to this branch (for meetings: or party group).
    #[arg(long, conflicts_with = "org")]
    branch: Option<i64>,
    /// Each row names its branch, within this org's subtree.
    #[arg(long)]
    org: Option<i64>,
    /// The worksheet (xlsx); the first one if not given.
    #[arg(long)]
    sheet: Option<String>,
    /// Only check the file and show what would be created; write nothing.
    #[arg(long)]
    preview: bool,
    /// Roll back the latest import batch instead (needs --reason).
    #[arg(long, conflicts_with_all = ["file", "preview"])]
    rollback_latest: bool,
    /// Why the batch is rolled back (kept in each deletion version).
    #[arg(long)]
    reason: Option<String>,
    /// Who is importing, as the history will name them.
    #[arg(long, env = "ZHIBU_ACTOR", default_value = "import")]
    actor: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dues,
    Meetings,
}

impl Kind {
    fn command(self) -> &'static str {
        match self {
            Kind::Dues => "dues",
            Kind::Meetings => "meetings",
        }
    }
}

/// Writing progress: a bar on a terminal, plain lines otherwise.
struct Bar {
    bar: ProgressBar,
    total: usize,
}

impl ImportProgress for Bar {
    fn written(&self, count: usize) {
        self.bar.set_position(count as u64);
        if self.bar.is_hidden() {
            eprintln!("写入 / writing: {count}/{}", self.total);
        }
    }
}

const ERRORS_SHOWN: usize = 500;

/// What both previews show: file, columns, errors.
struct Shown<'a> {
    file_name: &'a str,
    sheet: Option<&'a str>,
    rows_read: usize,
    columns: Vec<String>,
    ignored: Vec<String>,
    errors: &'a [ImportError],
}

/// Prints the preview's head; `true` when it has errors (nothing will be written).
fn show(shown: &Shown<'_>) -> bool {
    println!(
        "文件 / file: {}{}，数据行 / data rows: {}",
        shown.file_name,
        shown
            .sheet
            .map(|s| format!("，工作表 / sheet: {s}"))
            .unwrap_or_default(),
        shown.rows_read
    );
    println!("读取的列 / columns read: {}", shown.columns.join(" "));
    if !shown.ignored.is_empty() {
        println!("未读取的列 / columns ignored: {}", shown.ignored.join(" "));
    }
    if shown.errors.is_empty() {
        return false;
    }
    println!(
        "发现 {} 处错误，未导入任何记录 / {} errors found; nothing was imported:",
        shown.errors.len(),
        shown.errors.len()
    );
    for error in shown.errors.iter().take(ERRORS_SHOWN) {
        println!("  {error}");
    }
    if shown.errors.len() > ERRORS_SHOWN {
        let more = shown.errors.len() - ERRORS_SHOWN;
        println!("  ……另有 {more} 处 / … and {more} more");
    }
    true
}

fn per_branch<'a>(names: impl Iterator<Item = &'a str>) {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for name in names {
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name, 1)),
        }
    }
    for (name, count) in counts {
        println!("  {name}: {count}");
    }
}

fn bar(total: usize) -> Bar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("写入 / writing {bar:40} {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Bar { bar, total }
}

pub async fn run(
    repository: &Repository,
    kind: Kind,
    args: HistoryArgs,
) -> Result<ExitCode, String> {
    let HistoryArgs {
        file,
        branch,
        org,
        sheet,
        preview,
        rollback_latest,
        reason,
        actor,
    } = args;
    if rollback_latest {
        let reason = reason.ok_or_else(|| {
            "撤销导入须用 --reason 说明理由 / a rollback needs --reason".to_string()
        })?;
        let batch = repository
            .rollback_latest_import(&actor, &reason)
            .await
            .map_err(|error| error.to_string())?;
        println!(
            "已撤销导入批次 {}（{}，{}，{} 条记录，每条记录的历史中留有删除版本和理由） / rolled back import batch {} ({}, {}, {} records; each keeps a deletion version with the reason in its history)",
            batch.id,
            batch.kind,
            batch.file_name,
            batch.record_count,
            batch.id,
            batch.kind,
            batch.file_name,
            batch.record_count
        );
        return Ok(ExitCode::SUCCESS);
    }
    let target = match (branch, org) {
        (Some(branch), None) => Target::Branch(OrgId(branch)),
        (None, Some(org)) => Target::Org(OrgId(org)),
        _ => {
            return Err(
                "请用 --branch <支部编号> 或 --org <组织编号> 指定导入范围 / give --branch <id> or --org <id>"
                    .into(),
            );
        }
    };
    let path = file.ok_or("缺少文件 / no file given")?;
    let bytes = std::fs::read(&path).map_err(|error| {
        format!(
            "无法读取文件 {} / cannot read {}: {error}",
            path.display(),
            path.display()
        )
    })?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let started = Instant::now();
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("读取并检查 / reading and checking {file_name}"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let options = Options {
        target,
        sheet,
        file_name,
        today: china_date(Utc::now()),
    };
    let letters = |columns: Vec<(String, String)>| -> Vec<String> {
        columns
            .into_iter()
            .map(|(letter, heading)| format!("{letter}={heading}"))
            .collect()
    };
    let batch = match kind {
        Kind::Dues => {
            let checked = dues::preview(repository, &bytes, &options).await;
            spinner.finish_and_clear();
            let checked = checked.map_err(|error| error.to_string())?;
            let failed = show(&Shown {
                file_name: &checked.file_name,
                sheet: checked.sheet.as_deref(),
                rows_read: checked.rows_read,
                columns: letters(
                    checked
                        .columns
                        .iter()
                        .map(|(l, h, _)| (l.clone(), h.clone()))
                        .collect(),
                ),
                ignored: letters(checked.ignored.clone()),
                errors: &checked.errors,
            });
            if failed {
                return Ok(ExitCode::from(1));
            }
            per_branch(checked.planned.iter().map(|p| p.branch_name.as_str()));
            if preview {
                println!(
                    "预览：将新建 {} 笔党费交纳记录、{} 条收入申报（未写入） / preview: {} payments and {} income declarations would be created (nothing written); checked in {:.1} s",
                    checked.payments(),
                    checked.declarations(),
                    checked.payments(),
                    checked.declarations(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let progress = bar(checked.planned.len());
            let batch = dues::commit(repository, &checked, &actor, Utc::now(), &progress)
                .await
                .map_err(|error| error.to_string())?;
            progress.bar.finish_and_clear();
            println!(
                "已导入批次 {}：{} 笔党费交纳记录、{} 条收入申报 / imported batch {}: {} payments, {} income declarations",
                batch.id,
                checked.payments(),
                checked.declarations(),
                batch.id,
                checked.payments(),
                checked.declarations()
            );
            batch
        }
        Kind::Meetings => {
            let checked = meetings::preview(repository, &bytes, &options).await;
            spinner.finish_and_clear();
            let checked = checked.map_err(|error| error.to_string())?;
            let failed = show(&Shown {
                file_name: &checked.file_name,
                sheet: checked.sheet.as_deref(),
                rows_read: checked.rows_read,
                columns: letters(
                    checked
                        .columns
                        .iter()
                        .map(|(l, h, _)| (l.clone(), h.clone()))
                        .collect(),
                ),
                ignored: letters(checked.ignored.clone()),
                errors: &checked.errors,
            });
            if failed {
                return Ok(ExitCode::from(1));
            }
            per_branch(checked.planned.iter().map(|p| p.org_name.as_str()));
            if preview {
                println!(
                    "预览：将新建 {} 次会议记录（未写入） / preview: {} meetings would be created (nothing written); checked in {:.1} s",
                    checked.planned.len(),
                    checked.planned.len(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let progress = bar(checked.planned.len());
            let batch = meetings::commit(repository, &checked, &actor, Utc::now(), &progress)
                .await
                .map_err(|error| error.to_string())?;
            progress.bar.finish_and_clear();
            println!(
                "已导入批次 {}：{} 次会议记录（含出勤） / imported batch {}: {} meetings with attendance",
                batch.id, batch.record_count, batch.id, batch.record_count
            );
            batch
        }
    };
    println!(
        "用时 {:.1} 秒（全部在一个事务中写入；每条记录记有批次 {} 和行号） / took {:.1} s (one transaction; each record keeps batch {} and its row)",
        started.elapsed().as_secs_f64(),
        batch.id,
        started.elapsed().as_secs_f64(),
        batch.id
    );
    println!(
        "撤销 / to undo: zhibu import {} --rollback-latest --reason \"…\"",
        kind.command()
    );
    Ok(ExitCode::SUCCESS)
}
