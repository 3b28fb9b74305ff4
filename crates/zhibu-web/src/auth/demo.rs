//! Demo accounts: one per role, with passwords generated afresh on every run ("one-time" in that
//! sense), printed by `zhibu serve --demo` so that a visitor can sign in as each role at once.
//!
//! The demo accounts do not have to change their password at the first sign-in, so that a
//! visitor (and the tests) can go straight to the pages; real accounts always do.

use zhibu_core::{CommitteeRole, CommitteeTerm, Member, Org, OrgId, OrgLevel, Stored};
use zhibu_storage::{ListRequest, Repository, StorageError};

use super::Role;
use super::handlers::{NewAccountRequest, create_account};
use super::password::{hash_password, new_one_time_password};
use crate::error::ApiError;

/// The login and password of one demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCredential {
    pub role: Role,
    pub login: String,
    pub password: String,
    pub display_name: String,
    /// The org the account works in (`None` for the administrator).
    pub scope_org: Option<OrgId>,
    /// What the account is for, in Chinese and English.
    pub description: String,
}

async fn all<T: zhibu_core::Record>(
    repository: &Repository,
    subtree: OrgId,
) -> Result<Vec<Stored<T>>, StorageError> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = repository
            .list::<T>(&ListRequest {
                subtree: Some(subtree),
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

/// A branch's current members, secretary first if its latest committee term names one.
async fn branch_people(
    repository: &Repository,
    branch: OrgId,
) -> Result<Vec<Stored<Member>>, StorageError> {
    let mut members: Vec<Stored<Member>> = all::<Member>(repository, branch)
        .await?
        .into_iter()
        .filter(|member| member.body.current_branch() == Some(branch))
        .collect();
    let terms = all::<CommitteeTerm>(repository, branch).await?;
    if let Some(term) = terms
        .iter()
        .filter(|term| term.body.org_id == branch)
        .max_by_key(|term| term.body.elected_on)
    {
        let secretary = term.body.positions.iter().find(|position| {
            position.role == CommitteeRole::Secretary && position.left_on.is_none()
        });
        if let Some(secretary) = secretary
            && let Some(index) = members
                .iter()
                .position(|member| member.id == secretary.member_id.0)
        {
            let first = members.remove(index);
            members.insert(0, first);
        }
    }
    Ok(members)
}

/// Creates (or, when they exist from an earlier run, gives new passwords to) one account per role
/// under `root`: the administrator; staff of `root`; the secretary, a committee member and a plain
/// member of the first branch with three or more members; and a member of another branch.
pub async fn create_demo_accounts(
    repository: &Repository,
    root: OrgId,
) -> Result<Vec<DemoCredential>, ApiError> {
    let orgs = all::<Org>(repository, root).await?;
    let mut branches = Vec::new();
    for org in orgs
        .iter()
        .filter(|org| org.body.level == OrgLevel::Branch && org.body.dissolved_on.is_none())
    {
        let people = branch_people(repository, OrgId(org.id)).await?;
        if people.len() >= 3 || (!branches.is_empty() && !people.is_empty()) {
            branches.push((org, people));
        }
        if branches.len() == 2 {
            break;
        }
    }
    let [(first, first_people), (second, second_people)] =
        <[_; 2]>::try_from(branches).map_err(|_| {
            ApiError::internal(
                "the demo needs two branches with members, the first with three or more",
            )
        })?;
    let root_name = orgs
        .iter()
        .find(|org| org.id == root.0)
        .map_or_else(String::new, |org| org.body.name.clone());
    let plan = [
        (
            Role::Administrator,
            "admin",
            "系统管理员".to_string(),
            None,
            None,
            "全部组织、账号与审计日志 / every org, accounts and the audit log".to_string(),
        ),
        (
            Role::CommitteeStaff,
            "staff",
            format!("{root_name}工作人员"),
            Some(root),
            None,
            format!("{root_name}及其全部下级 / the whole subtree of {root_name}"),
        ),
        (
            Role::BranchSecretary,
            "secretary",
            first_people[0].body.name.clone(),
            Some(OrgId(first.id)),
            Some(first_people[0].id),
            format!("{}书记 / secretary of branch {}", first.body.name, first.id),
        ),
        (
            Role::BranchCommitteeMember,
            "committee",
            first_people[1].body.name.clone(),
            Some(OrgId(first.id)),
            Some(first_people[1].id),
            format!(
                "{}委员 / committee member of branch {}",
                first.body.name, first.id
            ),
        ),
        (
            Role::Member,
            "member",
            first_people[2].body.name.clone(),
            Some(OrgId(first.id)),
            Some(first_people[2].id),
            format!("{}党员 / member of branch {}", first.body.name, first.id),
        ),
        (
            Role::Member,
            "member-other",
            second_people[0].body.name.clone(),
            Some(OrgId(second.id)),
            Some(second_people[0].id),
            format!(
                "{}党员（另一支部）/ member of another branch, {}",
                second.body.name, second.id
            ),
        ),
    ];
    let mut credentials = Vec::new();
    for (role, login, display_name, scope_org, member_id, description) in plan {
        let login = format!("demo-{login}");
        let password = match repository.accounts().account_by_login(&login).await? {
            Some(existing) => {
                let password = new_one_time_password().map_err(ApiError::internal)?;
                let hash = hash_password(&password).await.map_err(ApiError::internal)?;
                repository
                    .accounts()
                    .set_password(existing.id, &hash, false)
                    .await?;
                repository
                    .accounts()
                    .delete_sessions_of_account(existing.id)
                    .await?;
                password
            }
            None => {
                let request = NewAccountRequest {
                    login: login.clone(),
                    display_name: display_name.clone(),
                    role,
                    scope_org: scope_org.map(|org| org.0),
                    member_id,
                };
                create_account(repository, &request, false)
                    .await?
                    .one_time_password
            }
        };
        credentials.push(DemoCredential {
            role,
            login,
            password,
            display_name,
            scope_org,
            description,
        });
    }
    Ok(credentials)
}
