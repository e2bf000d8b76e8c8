//! A new campaign: the segment field by field (every criterion the API takes), channels and
//! message variants, schedule, throttle, end date and control group, with the preview (counts,
//! suppression reasons, sample messages) updating as the form changes. Without JavaScript the
//! "Preview" button does the same by posting the whole form.

use super::{Faults, json};
use crate::api::campaigns::{CampaignInput, CampaignTemplates, use_cases};
use crate::api::sign_in_limits;
use crate::api::vocab;
use crate::console::session::{self, Console};
use crate::console::{internal, render, see_other};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use rentdesk_domain::contact_policy::Channel;
use rentdesk_domain::ledger::PaymentMethod;
use rentdesk_domain::possession::types::Stage;
use rentdesk_domain::tenancy::Tenure;
use rentdesk_store::entities::{patch, staff_user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// Amounts typed in pounds, sent to the API in pence.
const POUNDS: &[&str] = &["arrears_min_pence", "arrears_max_pence"];
/// Numbers (decimal weeks, whole days).
const NUMBERS: &[&str] = &[
    "arrears_weeks_min",
    "arrears_weeks_max",
    "uc_claim_within_days",
    "days_since_last_contact_min",
    "days_since_last_contact_max",
];
/// One of a few words.
const CHOICES: &[&str] = &["arrears_trend", "arrangement"];
/// Yes, no, or either.
const BOOLEANS: &[&str] = &["hb_ended", "has_mobile", "has_email", "has_push"];
/// Any of several.
const LISTS: &[&str] = &[
    "tenures",
    "patches",
    "officer_ids",
    "payment_methods",
    "exclude_payment_methods",
    "stages",
];
const CHANNELS: &[&str] = &["sms", "email", "push"];
const VARIANTS: usize = rentdesk_domain::campaigns::MAX_VARIANTS;

/// Every field's label, for the error summary (and so every error has somewhere to go).
const LABELS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("segment.arrears_min_pence", "Arrears at least"),
    ("segment.arrears_max_pence", "Arrears at most"),
    ("segment.arrears_weeks_min", "Weeks of rent owed, at least"),
    ("segment.arrears_weeks_max", "Weeks of rent owed, at most"),
    ("segment.arrears_trend", "Arrears over the last 28 days"),
    ("segment.tenures", "Tenures"),
    ("segment.patches", "Patches"),
    ("segment.officer_ids", "Officers"),
    (
        "segment.uc_claim_within_days",
        "Universal Credit claim within (days)",
    ),
    ("segment.hb_ended", "Housing Benefit ended"),
    ("segment.payment_methods", "Pays by"),
    ("segment.exclude_payment_methods", "Does not pay by"),
    ("segment.arrangement", "Arrangement"),
    ("segment.stages", "Recovery stages"),
    (
        "segment.days_since_last_contact_min",
        "Days since last contact, at least",
    ),
    (
        "segment.days_since_last_contact_max",
        "Days since last contact, at most",
    ),
    ("segment.has_mobile", "Has a mobile number"),
    ("segment.has_email", "Has an email address"),
    ("segment.has_push", "Has the app"),
    ("segment", "Segment"),
    ("channels", "Channels"),
    ("templates.sms", "Text messages"),
    ("templates.email", "Emails"),
    ("templates.push", "App notifications"),
    ("schedule_at", "Start sending at"),
    ("throttle_per_minute", "At most, messages a minute"),
    ("ends_on", "Last day of sending"),
    ("control_percent", "Control group (%)"),
];

/// The form field an error is shown beside: `channels[1]` → `channels`,
/// `templates.sms[0]` → `templates.sms[0]` (that variant's box), anything unknown → `segment`
/// or the top.
pub fn slot_for(field: &str) -> String {
    if field.starts_with("channels") {
        return "channels".into();
    }
    if field.starts_with("templates.") {
        return field.to_owned();
    }
    if LABELS.iter().any(|(k, _)| *k == field) {
        return field.to_owned();
    }
    if field.starts_with("segment") {
        return "segment".into();
    }
    "name".into()
}

pub fn label_for(slot: &str) -> &'static str {
    if let Some((ch, rest)) = slot
        .strip_prefix("templates.")
        .and_then(|s| s.split_once('['))
    {
        let n = rest.trim_end_matches(']').parse::<usize>().unwrap_or(0);
        return match (ch, n) {
            ("sms", 0) => "Text message, variant A",
            ("sms", 1) => "Text message, variant B",
            ("sms", _) => "Text message, variant C",
            ("email", 0) => "Email, variant A",
            ("email", 1) => "Email, variant B",
            ("email", _) => "Email, variant C",
            (_, 0) => "App notification, variant A",
            (_, 1) => "App notification, variant B",
            _ => "App notification, variant C",
        };
    }
    LABELS
        .iter()
        .find(|(k, _)| *k == slot)
        .map_or("Form", |(_, l)| l)
}

/// Every place an error can be shown (for the live preview's out-of-band updates).
fn slots() -> Vec<String> {
    let mut all: Vec<String> = LABELS.iter().map(|(k, _)| (*k).to_owned()).collect();
    for ch in CHANNELS {
        for i in 0..VARIANTS {
            all.push(format!("templates.{ch}[{i}]"));
        }
    }
    all
}

/// The form as typed: single values by name, and the ticked boxes as `name=value`.
#[derive(Debug, Default, serde::Serialize)]
pub struct Draft {
    pub values: BTreeMap<String, String>,
    pub checked: BTreeSet<String>,
}

impl Draft {
    fn from_fields(fields: &[(String, String)]) -> Draft {
        let mut d = Draft::default();
        for (k, v) in fields {
            if k == session::CSRF_FIELD || k == "action" {
                continue;
            }
            let multi =
                k == "channels" || LISTS.iter().any(|l| k.strip_prefix("segment.") == Some(*l));
            if multi {
                d.checked.insert(format!("{k}={v}"));
            } else {
                d.values.insert(k.clone(), v.clone());
            }
        }
        d
    }

    /// A new campaign's starting point: text messages, one variant.
    fn blank() -> Draft {
        let mut d = Draft::default();
        d.checked.insert("channels=sms".into());
        d.values.insert(
            "templates.sms[0]".into(),
            "Hi {first_name}, {landlord} here. Your rent account needs a look: {app_link}".into(),
        );
        d
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn ticked(&self, name: &str) -> Vec<&str> {
        self.checked
            .iter()
            .filter_map(|c| c.strip_prefix(name)?.strip_prefix('='))
            .collect()
    }

    /// The API's input, or what the form itself cannot say (an amount that is not money, a
    /// time that is not one), each named by its field.
    pub fn to_input(&self) -> Result<CampaignInput, Vec<(String, String)>> {
        let mut errors = vec![];
        let mut seg = Map::new();
        for f in POUNDS {
            let name = format!("segment.{f}");
            if let Some(v) = self.value(&name) {
                match rentdesk_domain::Pence::parse_pounds(v.trim_start_matches('£')) {
                    Ok(p) if p.0 >= 0 => {
                        seg.insert((*f).into(), Value::from(p.0));
                    }
                    _ => errors.push((name, "an amount in pounds, 0 or more, e.g. 250.00".into())),
                }
            }
        }
        for f in NUMBERS {
            if let Some(v) = self.value(&format!("segment.{f}")) {
                // A number goes as one; anything else goes as typed, for the rule to name.
                let n = v
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| v.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::from(v));
                seg.insert((*f).into(), n);
            }
        }
        for f in CHOICES {
            if let Some(v) = self.value(&format!("segment.{f}")) {
                seg.insert((*f).into(), Value::from(v));
            }
        }
        for f in BOOLEANS {
            match self.value(&format!("segment.{f}")) {
                Some("yes") => {
                    seg.insert((*f).into(), Value::Bool(true));
                }
                Some("no") => {
                    seg.insert((*f).into(), Value::Bool(false));
                }
                Some(other) => {
                    seg.insert((*f).into(), Value::from(other));
                }
                None => {}
            }
        }
        for f in LISTS {
            let ticked = self.ticked(&format!("segment.{f}"));
            if ticked.is_empty() {
                continue;
            }
            let list: Vec<Value> = ticked
                .into_iter()
                .map(|v| {
                    if *f == "officer_ids" {
                        v.parse::<i64>()
                            .map_or_else(|_| Value::from(v), Value::from)
                    } else {
                        Value::from(v)
                    }
                })
                .collect();
            seg.insert((*f).into(), Value::Array(list));
        }
        let mut channels = vec![];
        for c in self.ticked("channels") {
            match Channel::from_str(c) {
                Ok(ch) => channels.push(vocab::Channel::from(ch)),
                Err(_) => errors.push(("channels".into(), format!("no channel called {c}"))),
            }
        }
        let texts = |ch: &str| -> Option<Vec<String>> {
            if !self.ticked("channels").contains(&ch) {
                return None;
            }
            Some(
                (0..VARIANTS)
                    .filter_map(|i| self.value(&format!("templates.{ch}[{i}]")))
                    .map(str::to_owned)
                    .collect(),
            )
        };
        let templates = CampaignTemplates {
            sms: texts("sms"),
            email: texts("email"),
            push: texts("push"),
        };
        let schedule_at = self
            .value("schedule_at")
            .and_then(|v| match london_instant(v) {
                Some(t) => Some(t),
                None => {
                    errors.push((
                        "schedule_at".into(),
                        "a date and time, e.g. 2026-12-08 09:00".into(),
                    ));
                    None
                }
            });
        let whole = |name: &str, errors: &mut Vec<(String, String)>| {
            self.value(name).and_then(|v| match v.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push((name.into(), "a whole number".into()));
                    None
                }
            })
        };
        let throttle_per_minute = whole("throttle_per_minute", &mut errors);
        let control_percent = whole("control_percent", &mut errors);
        let ends_on =
            self.value("ends_on")
                .and_then(|v| match rentdesk_domain::time::parse_iso_date(v) {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.push(("ends_on".into(), "a date, e.g. 2026-12-18".into()));
                        None
                    }
                });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CampaignInput {
            name: self.values.get("name").cloned().unwrap_or_default(),
            segment: Value::Object(seg),
            channels,
            templates,
            schedule_at,
            throttle_per_minute,
            ends_on,
            control_percent,
        })
    }
}

/// A `datetime-local` value ("2026-12-08T09:00") read on London's clock.
fn london_instant(v: &str) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let local = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// What the form offers: the caller's own patches and officers, and every listed value.
async fn options(state: &AppState, staff: &staff_user::Model) -> Result<Value, sea_orm::DbErr> {
    let today = state.today();
    let visible = rentdesk_store::staff::visible_patches(&state.db, staff, today).await?;
    let mut patches = patch::Entity::find().order_by_asc(patch::Column::Code);
    if let Some(ids) = &visible {
        patches = patches.filter(patch::Column::Id.is_in(ids.iter().copied()));
    }
    let patches: Vec<Value> = patches
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| serde_json::json!({"code": p.code, "name": p.name}))
        .collect();
    let mut officers = staff_user::Entity::find()
        .filter(staff_user::Column::Role.eq("officer"))
        .filter(staff_user::Column::Active.eq(true))
        .order_by_asc(staff_user::Column::Name);
    if visible.is_some() {
        officers = officers.filter(staff_user::Column::Team.eq(staff.team.clone()));
    }
    let officers: Vec<Value> = officers
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| serde_json::json!({"id": o.id.to_string(), "name": o.name}))
        .collect();
    let named = |all: Vec<&str>| -> Vec<Value> {
        all.into_iter()
            .map(|v| serde_json::json!({"value": v, "label": crate::console::format::words(v)}))
            .collect()
    };
    Ok(serde_json::json!({
        "patches": patches,
        "officers": officers,
        "tenures": named(Tenure::ALL.iter().map(|t| t.as_str()).collect()),
        "payment_methods": named(PaymentMethod::ALL.iter().map(|m| m.as_str()).collect()),
        "stages": named(Stage::ALL.iter().map(|s| s.as_str()).collect()),
        "channels": [
            {"value": "sms", "label": "Text message"},
            {"value": "email", "label": "Email"},
            {"value": "push", "label": "App notification"},
        ],
        "variants": ["A", "B", "C"],
    }))
}

async fn form_page(
    state: &AppState,
    who: &Console,
    staff: &staff_user::Model,
    status: StatusCode,
    draft: &Draft,
    faults: &Faults,
    shown: Option<Value>,
) -> Response {
    let options = match options(state, staff).await {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
    render(
        status,
        "campaign_new.html",
        serde_json::json!({
            "console": who,
            "draft": draft,
            "options": options,
            "faults": faults,
            "preview": shown,
            "today": state.today().to_string(),
        }),
    )
}

#[handler]
pub async fn page(req: &Request, state: Data<&AppState>) -> Response {
    let (who, staff) = match session::team_leader(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    form_page(
        &state,
        &who,
        &staff,
        StatusCode::OK,
        &Draft::blank(),
        &Faults::default(),
        None,
    )
    .await
}

/// The preview for this form: the API's numbers, or what is wrong.
async fn preview_of(
    state: &AppState,
    req: &Request,
    staff: &staff_user::Model,
    draft: &Draft,
) -> Result<Result<Value, Faults>, Response> {
    let mut input = match draft.to_input() {
        Ok(i) => i,
        Err(errors) => return Ok(Err(Faults::from_list(errors))),
    };
    // The count does not depend on the name: no need to have one yet to see it.
    if input.name.trim().is_empty() {
        input.name = "Untitled".into();
    }
    let addr = sign_in_limits::client_addr(req, &state.settings.http.trusted_proxies);
    match use_cases::preview(state, staff, &input, addr.as_deref()).await {
        Err(e) => Err(internal(e)),
        Ok(Err(p)) => Ok(Err(Faults::from_problem(&p))),
        Ok(Ok(p)) => Ok(Ok(json(&p))),
    }
}

/// The live preview (htmx): the panel, and each field's error (or none) out of band.
#[handler]
pub async fn preview_panel(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let (_, staff, fields) = match session::team_leader_post(req, body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let draft = Draft::from_fields(&fields);
    let (shown, faults) = match preview_of(&state, req, &staff, &draft).await {
        Err(r) => return r,
        Ok(Ok(p)) => (Some(p), Faults::default()),
        Ok(Err(f)) => (None, f),
    };
    render(
        StatusCode::OK,
        "campaign_preview.html",
        serde_json::json!({
            "preview": shown,
            "faults": faults,
            "slots": slots(),
            "oob": true,
        }),
    )
}

/// The whole form posted: "Preview" shows the page again with the preview; "Save as draft"
/// creates the campaign and goes to it, or shows the form with each error beside its field.
#[handler]
pub async fn submit(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let (who, staff, fields) = match session::team_leader_post(req, body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let draft = Draft::from_fields(&fields);
    if crate::console::field(&fields, "action") == Some("preview") {
        let (status, shown, faults) = match preview_of(&state, req, &staff, &draft).await {
            Err(r) => return r,
            Ok(Ok(p)) => (StatusCode::OK, Some(p), Faults::default()),
            Ok(Err(f)) => (StatusCode::UNPROCESSABLE_ENTITY, None, f),
        };
        return form_page(&state, &who, &staff, status, &draft, &faults, shown).await;
    }
    let input = match draft.to_input() {
        Ok(i) => i,
        Err(errors) => {
            let faults = Faults::from_list(errors);
            return form_page(
                &state,
                &who,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                &draft,
                &faults,
                None,
            )
            .await;
        }
    };
    let addr = sign_in_limits::client_addr(req, &state.settings.http.trusted_proxies);
    match use_cases::create(&state, &staff, &input, addr.as_deref()).await {
        Err(e) => internal(e),
        Ok(Ok(c)) => see_other(&format!("/console/campaigns/{}", c.id)),
        Ok(Err(p)) => {
            let faults = Faults::from_problem(&p);
            form_page(
                &state,
                &who,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                &draft,
                &faults,
                None,
            )
            .await
        }
    }
}
