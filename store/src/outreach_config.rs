//! The council's outreach configuration (`domain::outreach::sequences::OutreachConfig`): every saved
//! version is kept; the newest is in force from the next planning run. Nothing is saved that
//! does not validate.

use crate::entities::outreach_config;
use chrono::{DateTime, Utc};
use rentdesk_domain::outreach::sequences::OutreachConfig;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};

/// The configuration in force, and the id of its saved version (`None`: the shipped default).
pub async fn current<C: ConnectionTrait>(
    db: &C,
) -> anyhow::Result<(OutreachConfig, Option<outreach_config::Model>)> {
    let row = outreach_config::Entity::find()
        .order_by_desc(outreach_config::Column::Id)
        .limit(1)
        .one(db)
        .await?;
    Ok(match row {
        None => (OutreachConfig::default(), None),
        Some(r) => {
            let c: OutreachConfig = serde_json::from_str(&r.document).map_err(|e| {
                anyhow::anyhow!("saved outreach configuration {} does not load: {e}", r.id)
            })?;
            (c, Some(r))
        }
    })
}

/// Why a configuration was refused: every bad field with its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid outreach configuration: {0:?}")]
pub struct Invalid(pub Vec<(String, String)>);

/// Validate and save `config` as the new version in force.
pub async fn save<C: ConnectionTrait>(
    db: &C,
    config: &OutreachConfig,
    by_staff: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<outreach_config::Model, Invalid>> {
    let errors = config.validate();
    if !errors.is_empty() {
        return Ok(Err(Invalid(errors)));
    }
    let row = outreach_config::ActiveModel {
        document: Set(serde_json::to_string(config)?),
        saved_by_staff_id: Set(by_staff),
        created_at: Set(now),
        ..Default::default()
    };
    let id = outreach_config::Entity::insert(row)
        .exec(db)
        .await?
        .last_insert_id;
    Ok(Ok(outreach_config::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| {
        anyhow::anyhow!("saved configuration {id} vanished")
    })?))
}
