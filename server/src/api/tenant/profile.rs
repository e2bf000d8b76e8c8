//! The tenant's contact preferences and push devices, their inbox, and what they report:
//! a Universal Credit claim or a change of circumstances.

use super::{Answer, TenantAuth, client_addr, invalid_fields, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::vocab::{self, ChangeKind, Language, Platform, PreferredChannel};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::entities::{device, message, tenant};
use rentdesk_store::tenant_app::{PreferenceChange, UcReport};

#[derive(Debug, Object)]
pub struct Preferences {
    pub sms_enabled: bool,
    pub email_enabled: bool,
    pub push_enabled: bool,
    /// Absent: no preference.
    pub preferred_channel: Option<PreferredChannel>,
    /// Every message is written in it.
    pub language: Language,
    /// Show amounts in text and notification previews (off by default: a locked phone's
    /// screen should not show a debt).
    pub amounts_in_previews: bool,
    pub has_mobile: bool,
    pub has_email: bool,
}

impl From<tenant::Model> for Preferences {
    fn from(t: tenant::Model) -> Preferences {
        Preferences {
            sms_enabled: t.sms_enabled,
            email_enabled: t.email_enabled,
            push_enabled: t.push_enabled,
            preferred_channel: t
                .preferred_channel
                .as_deref()
                .and_then(PreferredChannel::parse),
            // A stored code without templates reads as English, as the messages do.
            language: rentdesk_domain::templates::Language::from_code(&t.language).into(),
            amounts_in_previews: t.amounts_in_previews,
            has_mobile: t.mobile.is_some() && !t.mobile_invalid,
            has_email: t.email.is_some() && !t.email_invalid,
        }
    }
}

/// Only the fields sent change. `preferred_channel: null` clears the preference.
#[derive(Debug, Object)]
pub struct PreferencesChange {
    pub sms_enabled: Option<bool>,
    pub email_enabled: Option<bool>,
    pub push_enabled: Option<bool>,
    pub preferred_channel: MaybeUndefined<PreferredChannel>,
    pub language: Option<Language>,
    pub amounts_in_previews: Option<bool>,
}

#[derive(Debug, Object)]
pub struct NewDevice {
    pub platform: Platform,
    /// The Firebase Cloud Messaging registration token.
    #[oai(validator(min_length = 20, max_length = 4096))]
    pub token: String,
}

#[derive(Debug, Object)]
pub struct Device {
    pub id: i64,
    pub platform: Platform,
    pub registered_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl TryFrom<device::Model> for Device {
    type Error = vocab::UnknownValue;
    fn try_from(d: device::Model) -> Result<Device, vocab::UnknownValue> {
        Ok(Device {
            id: d.id,
            platform: Platform::from_stored(&d.platform, "devices", d.id)?,
            registered_at: d.created_at,
            last_seen_at: d.last_seen_at,
        })
    }
}

#[derive(Debug, Object)]
pub struct Devices {
    pub devices: Vec<Device>,
}

#[derive(Debug, Object)]
pub struct Removed {
    pub removed: bool,
}

impl TryFrom<message::Model> for Message {
    type Error = vocab::UnknownValue;
    fn try_from(m: message::Model) -> Result<Message, vocab::UnknownValue> {
        Ok(Message {
            channel: vocab::Channel::from_stored(&m.channel, "messages", m.id)?,
            status: vocab::MessageStatus::from_stored(&m.status, "messages", m.id)?,
            id: m.id,
            body: if m.template == super::signin::SIGN_IN_TEMPLATE {
                "Your Rentdesk sign-in code.".into()
            } else {
                m.body
            },
            scheduled_for: m.scheduled_for,
            sent_at: m.sent_at,
            created_at: m.created_at,
        })
    }
}

#[derive(Debug, Object)]
pub struct Message {
    pub id: i64,
    pub channel: vocab::Channel,
    pub body: String,
    pub status: vocab::MessageStatus,
    /// When it is due to go out (messages wait for the next allowed time).
    pub scheduled_for: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct Inbox {
    /// Newest first.
    pub messages: Vec<Message>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct UniversalCreditReport {
    /// The day the claim was made.
    pub claim_start: NaiveDate,
    /// Whether housing costs were included in the claim.
    pub housing_costs_claimed: bool,
    /// Whether the tenant wants the housing costs paid straight to the landlord.
    pub managed_payment_wanted: bool,
    /// The monthly housing costs amount, if known.
    pub monthly_housing_pence: Option<i64>,
}

impl poem_openapi::types::Example for UniversalCreditReport {
    fn example() -> UniversalCreditReport {
        UniversalCreditReport {
            claim_start: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            housing_costs_claimed: true,
            managed_payment_wanted: true,
            monthly_housing_pence: Some(49_500),
        }
    }
}

#[derive(Debug, Object)]
pub struct UniversalCreditRecorded {
    pub claim_id: i64,
    /// False when this claim was already on record.
    pub new: bool,
    /// The first UC payment: about five weeks after the claim.
    pub first_payment_expected: NaiveDate,
    pub message: String,
}

#[derive(Debug, Object)]
pub struct ChangeReport {
    pub kind: ChangeKind,
    pub effective_date: NaiveDate,
    #[oai(default, validator(max_length = 2000))]
    pub detail: String,
}

#[derive(Debug, Object)]
pub struct ChangeRecorded {
    pub task_id: i64,
    pub message: String,
}

pub struct TenantProfileApi;

#[OpenApi(prefix_path = "/tenant/v1", tag = "ApiTags::Tenant")]
impl TenantProfileApi {
    /// My contact preferences
    #[oai(path = "/preferences", method = "get")]
    async fn preferences(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
    ) -> poem::Result<Answer<Preferences, { OK }>> {
        let (person, _) = or_answer!(me(&state, &auth.0).await?);
        Ok(Answer::Ok(Json(person.into())))
    }

    /// Change my contact preferences
    ///
    /// Channels on or off, preferred channel, language. Every message Rentdesk sends honours
    /// them (a sign-in code you ask for still comes by text).
    #[oai(path = "/preferences", method = "patch")]
    async fn change_preferences(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: TenantAuth,
        body: Json<PreferencesChange>,
    ) -> poem::Result<Answer<Preferences, { OK }>> {
        let (person, _) = or_answer!(me(&state, &auth.0).await?);
        let body = body.0;
        let change = PreferenceChange {
            sms_enabled: body.sms_enabled,
            email_enabled: body.email_enabled,
            push_enabled: body.push_enabled,
            preferred_channel: match body.preferred_channel {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v.as_str().to_owned())),
            },
            language: body.language.map(|l| l.as_str().to_owned()),
            amounts_in_previews: body.amounts_in_previews,
        };
        let updated = rentdesk_store::tenant_app::change_preferences(
            &state.db,
            person,
            change,
            client_addr(remote).as_deref(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(updated.into())))
    }

    /// My push devices
    #[oai(path = "/devices", method = "get")]
    async fn devices(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
    ) -> poem::Result<Answer<Devices, { OK }>> {
        or_answer!(me(&state, &auth.0).await?);
        let devices = rentdesk_store::tenant_app::devices(&state.db, auth.0.tenant_id)
            .await
            .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(Devices {
            devices: vocab::readable(devices),
        })))
    }

    /// Register a device for push notifications
    ///
    /// Registering a token again refreshes it (and moves it to you if the phone changed hands).
    #[oai(path = "/devices", method = "post")]
    async fn add_device(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
        body: Json<NewDevice>,
    ) -> poem::Result<Answer<Device, { CREATED | INVALID }>> {
        or_answer!(me(&state, &auth.0).await?);
        if body
            .token
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Ok(Answer::problem(Problem::invalid(
                "token",
                "must not contain spaces or control characters",
            )));
        }
        let d = rentdesk_store::tenant_app::register_device(
            &state.db,
            auth.0.tenant_id,
            body.platform.as_str(),
            &body.token,
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Created(Json(vocab::one(d)?)))
    }

    /// Remove a push device
    #[oai(path = "/devices/:id", method = "delete")]
    async fn remove_device(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<Removed, { OK | NOT_FOUND }>> {
        or_answer!(me(&state, &auth.0).await?);
        let removed = rentdesk_store::tenant_app::remove_device(&state.db, auth.0.tenant_id, id.0)
            .await
            .map_err(|e| Problem::internal(&e))?;
        if removed {
            Ok(Answer::Ok(Json(Removed { removed: true })))
        } else {
            Ok(Answer::problem(Problem::not_found(&format!(
                "device {}",
                id.0
            ))))
        }
    }

    /// My messages
    ///
    /// What Rentdesk sent you, newest first.
    #[oai(path = "/messages", method = "get")]
    async fn messages(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
        cursor: Query<Option<String>>,
        /// 1–100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> poem::Result<Answer<Inbox, { OK | INVALID }>> {
        or_answer!(me(&state, &auth.0).await?);
        let before = match cursor.0.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) if id > 0 => Some(id),
            Some(_) => {
                return Ok(Answer::problem(Problem::invalid(
                    "cursor",
                    "not a cursor this API gave out",
                )));
            }
        };
        let (rows, next) = rentdesk_store::tenant_app::inbox(
            &state.db,
            auth.0.tenant_id,
            before,
            limit.0.unwrap_or(20),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(Inbox {
            messages: vocab::readable(rows),
            next_cursor: next.map(|n| n.to_string()),
        })))
    }

    /// Tell us about a Universal Credit claim
    ///
    /// Recorded on your account; your officer is asked to follow it up (and to request a
    /// Managed Payment to Landlord if you want one), and you get the new-claim messages.
    #[oai(path = "/universal-credit", method = "post")]
    async fn universal_credit(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: TenantAuth,
        body: Json<UniversalCreditReport>,
    ) -> poem::Result<Answer<UniversalCreditRecorded, { OK | CREATED | INVALID }>> {
        let (person, _) = or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        let mut errors = vec![];
        if body.claim_start > today {
            errors.push(("claim_start".to_owned(), "is in the future".to_owned()));
        } else if body.claim_start < today - chrono::Duration::days(366) {
            errors.push((
                "claim_start".to_owned(),
                "is more than a year ago: please contact your officer".to_owned(),
            ));
        }
        if body
            .monthly_housing_pence
            .is_some_and(|p| p <= 0 || p > 1_000_000)
        {
            errors.push((
                "monthly_housing_pence".to_owned(),
                "must be between 1 and 1000000 pence".to_owned(),
            ));
        }
        if let Some(p) = invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        let (claim, new) = rentdesk_store::tenant_app::report_uc_claim(
            &state.db,
            &person,
            UcReport {
                claim_start: body.claim_start,
                housing_costs_claimed: body.housing_costs_claimed,
                managed_payment_wanted: body.managed_payment_wanted,
                monthly_housing_pence: body.monthly_housing_pence,
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        if new {
            // New data: re-evaluate now and start the new-claim sequence, not tonight.
            // The claim is stored: if the queue is down, tonight's run evaluates the account
            // and starts the sequence instead of now; the tenant's report is not refused.
            rentdesk_jobs::Queues::wake(
                "evaluate-tenancies",
                state
                    .queues
                    .enqueue_evaluation_and_outreach(vec![person.tenancy_id]),
            )
            .await;
        }
        let first = rentdesk_domain::benefits::uc_first_payment_due(claim.claim_start);
        let answer = UniversalCreditRecorded {
            claim_id: claim.id,
            new,
            first_payment_expected: first,
            message: format!(
                "Thank you. Your first Universal Credit payment should arrive around {}. Rent is \
                 still due until then; your officer will be in touch about your claim.",
                first.format("%-d %B %Y")
            ),
        };
        Ok(if new {
            Answer::Created(Json(answer))
        } else {
            Answer::Ok(Json(answer))
        })
    }

    /// Report a change of circumstances
    ///
    /// An income drop, a new job, a change in who lives with you…: your officer gets a task to
    /// contact you.
    #[oai(path = "/changes", method = "post")]
    async fn change(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: TenantAuth,
        body: Json<ChangeReport>,
    ) -> poem::Result<Answer<ChangeRecorded, { CREATED | INVALID }>> {
        let (person, _) = or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        let mut errors = vec![];
        if body.effective_date > today + chrono::Duration::days(90)
            || body.effective_date < today - chrono::Duration::days(366)
        {
            errors.push((
                "effective_date".to_owned(),
                "must be within the last year or the next 90 days".to_owned(),
            ));
        }
        if let Some(p) = invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        let task_id = rentdesk_store::tenant_app::report_change(
            &state.db,
            &person,
            body.kind.as_str(),
            body.effective_date,
            body.detail.trim(),
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Created(Json(ChangeRecorded {
            task_id,
            message: "Thank you for telling us. Your officer will contact you.".into(),
        })))
    }
}
