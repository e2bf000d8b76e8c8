//! `/manage/v1` patches and people: the patches with their officer, size and cover; the
//! officers with their caseload and overdue tasks; creating and renaming patches, creating and
//! deactivating staff, cover between officers, and bulk reassignment. A team leader manages
//! their own team's officers and the patches they hold (anything else is not found); admins
//! manage everyone. Every write is audited (`store::people`).

use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr, invalid_fields};
use crate::api::officer::{StaffAuth, manager};
use crate::api::vocab::{self, StaffRole};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::audit::Actor;
use rentdesk_store::entities::{cover, staff_user};
use rentdesk_store::people::{self, NewStaff, Reassignment};
use rentdesk_store::staff::Role;

#[derive(Debug, Object)]
pub struct StaffRef {
    pub id: i64,
    pub name: String,
}

fn staff_ref(s: &staff_user::Model) -> StaffRef {
    StaffRef {
        id: s.id,
        name: s.name.clone(),
    }
}

#[derive(Debug, Object)]
pub struct PatchCover {
    pub id: i64,
    pub patch_code: String,
    pub officer: Option<StaffRef>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Object)]
pub struct PatchOut {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub officer: Option<StaffRef>,
    /// Tenancies in the patch.
    pub accounts: u64,
    /// Of those, in real arrears at the last evaluation.
    pub accounts_in_arrears: u64,
    /// Cover in force today or later.
    pub covers: Vec<PatchCover>,
}

#[derive(Debug, Object)]
pub struct PatchList {
    pub patches: Vec<PatchOut>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct PatchIn {
    /// Unique, e.g. `HD-WEST`.
    #[oai(validator(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9_-]+$"))]
    pub code: String,
    #[oai(validator(min_length = 1, max_length = 120))]
    pub name: String,
    /// The officer who works it; required for team leaders (a patch belongs to a team through
    /// its officer).
    pub officer_id: Option<i64>,
}

impl poem_openapi::types::Example for PatchIn {
    fn example() -> PatchIn {
        PatchIn {
            code: "HD-WEST".into(),
            name: "Huddersfield West".into(),
            officer_id: Some(12),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct PatchChange {
    /// A new name.
    #[oai(validator(min_length = 1, max_length = 120))]
    pub name: Option<String>,
    /// The officer who works it from now on.
    pub officer_id: Option<i64>,
}

impl poem_openapi::types::Example for PatchChange {
    fn example() -> PatchChange {
        PatchChange {
            name: Some("Huddersfield North and Fixby".into()),
            officer_id: Some(14),
        }
    }
}

#[derive(Debug, Object)]
pub struct OfficerOut {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub team: Option<String>,
    pub active: bool,
    /// Patches they hold.
    pub patches: Vec<String>,
    /// Patches they cover today.
    pub covering: Vec<String>,
    /// Accounts in the patches they see today (held and covered).
    pub caseload: u64,
    /// Of those, in real arrears at the last evaluation.
    pub accounts_in_arrears: u64,
    pub open_tasks: u64,
    /// Open tasks due before today.
    pub overdue_tasks: u64,
}

#[derive(Debug, Object)]
pub struct OfficerList {
    pub officers: Vec<OfficerOut>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct OfficerIn {
    /// Unique, whatever the case; a malformed or taken one is named in the 422 or 409.
    pub email: String,
    /// 1 to 120 characters.
    pub name: String,
    /// Default `officer`. Team leaders create officers only.
    pub role: Option<StaffRole>,
    /// Defaults to the caller's team; a team leader can only use their own. Required when an
    /// administrator (who has no team) creates an officer or team leader.
    pub team: Option<String>,
    /// The first password (12 to 128 characters); stored as an argon2id hash.
    pub password: String,
}

/// What `POST /manage/v1/officers` accepts as a first password, in characters.
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 12..=128;

impl poem_openapi::types::Example for OfficerIn {
    fn example() -> OfficerIn {
        OfficerIn {
            email: "new.officer@council.example".into(),
            name: "Amira Shah".into(),
            role: Some(StaffRole::Officer),
            team: Some("income".into()),
            password: "a long first password".into(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct CoverRequest {
    pub patch_code: String,
    /// The officer who covers.
    pub officer_id: i64,
    pub starts_on: NaiveDate,
    /// Inclusive.
    pub ends_on: NaiveDate,
}

impl poem_openapi::types::Example for CoverRequest {
    fn example() -> CoverRequest {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
        CoverRequest {
            patch_code: "HD-NORTH".into(),
            officer_id: 14,
            starts_on: d(12, 21),
            ends_on: d(12, 31),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct ReassignIn {
    /// Patch codes to give to `to_officer_id`.
    #[oai(default, validator(max_items = 500))]
    pub patches: Vec<String>,
    /// Tenancy references to move into `to_patch_code`.
    #[oai(default, validator(max_items = 5000))]
    pub tenancies: Vec<String>,
    pub to_officer_id: Option<i64>,
    pub to_patch_code: Option<String>,
}

impl poem_openapi::types::Example for ReassignIn {
    fn example() -> ReassignIn {
        ReassignIn {
            patches: vec!["HD-NORTH".into()],
            tenancies: vec!["HD1003".into()],
            to_officer_id: Some(14),
            to_patch_code: Some("HD-NORTH".into()),
        }
    }
}

#[derive(Debug, Object)]
pub struct Reassigned {
    pub patches_moved: u64,
    pub tenancies_moved: u64,
}

fn db_err(e: sea_orm::DbErr) -> poem::Error {
    Problem::internal(&e).into()
}

fn officer_not_in_team() -> (String, String) {
    (
        "officer_id".to_owned(),
        "not an active officer in your team".to_owned(),
    )
}

pub struct PeopleApi;

#[OpenApi(prefix_path = "/manage/v1", tag = "ApiTags::Manage")]
impl PeopleApi {
    /// Patches, their officers and caseloads
    ///
    /// The patches the caller manages (a team leader: those held by their team; an admin:
    /// all), each with its officer, number of accounts, accounts in arrears and cover.
    #[oai(path = "/patches", method = "get")]
    async fn patches(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
    ) -> poem::Result<Answer<PatchList, { OK | FORBIDDEN }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let rows = people::patches(&state.db, &staff, state.today())
            .await
            .map_err(db_err)?;
        Ok(Answer::Ok(Json(PatchList {
            patches: rows
                .into_iter()
                .map(|r| PatchOut {
                    id: r.patch.id,
                    officer: r.officer.as_ref().map(staff_ref),
                    accounts: r.accounts,
                    accounts_in_arrears: r.in_arrears,
                    covers: r
                        .covers
                        .iter()
                        .map(|(c, o)| PatchCover {
                            id: c.id,
                            patch_code: r.patch.code.clone(),
                            officer: o.as_ref().map(staff_ref),
                            starts_on: c.starts_on,
                            ends_on: c.ends_on,
                        })
                        .collect(),
                    code: r.patch.code,
                    name: r.patch.name,
                })
                .collect(),
        })))
    }

    /// Create a patch
    #[oai(path = "/patches", method = "post")]
    async fn create_patch(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        body: Json<PatchIn>,
    ) -> poem::Result<Answer<PatchOut, { CREATED | FORBIDDEN | CONFLICT | INVALID }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let mut errors = vec![];
        let officer = match body.officer_id {
            Some(id) => {
                let o = people::managed_officer(&state.db, &staff, id)
                    .await
                    .map_err(db_err)?;
                if o.is_none() {
                    errors.push(officer_not_in_team());
                }
                o
            }
            None if staff.role != "admin" => {
                errors.push((
                    "officer_id".to_owned(),
                    "required: a team's patch is held by one of its officers".to_owned(),
                ));
                None
            }
            None => None,
        };
        if let Some(p) = invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        let created = people::create_patch(
            &state.db,
            staff.id,
            body.code.trim(),
            body.name.trim(),
            body.officer_id,
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(db_err)?;
        match created {
            Ok(p) => Ok(Answer::Created(Json(PatchOut {
                id: p.id,
                code: p.code,
                name: p.name,
                officer: officer.as_ref().map(staff_ref),
                accounts: 0,
                accounts_in_arrears: 0,
                covers: vec![],
            }))),
            Err(_) => Ok(Answer::problem(
                Problem::new(StatusCode::CONFLICT, "taken", "That patch code is taken")
                    .field("code", "already used by another patch"),
            )),
        }
    }

    /// Rename a patch or give it to another officer
    #[oai(path = "/patches/:code", method = "patch")]
    async fn change_patch(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        code: Path<String>,
        body: Json<PatchChange>,
    ) -> poem::Result<Answer<PatchOut, { OK | FORBIDDEN | NOT_FOUND | INVALID }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let Some(p) = people::managed_patch(&state.db, &staff, &code.0)
            .await
            .map_err(db_err)?
        else {
            return Ok(Answer::problem(Problem::not_found(&format!(
                "patch {}",
                code.0
            ))));
        };
        let mut errors = vec![];
        if body.name.is_none() && body.officer_id.is_none() {
            errors.push(("name".to_owned(), "give a name or an officer_id".to_owned()));
        }
        if let Some(id) = body.officer_id
            && people::managed_officer(&state.db, &staff, id)
                .await
                .map_err(db_err)?
                .is_none()
        {
            errors.push(officer_not_in_team());
        }
        if let Some(problem) = invalid_fields(errors) {
            return Ok(Answer::problem(problem));
        }
        let p = people::update_patch(
            &state.db,
            staff.id,
            &p,
            body.name.as_deref().map(str::trim),
            body.officer_id,
            client_addr(remote).as_deref(),
        )
        .await
        .map_err(db_err)?;
        let row = people::patches(&state.db, &staff, state.today())
            .await
            .map_err(db_err)?
            .into_iter()
            .find(|r| r.patch.id == p.id);
        let officer = match p.officer_id {
            Some(id) => rentdesk_store::staff::by_id(&state.db, id)
                .await
                .map_err(db_err)?,
            None => None,
        };
        Ok(Answer::Ok(Json(PatchOut {
            id: p.id,
            code: p.code,
            name: p.name,
            officer: officer.as_ref().map(staff_ref),
            accounts: row.as_ref().map_or(0, |r| r.accounts),
            accounts_in_arrears: row.as_ref().map_or(0, |r| r.in_arrears),
            covers: vec![],
        })))
    }

    /// Officers, their caseloads and overdue tasks
    ///
    /// The staff the caller manages with the patches they hold and cover today, their
    /// caseload (accounts they see today), accounts in arrears, open and overdue tasks.
    #[oai(path = "/officers", method = "get")]
    async fn officers(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
    ) -> poem::Result<Answer<OfficerList, { OK | FORBIDDEN }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let rows = people::officers(&state.db, &staff, state.today())
            .await
            .map_err(db_err)?;
        Ok(Answer::Ok(Json(OfficerList {
            officers: vocab::kept(rows.into_iter().map(|r| {
                Ok(OfficerOut {
                    role: StaffRole::from_stored(&r.staff.role, "staff_users", r.staff.id)?,
                    id: r.staff.id,
                    email: r.staff.email,
                    name: r.staff.name,
                    team: r.staff.team,
                    active: r.staff.active,
                    patches: r.patches,
                    covering: r.covering,
                    caseload: r.caseload,
                    accounts_in_arrears: r.in_arrears,
                    open_tasks: r.open_tasks,
                    overdue_tasks: r.overdue_tasks,
                })
            })),
        })))
    }

    /// Create a member of staff
    ///
    /// With a first password (argon2id-hashed). Team leaders create officers in their own team;
    /// admins any role in any team.
    #[oai(path = "/officers", method = "post")]
    async fn create_officer(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        body: Json<OfficerIn>,
    ) -> poem::Result<Answer<OfficerOut, { CREATED | FORBIDDEN | CONFLICT | INVALID }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let is_admin = staff.role == "admin";
        let mut errors = vec![];
        let role = match Role::from(body.role.unwrap_or(StaffRole::Officer)) {
            Role::Officer => Some(Role::Officer),
            r if is_admin => Some(r),
            _ => {
                errors.push((
                    "role".to_owned(),
                    "team leaders create officers only".to_owned(),
                ));
                None
            }
        };
        let team = match (&body.team, &staff.team) {
            (Some(t), _) if t.trim().is_empty() => {
                errors.push(("team".to_owned(), "must not be blank".to_owned()));
                None
            }
            (Some(t), mine) if !is_admin && mine.as_deref() != Some(t.trim()) => {
                errors.push((
                    "team".to_owned(),
                    "you can add staff to your own team only".to_owned(),
                ));
                None
            }
            (Some(t), _) => Some(t.trim().to_owned()),
            (None, mine) => mine.clone(),
        };
        // A team leader or officer outside any team is managed by nobody but admins and sees
        // nothing of a team: always a mistake (an administrator has no team of their own).
        if team.is_none() && body.team.is_none() && matches!(role, Some(r) if r != Role::Admin) {
            errors.push((
                "team".to_owned(),
                "required for officers and team leaders".to_owned(),
            ));
        }
        let email = body.email.trim();
        if let Err(e) = rentdesk_domain::contact::EmailAddress::parse(email) {
            errors.push(("email".to_owned(), e.to_string()));
        }
        if body.name.trim().is_empty() {
            errors.push(("name".to_owned(), "must not be blank".to_owned()));
        } else if body.name.trim().chars().count() > 120 {
            errors.push(("name".to_owned(), "longer than 120 characters".to_owned()));
        }
        if !PASSWORD_CHARS.contains(&body.password.chars().count()) {
            errors.push((
                "password".to_owned(),
                "must be 12 to 128 characters".to_owned(),
            ));
        }
        if let Some(problem) = invalid_fields(errors) {
            return Ok(Answer::problem(problem));
        }
        let Some(role) = role else {
            return Err(Problem::internal(&"checked role went missing").into());
        };
        let created = people::create_staff(
            &state.db,
            Actor::Staff(staff.id),
            NewStaff {
                email,
                name: &body.name,
                role,
                team: team.as_deref(),
                password: &body.password,
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(db_err)?;
        match created {
            Ok(s) => Ok(Answer::Created(Json(OfficerOut {
                role: StaffRole::from_stored(&s.role, "staff_users", s.id)
                    .map_err(|e| Problem::internal(&e))?,
                id: s.id,
                email: s.email,
                name: s.name,
                team: s.team,
                active: s.active,
                patches: vec![],
                covering: vec![],
                caseload: 0,
                accounts_in_arrears: 0,
                open_tasks: 0,
                overdue_tasks: 0,
            }))),
            Err(_) => Ok(Answer::problem(
                Problem::new(StatusCode::CONFLICT, "taken", "That email is taken")
                    .field("email", "already used by another member of staff"),
            )),
        }
    }

    /// Deactivate a member of staff
    ///
    /// Their sign-in stops working at once. Patches they hold stay theirs until reassigned
    /// (listed in the answer).
    #[oai(path = "/officers/:id/deactivate", method = "post")]
    async fn deactivate(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<OfficerOut, { OK | FORBIDDEN | NOT_FOUND | CONFLICT }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let target = rentdesk_store::staff::by_id(&state.db, id.0)
            .await
            .map_err(db_err)?
            .filter(|o| people::manages(&staff, o));
        let Some(target) = target else {
            return Ok(Answer::problem(Problem::not_found(&format!(
                "member of staff {}",
                id.0
            ))));
        };
        if target.id == staff.id {
            return Ok(Answer::problem(
                Problem::new(
                    StatusCode::CONFLICT,
                    "self",
                    "You cannot deactivate yourself",
                )
                .field("id", "is you"),
            ));
        }
        let s = people::deactivate(&state.db, staff.id, &target, client_addr(remote).as_deref())
            .await
            .map_err(db_err)?;
        let row = people::officers(&state.db, &staff, state.today())
            .await
            .map_err(db_err)?
            .into_iter()
            .find(|r| r.staff.id == s.id);
        Ok(Answer::Ok(Json(OfficerOut {
            role: StaffRole::from_stored(&s.role, "staff_users", s.id)
                .map_err(|e| Problem::internal(&e))?,
            id: s.id,
            email: s.email,
            name: s.name,
            team: s.team,
            active: false,
            patches: row.as_ref().map(|r| r.patches.clone()).unwrap_or_default(),
            covering: vec![],
            caseload: row.as_ref().map_or(0, |r| r.caseload),
            accounts_in_arrears: row.as_ref().map_or(0, |r| r.in_arrears),
            open_tasks: row.as_ref().map_or(0, |r| r.open_tasks),
            overdue_tasks: row.as_ref().map_or(0, |r| r.overdue_tasks),
        })))
    }

    /// Set cover
    ///
    /// An officer covers a patch for dates (holidays, sickness): they see its accounts in
    /// their caseload from `starts_on` to `ends_on`.
    #[oai(path = "/covers", method = "post")]
    async fn cover(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        body: Json<CoverRequest>,
    ) -> poem::Result<Answer<PatchCover, { CREATED | FORBIDDEN | INVALID }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let mut errors = vec![];
        let p = people::managed_patch(&state.db, &staff, &body.patch_code)
            .await
            .map_err(db_err)?;
        if p.is_none() {
            errors.push((
                "patch_code".to_owned(),
                "no such patch in your team".to_owned(),
            ));
        }
        let officer = people::managed_officer(&state.db, &staff, body.officer_id)
            .await
            .map_err(db_err)?;
        if officer.is_none() {
            errors.push(officer_not_in_team());
        }
        if body.ends_on < body.starts_on {
            errors.push(("ends_on".to_owned(), "is before starts_on".to_owned()));
        }
        if let Some(problem) = invalid_fields(errors) {
            return Ok(Answer::problem(problem));
        }
        let (Some(p), Some(officer)) = (p, officer) else {
            return Err(Problem::internal(&"checked cover went missing").into());
        };
        let c = rentdesk_store::officer::set_cover(
            &state.db,
            staff.id,
            cover::Model {
                id: 0,
                patch_id: p.id,
                officer_id: officer.id,
                starts_on: body.starts_on,
                ends_on: body.ends_on,
                set_by_staff_id: Some(staff.id),
                created_at: state.now(),
            },
            client_addr(remote).as_deref(),
        )
        .await
        .map_err(db_err)?;
        Ok(Answer::Created(Json(PatchCover {
            id: c.id,
            patch_code: p.code,
            officer: Some(staff_ref(&officer)),
            starts_on: c.starts_on,
            ends_on: c.ends_on,
        })))
    }

    /// Reassign patches or tenancies in bulk
    ///
    /// Give `patches` to `to_officer_id` and move `tenancies` into `to_patch_code`, in one
    /// transaction: all or nothing. Every bad item is named (`patches[2]`, `tenancies[0]`).
    #[oai(path = "/reassignments", method = "post")]
    async fn reassign(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        body: Json<ReassignIn>,
    ) -> poem::Result<Answer<Reassigned, { OK | FORBIDDEN | INVALID }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let outcome = people::reassign(
            &state.db,
            &staff,
            Reassignment {
                patches: &body.patches,
                tenancies: &body.tenancies,
                to_officer_id: body.to_officer_id,
                to_patch_code: body.to_patch_code.as_deref(),
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(db_err)?;
        match outcome {
            Ok(m) => Ok(Answer::Ok(Json(Reassigned {
                patches_moved: m.patches,
                tenancies_moved: m.tenancies,
            }))),
            Err(bad) => Ok(Answer::problem(
                invalid_fields(bad.into_iter().map(|e| (e.field, e.reason)))
                    .unwrap_or_else(|| Problem::invalid("body", "nothing to move")),
            )),
        }
    }
}
