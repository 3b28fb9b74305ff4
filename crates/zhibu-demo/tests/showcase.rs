//! The issue-5 showcase written into a small demo city: an applicant and an activist whose open
//! steps are due, a vote and an election at the first branch's latest general meeting — each
//! through the repository's checks, and each read back as the pages read it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use zhibu_core::admission::{AdmissionRecord, AdmissionRecordId, AdmissionStep, due_steps};
use zhibu_core::rules::Catalogue;
use zhibu_core::vote_records::{ElectionId, ElectionRecord, VoteId, VoteRecord};
use zhibu_core::workdays::WorkdayCalendar;
use zhibu_demo::{DemoConfig, generate, load, load_showcase};
use zhibu_storage::{Backend, Repository};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_showcase_writes_pipelines_a_vote_and_an_election_that_pass_every_check() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!(
        "zhibu-demo-showcase-{}-{nanos}.db",
        std::process::id()
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let repo = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    );
    let today = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
    let dataset = generate(&DemoConfig::new(7, today).with_branches(4));
    let summary = load(&repo, &dataset).await.expect("the city loads");
    let showcase = load_showcase(&repo, summary.root, today)
        .await
        .expect("the showcase passes every check");
    assert!(showcase.branch.is_some());
    assert_eq!(showcase.admission_records.len(), 2);

    let calendar = WorkdayCalendar::national().expect("calendar");
    let applicant = repo
        .get::<AdmissionRecord>(AdmissionRecordId(showcase.admission_records[0]))
        .await
        .expect("applicant");
    let next = due_steps(&applicant.body, today, &calendar);
    assert_eq!(next[0].step, AdmissionStep::ApplicationTalk);
    assert_eq!(
        next[0].days_left,
        Some(11),
        "applied 20 days ago: talk due within the month"
    );
    let activist = repo
        .get::<AdmissionRecord>(AdmissionRecordId(showcase.admission_records[1]))
        .await
        .expect("activist");
    assert!(activist.body.activist_determined_on.is_some());
    assert_eq!(activist.body.mentors.len(), 2);

    let vote = repo
        .get::<VoteRecord>(VoteId(showcase.vote.expect("a vote")))
        .await
        .expect("vote");
    let decision = vote.body.decide().expect("the vote decides");
    assert_eq!(decision.present as usize, vote.body.present.len());
    assert_eq!(decision.yes_counted, decision.present);
    let election = repo
        .get::<ElectionRecord>(ElectionId(showcase.election.expect("an election")))
        .await
        .expect("election");
    let standing = election.body.standing().expect("the election counts");
    assert_eq!(standing.rounds.len(), 1);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
