//! Staff: passwords (argon2id), and which accounts a member of staff may see. An officer sees
//! the patches assigned to them and those they cover today; a team leader sees the patches of
//! their team's officers (and their cover); an admin sees everything.

use crate::entities::{cover, patch, staff_user, tenancy};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeSet;

/// The password every demo staff member gets from `rentdesk seed` (never in production data).
pub const DEMO_PASSWORD: &str = "rentdesk-demo";

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a short password")
        .to_string()
}

/// Does `password` match the stored PHC string? Constant-time inside argon2.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Officer,
    TeamLeader,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "officer" => Some(Role::Officer),
            "team_leader" => Some(Role::TeamLeader),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// What `staff_users.role` stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::TeamLeader => "team_leader",
            Role::Admin => "admin",
        }
    }
}

/// The patches `staff` may see on `today`; `None` = every patch (admin).
pub async fn visible_patches<C: ConnectionTrait>(
    db: &C,
    staff: &staff_user::Model,
    today: NaiveDate,
) -> Result<Option<BTreeSet<i64>>, sea_orm::DbErr> {
    let officers: Vec<i64> = match Role::parse(&staff.role) {
        Some(Role::Admin) => return Ok(None),
        Some(Role::TeamLeader) => match &staff.team {
            Some(team) => {
                staff_user::Entity::find()
                    .select_only()
                    .column(staff_user::Column::Id)
                    .filter(staff_user::Column::Team.eq(team.as_str()))
                    .into_tuple()
                    .all(db)
                    .await?
            }
            None => vec![staff.id],
        },
        Some(Role::Officer) => vec![staff.id],
        None => vec![],
    };
    let mut patches: BTreeSet<i64> = patch::Entity::find()
        .select_only()
        .column(patch::Column::Id)
        .filter(patch::Column::OfficerId.is_in(officers.clone()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    patches.extend(
        cover::Entity::find()
            .select_only()
            .column(cover::Column::PatchId)
            .filter(cover::Column::OfficerId.is_in(officers))
            .filter(cover::Column::StartsOn.lte(today))
            .filter(cover::Column::EndsOn.gte(today))
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    Ok(Some(patches))
}

/// Is tenancy `id` in what `staff` may see today? Returns it if so.
pub async fn visible_tenancy<C: ConnectionTrait>(
    db: &C,
    staff: &staff_user::Model,
    tenancy_id: i64,
    today: NaiveDate,
) -> Result<Option<tenancy::Model>, sea_orm::DbErr> {
    let Some(t) = tenancy::Entity::find_by_id(tenancy_id).one(db).await? else {
        return Ok(None);
    };
    Ok(match visible_patches(db, staff, today).await? {
        None => Some(t),
        Some(patches) => t.patch_id.filter(|p| patches.contains(p)).map(|_| t),
    })
}

/// Tenancy ids in `patches` (all tenancies when `None`).
pub async fn tenancies_in<C: ConnectionTrait>(
    db: &C,
    patches: Option<&BTreeSet<i64>>,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    let mut q = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id);
    if let Some(p) = patches {
        q = q.filter(tenancy::Column::PatchId.is_in(p.iter().copied()));
    }
    q.into_tuple().all(db).await
}

pub async fn by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<staff_user::Model>, sea_orm::DbErr> {
    staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await
}

pub async fn by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<staff_user::Model>, sea_orm::DbErr> {
    staff_user::Entity::find_by_id(id).one(db).await
}

/// Codes of the patches `staff` sees today; `None` for all (admin).
pub async fn visible_patch_codes<C: ConnectionTrait>(
    db: &C,
    staff: &staff_user::Model,
    today: NaiveDate,
) -> Result<Option<Vec<String>>, sea_orm::DbErr> {
    let Some(ids) = visible_patches(db, staff, today).await? else {
        return Ok(None);
    };
    Ok(Some(
        patch::Entity::find()
            .select_only()
            .column(patch::Column::Code)
            .filter(patch::Column::Id.is_in(ids))
            .into_tuple()
            .all(db)
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_a_fresh_salt() {
        let a = hash_password("correct horse");
        let b = hash_password("correct horse");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("correct horse!", &a));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
