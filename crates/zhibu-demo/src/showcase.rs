//! Issue 5's records in the demo city, so that its pages show something: in the first branch, an
//! applicant whose talk is coming due, an activist in training with mentors and a review, a vote
//! and an election recorded at the branch's latest general meeting.
//!
//! Written after [`crate::load`], through the repository and its checks like any other write, and
//! kept apart from the planned city: the planted-imperfection tests compare the engine with the
//! plan, and an applicant's open steps are findings of their own.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate, NaiveTime};
use serde::Serialize;
use zhibu_core::admission::{AdmissionPerson, AdmissionRecord, MentorAssignment, PersonTalk};
use zhibu_core::calendar::add_months;
use zhibu_core::vote_records::{
    BallotMethod, ElectionRecord, ElectionRoundRecord, VoteQuestion, VoteRecord,
};
use zhibu_core::voting::{
    CandidateTally, ElectionTally, Tally, VoteEntitlement, minimum_candidates,
};
use zhibu_core::{
    LeadershipForm, Meeting, MeetingId, MeetingKind, Member, MemberId, Org, OrgId, OrgLevel,
};
use zhibu_storage::{ChangeMeta, ListRequest, Repository, StorageError};

use crate::DEMO_ACTOR;

/// What the showcase wrote, by stored id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Showcase {
    pub branch: Option<OrgId>,
    pub admission_records: Vec<i64>,
    pub vote: Option<i64>,
    pub election: Option<i64>,
}

async fn all<T: zhibu_core::Record>(
    repo: &Repository,
    org: OrgId,
) -> Result<Vec<zhibu_core::Stored<T>>, StorageError> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = repo
            .list::<T>(&ListRequest {
                subtree: Some(org),
                after_id: after,
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await?;
        items.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(items),
        }
    }
}

/// Writes the showcase into the first branch (by id) under `root` that has a general meeting with
/// voting members present. Returns what it wrote.
pub async fn load_showcase(
    repo: &Repository,
    root: OrgId,
    today: NaiveDate,
) -> Result<Showcase, StorageError> {
    let meta = ChangeMeta::by(DEMO_ACTOR);
    let mut branches: Vec<_> = all::<Org>(repo, root)
        .await?
        .into_iter()
        .filter(|org| org.body.level == OrgLevel::Branch)
        .collect();
    branches.sort_by_key(|org| org.id);
    let mut showcase = Showcase::default();
    for branch in branches {
        let branch_id = OrgId(branch.id);
        let members = all::<Member>(repo, branch_id).await?;
        let mut meetings: Vec<_> = all::<Meeting>(repo, branch_id)
            .await?
            .into_iter()
            .filter(|meeting| {
                meeting.body.org_id == branch_id
                    && meeting.body.is_kind(MeetingKind::GeneralMeeting)
                    && meeting.body.held_on <= today
            })
            .collect();
        meetings.sort_by_key(|meeting| meeting.body.held_on);
        let Some(meeting) = meetings.pop() else {
            continue;
        };
        let day = meeting.body.held_on;
        let roster: Vec<(MemberId, &Member)> = members
            .iter()
            .map(|stored| (MemberId(stored.id), &stored.body))
            .filter(|(_, member)| member.branch_on(day) == Some(branch_id))
            .collect();
        let entitlement = VoteEntitlement::freeze(&roster, day);
        let present: BTreeSet<MemberId> = meeting
            .body
            .present()
            .filter(|id| entitlement.may_vote(*id))
            .collect();
        let present: Vec<MemberId> = present.into_iter().collect();
        // Full members in good standing in the branch on a day: talkers and mentors.
        let voters_on = |date: NaiveDate| -> Vec<MemberId> {
            members
                .iter()
                .filter(|stored| {
                    stored.body.branch_on(date) == Some(branch_id)
                        && stored
                            .body
                            .status_on(date)
                            .is_some_and(|status| status.has_voting_rights())
                })
                .map(|stored| MemberId(stored.id))
                .collect()
        };
        let applied = add_months(today, -8);
        let determined = add_months(applied, 2);
        let voters_today: Vec<MemberId> = voters_on(today)
            .into_iter()
            .filter(|id| voters_on(applied).contains(id) && voters_on(determined).contains(id))
            .collect();
        if present.len() < 3 || voters_today.len() < 2 {
            continue;
        }
        showcase.branch = Some(branch_id);

        // An applicant whose talk is due within the month, and an activist in training.
        let person = |name: &str, birth: &str| AdmissionPerson {
            name: name.to_string(),
            birth_date: NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap_or(today),
            branch_id,
            mobile: false,
        };
        let applicant =
            AdmissionRecord::new(person("周申请", "2001-09-12"), today - Duration::days(20));
        let mut activist = AdmissionRecord::new(person("吴积极", "1998-04-03"), applied);
        activist.application_talk = Some(PersonTalk {
            held_on: applied + Duration::days(14),
            talkers: vec![voters_today[0]],
        });
        activist.activist_determined_on = Some(determined);
        activist.activist_filed_on = Some(determined + Duration::days(5));
        activist.mentors = voters_today
            .iter()
            .take(2)
            .map(|mentor| MentorAssignment {
                member_id: *mentor,
                assigned_on: determined,
                released_on: None,
            })
            .collect();
        let review = add_months(determined, 5);
        if review <= today {
            activist.activist_reviews = vec![review];
        }
        for record in [applicant, activist] {
            showcase
                .admission_records
                .push(repo.create(record, &meta).await?.id);
        }

        // A general decision at the latest general meeting, by show of hands: all present in favour.
        let opened_at = day.and_time(NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default());
        let everyone = u32::try_from(present.len()).unwrap_or(u32::MAX);
        let vote = VoteRecord {
            org_id: branch_id,
            meeting_id: MeetingId(meeting.id),
            question: VoteQuestion::GeneralDecision {
                subject: "审议通过支部年度工作计划".to_string(),
            },
            method: BallotMethod::ShowOfHands,
            opened_at,
            entitled: entitlement.voters().collect(),
            present: present.clone(),
            voted: present.clone(),
            in_room: Tally {
                yes: everyone,
                no: 0,
                abstain: 0,
            },
            written_opinions: Vec::new(),
            written: Tally::default(),
        };
        showcase.vote = Some(repo.create(vote, &meta).await?.id);

        // An election of a secretary (or a committee of three where the meeting is large enough):
        // candidates seats + 20%, the first ones with everyone's vote.
        let (form, seats) = if present.len() >= 7 {
            (LeadershipForm::Committee, 3)
        } else {
            (LeadershipForm::SecretaryOnly, 1)
        };
        let candidates: Vec<MemberId> = present
            .iter()
            .take(minimum_candidates(seats) as usize)
            .copied()
            .collect();
        if candidates.len() == minimum_candidates(seats) as usize {
            let election = ElectionRecord {
                org_id: branch_id,
                meeting_id: MeetingId(meeting.id),
                held_on: day,
                previous_term: None,
                form,
                seats,
                entitled: entitlement.voters().collect(),
                rounds: vec![ElectionRoundRecord {
                    seats,
                    candidates: candidates.clone(),
                    present: present.clone(),
                    ballots_issued: everyone,
                    ballots: ElectionTally {
                        seats,
                        returned: everyone,
                        void: 0,
                        candidates: candidates
                            .iter()
                            .enumerate()
                            .map(|(index, candidate)| {
                                let yes = if (index as u32) < seats { everyone } else { 0 };
                                CandidateTally {
                                    candidate: *candidate,
                                    tally: Tally {
                                        yes,
                                        no: everyone - yes,
                                        abstain: 0,
                                    },
                                }
                            })
                            .collect(),
                    },
                }],
                seats_reduced_with_consent: None,
                secretary: None,
                deputy_secretary: None,
                reported_on: None,
                approval: None,
            };
            showcase.election = Some(repo.create(election, &meta).await?.id);
        }
        return Ok(showcase);
    }
    Ok(showcase)
}
