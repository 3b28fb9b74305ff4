//! `zhibu import`: member rosters from .xlsx or .csv, with a preview, a progress bar and a
//! summary; `--rollback-latest` undoes the latest batch.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use zhibu_core::OrgId;
use zhibu_core::calendar::china_date;
use zhibu_import::roster::{self, Options, Target};
use zhibu_storage::{ImportProgress, Repository};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// 导入党员名册（.xlsx 或 .csv，全国党员管理信息系统导出的列） / import a member roster
    Roster {
        /// The .xlsx or .csv file.
        #[arg(required_unless_present = "rollback_latest")]
        file: Option<PathBuf>,
        /// Import every row into this branch.
        #[arg(long, conflicts_with = "org")]
        branch: Option<i64>,
        /// Import each row into the branch it names, within this org's subtree.
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
    },
    /// 导入党费收缴历史（交纳记录、收入申报） / import dues history (payments, income declarations)
    Dues(crate::import_history::HistoryArgs),
    /// 导入以往会议记录（三会一课，含出勤情况） / import past meetings with attendance
    Meetings(crate::import_history::HistoryArgs),
}

/// Writing progress: a bar on a terminal, plain lines otherwise (so that logs and tests see
/// the rows being written).
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

/// How many errors are printed; the rest are counted.
const ERRORS_SHOWN: usize = 500;

pub async fn run(repository: &Repository, command: ImportCommand) -> Result<ExitCode, String> {
    use crate::import_history::{self, Kind};
    let command = match command {
        ImportCommand::Dues(args) => {
            return import_history::run(repository, Kind::Dues, args).await;
        }
        ImportCommand::Meetings(args) => {
            return import_history::run(repository, Kind::Meetings, args).await;
        }
        roster => roster,
    };
    let ImportCommand::Roster {
        file,
        branch,
        org,
        sheet,
        preview,
        rollback_latest,
        reason,
        actor,
    } = command
    else {
        unreachable!("dues and meetings are dispatched above");
    };
    if rollback_latest {
        let reason = reason.ok_or_else(|| {
            "撤销导入须用 --reason 说明理由 / a rollback needs --reason".to_string()
        })?;
        let batch = repository
            .rollback_latest_import(&actor, &reason)
            .await
            .map_err(|error| error.to_string())?;
        println!(
            "已撤销导入批次 {}（{}，{} 条记录，每条记录的历史中留有删除版本和理由） / rolled back import batch {} ({}, {} records; each keeps a deletion version with the reason in its history)",
            batch.id,
            batch.file_name,
            batch.record_count,
            batch.id,
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
        file_name: file_name.clone(),
        today: china_date(Utc::now()),
    };
    let checked = roster::preview(repository, &bytes, &options).await;
    spinner.finish_and_clear();
    let checked = checked.map_err(|error| error.to_string())?;
    let checked_in = started.elapsed();
    println!(
        "文件 / file: {}{}，数据行 / data rows: {}",
        checked.file_name,
        checked
            .sheet
            .as_deref()
            .map(|s| format!("，工作表 / sheet: {s}"))
            .unwrap_or_default(),
        checked.rows_read
    );
    let columns: Vec<String> = checked
        .columns
        .iter()
        .map(|(letter, heading, _)| format!("{letter}={heading}"))
        .collect();
    println!("读取的列 / columns read: {}", columns.join(" "));
    if !checked.ignored.is_empty() {
        let ignored: Vec<String> = checked
            .ignored
            .iter()
            .map(|(letter, heading)| format!("{letter}={heading}"))
            .collect();
        println!("未读取的列 / columns ignored: {}", ignored.join(" "));
    }
    if !checked.errors.is_empty() {
        println!(
            "发现 {} 处错误，未导入任何记录 / {} errors found; nothing was imported:",
            checked.errors.len(),
            checked.errors.len()
        );
        for error in checked.errors.iter().take(ERRORS_SHOWN) {
            println!("  {error}");
        }
        if checked.errors.len() > ERRORS_SHOWN {
            let more = checked.errors.len() - ERRORS_SHOWN;
            println!("  ……另有 {more} 处 / … and {more} more");
        }
        return Ok(ExitCode::from(1));
    }
    let mut per_branch: Vec<(String, usize)> = Vec::new();
    for planned in &checked.planned {
        match per_branch
            .iter_mut()
            .find(|(name, _)| *name == planned.branch_name)
        {
            Some((_, count)) => *count += 1,
            None => per_branch.push((planned.branch_name.clone(), 1)),
        }
    }
    for (name, count) in &per_branch {
        println!("  {name}: {count}");
    }
    if preview {
        println!(
            "预览：将新建 {} 名党员（未写入） / preview: {} members would be created (nothing written); checked in {:.1} s",
            checked.planned.len(),
            checked.planned.len(),
            checked_in.as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let total = checked.planned.len();
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("写入 / writing {bar:40} {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = Bar {
        bar: bar.clone(),
        total,
    };
    let batch = roster::commit(repository, &checked, &actor, Utc::now(), &progress)
        .await
        .map_err(|error| error.to_string())?;
    bar.finish_and_clear();
    println!(
        "已导入批次 {}：新建 {} 名党员，用时 {:.1} 秒（全部在一个事务中写入；每条记录记有批次和行号） / imported batch {}: {} members created in {:.1} s (one transaction; each record keeps its batch and row)",
        batch.id,
        batch.record_count,
        started.elapsed().as_secs_f64(),
        batch.id,
        batch.record_count,
        started.elapsed().as_secs_f64()
    );
    println!("撤销 / to undo: zhibu import roster --rollback-latest --reason \"…\"");
    Ok(ExitCode::SUCCESS)
}
