//! What sign-in stores: one-time codes (hashed), rate-limit counters, and refresh-token
//! sessions in rotating families. Hashing and token signing live with the server; this module
//! only keeps and checks the rows, each check a single conditional statement so concurrent
//! requests cannot both win.

use crate::entities::{session, sign_in_code, sign_in_start, tenancy, tenant};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

/// Attempts allowed at one code.
pub const MAX_CODE_ATTEMPTS: i32 = 5;

/// "t 000042 " → "T000042": how references are compared and counted.
pub fn normalise_reference(reference: &str) -> String {
    reference
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

fn normalise_postcode(p: &str) -> String {
    p.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Tries at `key` (a tenancy reference, or `staff:<email>`) from `client_addr` since `since`:
/// how many, and when the latest was. Someone else's tries at the same key do not count.
pub async fn recent_tries<C: ConnectionTrait>(
    db: &C,
    key: &str,
    client_addr: Option<&str>,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), sea_orm::DbErr> {
    let from = || {
        sign_in_start::Entity::find()
            .filter(sign_in_start::Column::Reference.eq(key))
            .filter(match client_addr {
                Some(addr) => sign_in_start::Column::ClientAddr.eq(addr),
                None => sign_in_start::Column::ClientAddr.is_null(),
            })
            .filter(sign_in_start::Column::At.gt(since))
    };
    let tries = from().count(db).await?;
    let latest = from()
        .order_by_desc(sign_in_start::Column::At)
        .one(db)
        .await?
        .map(|s| s.at);
    Ok((tries, latest))
}

/// Tries at any key from `client_addr` since `since`.
pub async fn recent_tries_from<C: ConnectionTrait>(
    db: &C,
    client_addr: Option<&str>,
    since: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let Some(addr) = client_addr else {
        return Ok(0);
    };
    sign_in_start::Entity::find()
        .filter(sign_in_start::Column::ClientAddr.eq(addr))
        .filter(sign_in_start::Column::At.gt(since))
        .count(db)
        .await
}

/// Forget the tries at `key` from `client_addr` (its owner got in from there).
pub async fn forget_tries<C: ConnectionTrait>(
    db: &C,
    key: &str,
    client_addr: Option<&str>,
) -> Result<u64, sea_orm::DbErr> {
    Ok(sign_in_start::Entity::delete_many()
        .filter(sign_in_start::Column::Reference.eq(key))
        .filter(match client_addr {
            Some(addr) => sign_in_start::Column::ClientAddr.eq(addr),
            None => sign_in_start::Column::ClientAddr.is_null(),
        })
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn record_start<C: ConnectionTrait>(
    db: &C,
    reference: &str,
    client_addr: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    sign_in_start::ActiveModel {
        reference: Set(reference.to_owned()),
        client_addr: Set(client_addr.map(str::to_owned)),
        at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The person on tenancy `reference` born on `date_of_birth` (and living at `postcode`, when
/// given), with a mobile number a code can go to. Any named tenant can sign in.
pub async fn sign_in_candidate<C: ConnectionTrait>(
    db: &C,
    reference: &str,
    date_of_birth: NaiveDate,
    postcode: Option<&str>,
) -> Result<Option<(tenancy::Model, tenant::Model)>, sea_orm::DbErr> {
    let Some(t) = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq(reference))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if t.status == "closed"
        || postcode.is_some_and(|p| normalise_postcode(p) != normalise_postcode(&t.postcode))
    {
        return Ok(None);
    }
    let person = tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(t.id))
        .filter(tenant::Column::DateOfBirth.eq(date_of_birth))
        .one(db)
        .await?;
    Ok(person
        .filter(|p| p.mobile.is_some() && !p.mobile_invalid)
        .map(|p| (t, p)))
}

pub async fn store_code<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    challenge: &str,
    code_hash: &str,
    expires_at: DateTime<Utc>,
    client_addr: Option<&str>,
) -> Result<(), sea_orm::DbErr> {
    sign_in_code::ActiveModel {
        tenant_id: Set(tenant_id),
        challenge: Set(challenge.to_owned()),
        code_hash: Set(code_hash.to_owned()),
        expires_at: Set(expires_at),
        attempts: Set(0),
        consumed_at: Set(None),
        client_addr: Set(client_addr.map(str::to_owned)),
        // Sign-in codes and sessions are security records: the real time, never the rules' clock.
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Count one attempt at the code for `challenge`, if it is still usable (not consumed, not
/// expired, attempts left). Returns the row to compare against, or `None` (no attempt counted).
pub async fn attempt_code<C: ConnectionTrait>(
    db: &C,
    challenge: &str,
    now: DateTime<Utc>,
) -> Result<Option<sign_in_code::Model>, sea_orm::DbErr> {
    let counted = sign_in_code::Entity::update_many()
        .col_expr(
            sign_in_code::Column::Attempts,
            Expr::col(sign_in_code::Column::Attempts).add(1),
        )
        .filter(sign_in_code::Column::Challenge.eq(challenge))
        .filter(sign_in_code::Column::ConsumedAt.is_null())
        .filter(sign_in_code::Column::ExpiresAt.gt(now))
        .filter(sign_in_code::Column::Attempts.lt(MAX_CODE_ATTEMPTS))
        .exec(db)
        .await?
        .rows_affected;
    if counted == 0 {
        return Ok(None);
    }
    sign_in_code::Entity::find()
        .filter(sign_in_code::Column::Challenge.eq(challenge))
        .one(db)
        .await
}

/// Mark a code used; `false` if another request used it first.
pub async fn consume_code<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    Ok(sign_in_code::Entity::update_many()
        .col_expr(sign_in_code::Column::ConsumedAt, Expr::value(now))
        .filter(sign_in_code::Column::Id.eq(id))
        .filter(sign_in_code::Column::ConsumedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

pub struct NewSession<'a> {
    pub subject_kind: &'a str,
    pub subject_id: i64,
    pub family: &'a str,
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
    pub client_addr: Option<&'a str>,
}

pub async fn create_session<C: ConnectionTrait>(
    db: &C,
    s: NewSession<'_>,
) -> Result<(), sea_orm::DbErr> {
    session::ActiveModel {
        subject_kind: Set(s.subject_kind.to_owned()),
        subject_id: Set(s.subject_id),
        family: Set(s.family.to_owned()),
        token_hash: Set(s.token_hash.to_owned()),
        expires_at: Set(s.expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
        client_addr: Set(s.client_addr.map(str::to_owned)),
        // Sign-in codes and sessions are security records: the real time, never the rules' clock.
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(Debug, PartialEq)]
pub enum Rotation {
    /// The token was current: it is now rotated; issue the next one in `family`.
    Rotated(session::Model),
    /// The token had already been rotated: someone replayed it, so the family is revoked.
    Replayed { family: String, subject_id: i64 },
    /// Unknown, expired, revoked, or another audience's token.
    Refused,
}

/// Use a refresh token of `subject_kind` ("tenant" or "staff") once. Another audience's token
/// is refused as if unknown and left untouched: posting a tenant's token to the staff endpoint
/// must neither rotate it nor, as a "replay", end that tenant's sign-in.
pub async fn rotate<C: ConnectionTrait>(
    db: &C,
    subject_kind: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Rotation, sea_orm::DbErr> {
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::SubjectKind.eq(subject_kind))
        .one(db)
        .await?
    else {
        return Ok(Rotation::Refused);
    };
    if s.revoked_at.is_some() || s.expires_at <= now {
        return Ok(Rotation::Refused);
    }
    let won = session::Entity::update_many()
        .col_expr(session::Column::RotatedAt, Expr::value(now))
        .filter(session::Column::Id.eq(s.id))
        .filter(session::Column::RotatedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if won {
        Ok(Rotation::Rotated(s))
    } else {
        revoke_family(db, &s.family, now).await?;
        Ok(Rotation::Replayed {
            family: s.family,
            subject_id: s.subject_id,
        })
    }
}

pub async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family: &str,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Family.eq(family))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Is the sign-in `family` of this subject still in force (not signed out, not revoked)?
pub async fn family_active<C: ConnectionTrait>(
    db: &C,
    subject_kind: &str,
    subject_id: i64,
    family: &str,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    Ok(session::Entity::find()
        .filter(session::Column::Family.eq(family))
        .filter(session::Column::SubjectKind.eq(subject_kind))
        .filter(session::Column::SubjectId.eq(subject_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .count(db)
        .await?
        > 0)
}

/// The session whose token hashes to `token_hash`, if it is of `subject_kind` and still in
/// force (not signed out or revoked, not expired): the console's sign-in cookie.
pub async fn live_session<C: ConnectionTrait>(
    db: &C,
    subject_kind: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<session::Model>, sea_orm::DbErr> {
    session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::SubjectKind.eq(subject_kind))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}
