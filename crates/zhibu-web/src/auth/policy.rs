//! Who may do what, where: one table, role × area × action. docs/AUTHORIZATION.md is this table in
//! prose, and the authorization test walks every route against it.
//!
//! "Where" is always the principal's subtree (an administrator's is the whole tree). A record is in
//! the subtree when its org path starts with the path of the principal's org; for a create or an
//! amendment the org the new body names must be inside too, so that nobody can move a record out
//! of reach or write one into someone else's branch.

use serde::Serialize;

use super::Role;

/// A part of the application, one per kind of record plus the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Orgs,
    Members,
    Meetings,
    Talks,
    CommitteeTerms,
    LocalRules,
    Exemptions,
    /// Admission pipelines (发展党员): the applicant is not yet a member, so members see none.
    AdmissionRecords,
    /// Income declarations (党费计算基数): personal data. The roles that collect dues in the branch
    /// and upper staff read them; a member reads only their own.
    IncomeDeclarations,
    /// Dues payments: the same readers as declarations (the amount shows the income band).
    DuesPayments,
    /// Hardship reductions and waivers: decided by the branch (secretary), approved above.
    DuesReliefs,
    /// A branch's dues settings (ledger opening, farmer amount, share remitted upward).
    DuesPolicies,
    /// A branch's monthly collection report (every member's base, due and arrears).
    DuesCollection,
    /// A member's dues ledger: the branch's dues roles, upper staff, and the member themself.
    DuesLedgers,
    /// Closed votes at general meetings (表决): totals and who took part, never who chose what.
    Votes,
    /// Elections of a branch's leadership (换届选举), round by round.
    Elections,
    /// A member's statement of their own case on a record that concerns them (本人陈述): made by
    /// that member only, whatever their role; shown with the record it is about.
    Statements,
    /// The compliance report of an org's subtree.
    Findings,
    /// The national rule catalogue (public law, the same for everyone).
    Rules,
    /// The audit log.
    Audit,
    /// Downloads of the printed registers and spreadsheets (`pages::exports`): officers and the
    /// staff above them; members export nothing.
    Exports,
    /// Accounts: creating them, resetting passwords.
    Accounts,
    /// One's own session: who am I, my CSRF token, my password.
    OwnAccount,
    /// One's own calendar feeds (日历订阅): every account makes, lists and revokes its own; what
    /// a feed may show is what its owner may read (a branch's findings, their own records), checked
    /// at every fetch.
    CalendarFeeds,
    /// Group bots (企业微信 / 钉钉 群机器人) of an org, through which reminders reach a group:
    /// configured by administrators, committee staff and branch secretaries for orgs in their
    /// subtree. Each person's own channel choices and inbox are `OwnAccount`.
    GroupChannels,
    /// Every reminder delivery with its attempts and errors, and the channels' problems: for
    /// administrators.
    Deliveries,
    /// Planned meetings (会议安排): every member of the branch reads them (they are told when to
    /// come); those who record meetings plan, move and cancel them.
    MeetingPlans,
    /// Spreadsheet imports (`pages::imports`): the batches, uploading and confirming a file
    /// (Create) and rolling back the latest batch (Delete). Administrators and committee staff
    /// within their subtree; a branch secretary into their own branch only.
    Imports,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read one record, list records, read a record's history.
    Read,
    Create,
    Amend,
    Delete,
    /// Read personal data in full (ID number, phone) that every view otherwise masks: a stated
    /// purpose, once, audited (`POST /members/{id}/personal-data`).
    Unmask,
}

/// How far an action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Denied,
    /// Anywhere in the principal's subtree (everywhere for an administrator).
    InScope,
    /// Strictly below the principal's own org: committee staff manage the orgs under their
    /// committee, not the committee itself.
    BelowScope,
    /// Only records about the principal as a member: their own member record, the meetings whose
    /// roster they were on, the talks they took part in.
    Own,
}

use Access::{BelowScope as B, Denied as D, InScope as S, Own as O};

/// Role order in each row: administrator, committee staff, branch secretary, branch committee
/// member, member (the order of [`Role::ALL`]).
pub const POLICY: &[(Area, Action, [Access; 5])] = &[
    (Area::Orgs, Action::Read, [S, S, S, S, S]),
    (Area::Orgs, Action::Create, [S, S, D, D, D]),
    (Area::Orgs, Action::Amend, [S, B, D, D, D]),
    (Area::Orgs, Action::Delete, [S, B, D, D, D]),
    (Area::Members, Action::Read, [S, S, S, S, O]),
    (Area::Members, Action::Create, [S, S, S, S, D]),
    (Area::Members, Action::Amend, [S, S, S, S, D]),
    (Area::Members, Action::Delete, [S, S, S, D, D]),
    // Showing an ID number or phone in full: those who handle identity, transfers and contact
    // (`Principal::may_see_personal_identifiers`), with a purpose, every time audited.
    (Area::Members, Action::Unmask, [S, S, S, D, D]),
    (Area::Meetings, Action::Read, [S, S, S, S, O]),
    (Area::Meetings, Action::Create, [S, S, S, S, D]),
    (Area::Meetings, Action::Amend, [S, S, S, S, D]),
    (Area::Meetings, Action::Delete, [S, S, S, D, D]),
    (Area::Talks, Action::Read, [S, S, S, S, O]),
    (Area::Talks, Action::Create, [S, S, S, S, D]),
    (Area::Talks, Action::Amend, [S, S, S, S, D]),
    (Area::Talks, Action::Delete, [S, S, S, D, D]),
    (Area::CommitteeTerms, Action::Read, [S, S, S, S, S]),
    (Area::CommitteeTerms, Action::Create, [S, S, S, D, D]),
    (Area::CommitteeTerms, Action::Amend, [S, S, S, D, D]),
    (Area::CommitteeTerms, Action::Delete, [S, S, S, D, D]),
    // A local rule is filed under the committee that issued it, above the branches it binds;
    // branches meet it in their findings, which cite it, not in the records API.
    (Area::LocalRules, Action::Read, [S, S, D, D, D]),
    (Area::LocalRules, Action::Create, [S, S, D, D, D]),
    (Area::LocalRules, Action::Amend, [S, S, D, D, D]),
    (Area::LocalRules, Action::Delete, [S, S, D, D, D]),
    (Area::Exemptions, Action::Read, [S, S, S, S, D]),
    (Area::Exemptions, Action::Create, [S, S, D, D, D]),
    (Area::Exemptions, Action::Amend, [S, S, D, D, D]),
    // Exemptions are amended, never deleted (the route answers 405 to everyone).
    (Area::Exemptions, Action::Delete, [D, D, D, D, D]),
    (Area::AdmissionRecords, Action::Read, [S, S, S, S, D]),
    (Area::AdmissionRecords, Action::Create, [S, S, S, S, D]),
    (Area::AdmissionRecords, Action::Amend, [S, S, S, S, D]),
    (Area::AdmissionRecords, Action::Delete, [S, S, S, D, D]),
    // Dues (issue 4). Income and payments are personal data: the secretary and committee members
    // (who collect dues) and upper staff; a member their own. Reliefs are the branch's decision.
    (Area::IncomeDeclarations, Action::Read, [S, S, S, S, O]),
    (Area::IncomeDeclarations, Action::Create, [S, S, S, S, D]),
    (Area::IncomeDeclarations, Action::Amend, [S, S, S, S, D]),
    (Area::IncomeDeclarations, Action::Delete, [S, S, S, D, D]),
    (Area::DuesPayments, Action::Read, [S, S, S, S, O]),
    (Area::DuesPayments, Action::Create, [S, S, S, S, D]),
    (Area::DuesPayments, Action::Amend, [S, S, S, S, D]),
    (Area::DuesPayments, Action::Delete, [S, S, S, D, D]),
    (Area::DuesReliefs, Action::Read, [S, S, S, S, O]),
    (Area::DuesReliefs, Action::Create, [S, S, S, D, D]),
    (Area::DuesReliefs, Action::Amend, [S, S, S, D, D]),
    (Area::DuesReliefs, Action::Delete, [S, S, S, D, D]),
    (Area::DuesPolicies, Action::Read, [S, S, S, S, D]),
    (Area::DuesPolicies, Action::Create, [S, S, S, D, D]),
    (Area::DuesPolicies, Action::Amend, [S, S, S, D, D]),
    (Area::DuesPolicies, Action::Delete, [S, S, S, D, D]),
    (Area::DuesCollection, Action::Read, [S, S, S, S, D]),
    (Area::DuesLedgers, Action::Read, [S, S, S, S, O]),
    (Area::Votes, Action::Read, [S, S, S, S, D]),
    (Area::Votes, Action::Create, [S, S, S, S, D]),
    (Area::Votes, Action::Amend, [S, S, S, D, D]),
    (Area::Votes, Action::Delete, [S, S, S, D, D]),
    (Area::Elections, Action::Read, [S, S, S, S, D]),
    (Area::Elections, Action::Create, [S, S, S, S, D]),
    (Area::Elections, Action::Amend, [S, S, S, D, D]),
    (Area::Elections, Action::Delete, [S, S, S, D, D]),
    // Statements are read with the record they are about; only the member concerned makes one.
    (Area::Statements, Action::Create, [O, O, O, O, O]),
    (Area::Findings, Action::Read, [S, S, S, S, D]),
    (Area::Rules, Action::Read, [S, S, S, S, S]),
    (Area::Audit, Action::Read, [S, D, D, D, D]),
    // Exports: the record or branch must also be readable in the subtree (`pages::exports`).
    (Area::Exports, Action::Read, [S, S, S, S, D]),
    (Area::Accounts, Action::Read, [S, D, D, D, D]),
    (Area::Accounts, Action::Create, [S, D, D, D, D]),
    (Area::Accounts, Action::Amend, [S, D, D, D, D]),
    (Area::OwnAccount, Action::Read, [S, S, S, S, S]),
    (Area::OwnAccount, Action::Amend, [S, S, S, S, S]),
    (Area::CalendarFeeds, Action::Read, [S, S, S, S, S]),
    (Area::CalendarFeeds, Action::Create, [S, S, S, S, S]),
    (Area::CalendarFeeds, Action::Delete, [S, S, S, S, S]),
    // Reminders (issue 7): group bots are configured for an org by those who run it.
    (Area::GroupChannels, Action::Read, [S, S, S, D, D]),
    (Area::GroupChannels, Action::Create, [S, S, S, D, D]),
    (Area::Deliveries, Action::Read, [S, D, D, D, D]),
    // Planned meetings (issue 7): read by everyone in the branch, written like meetings.
    (Area::MeetingPlans, Action::Read, [S, S, S, S, S]),
    (Area::MeetingPlans, Action::Create, [S, S, S, S, D]),
    (Area::MeetingPlans, Action::Amend, [S, S, S, S, D]),
    (Area::MeetingPlans, Action::Delete, [S, S, S, D, D]),
    // Spreadsheet imports (issue 4 §3): a branch secretary imports into their own branch only.
    (Area::Imports, Action::Read, [S, S, S, D, D]),
    (Area::Imports, Action::Create, [S, S, S, D, D]),
    (Area::Imports, Action::Delete, [S, S, S, D, D]),
];

fn role_index(role: Role) -> usize {
    match role {
        Role::Administrator => 0,
        Role::CommitteeStaff => 1,
        Role::BranchSecretary => 2,
        Role::BranchCommitteeMember => 3,
        Role::Member => 4,
    }
}

/// What the table says; an area and action missing from it is denied.
pub fn access(role: Role, area: Area, action: Action) -> Access {
    POLICY
        .iter()
        .find(|(row_area, row_action, _)| *row_area == area && *row_action == action)
        .map_or(Access::Denied, |(_, _, row)| row[role_index(role)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roles_are_in_the_order_the_table_assumes() {
        for (index, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(role_index(role), index);
        }
    }

    #[test]
    fn every_area_and_action_appears_at_most_once() {
        for (index, (area, action, _)) in POLICY.iter().enumerate() {
            assert!(
                !POLICY[index + 1..]
                    .iter()
                    .any(|(a, b, _)| a == area && b == action),
                "{area:?} {action:?} twice"
            );
        }
    }

    #[test]
    fn members_write_only_their_own_statements_and_only_administrators_see_the_audit_log() {
        for (area, action, row) in POLICY {
            if *area == Area::Statements {
                assert!(row.iter().all(|access| *access == Access::Own));
            } else if *action != Action::Read
                // Calendar feeds are the account's own, like its password: not records.
                && !matches!(*area, Area::OwnAccount | Area::CalendarFeeds)
            {
                assert_eq!(row[4], Access::Denied, "{area:?} {action:?}");
            }
        }
        assert_eq!(
            access(Role::CommitteeStaff, Area::Audit, Action::Read),
            Access::Denied
        );
        assert_eq!(
            access(Role::Administrator, Area::Audit, Action::Read),
            Access::InScope
        );
    }
}
