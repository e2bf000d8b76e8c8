//! Home visits and the day's route: an officer plans visits (optionally with an appointment
//! window agreed with the tenant), and `GET routes/{date}` orders the day's planned visits from
//! and back to the base with arrival times — as JSON, and as GeoJSON for the map. The route is
//! planned on each request from the visits as they are now (`rentdesk_routing::plan`), so adding
//! or cancelling a visit re-plans; nothing about the route is stored. On the day itself the
//! route is planned from now (or a `start` time given), leaving out visits already done, and
//! sets off from where the officer is: the visit they completed last that day, if its address
//! has coordinates, else the base (`rentdesk_routing::plan_from_origin`).
//!
//! Whose route: the caller's own; a team leader may see and plan the route of an officer of
//! their team (`?officer=`, `officer_id`), an administrator anyone's. An officer asking for
//! someone else's route is refused (403); a team leader asking for someone outside their team
//! finds no such officer (404).

use super::{StaffAuth, audit_reads, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr, invalid_fields};
use crate::api::vocab::{self, UnknownValue, VisitKind, VisitOutcome, VisitStatus};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rentdesk_routing::{DayRoute, LatLon, Origin, SolverLimits, VisitToPlan, Window, hm};
use rentdesk_store::audit::{self, Actor};
use rentdesk_store::entities::{action, staff_user, tenancy, visit};
use rentdesk_store::staff::Role;
use rentdesk_store::visits::{self, Change, NewVisit, Saved};

#[derive(Debug, Object)]
#[oai(example)]
pub struct VisitIn {
    /// Generated on the phone (e.g. a UUID): resending the same visit stores it once.
    #[oai(validator(min_length = 8, max_length = 64))]
    pub client_id: String,
    pub tenancy_id: i64,
    /// The London date of the visit (today or later).
    pub date: NaiveDate,
    /// Appointment agreed with the tenant: arrive no earlier than this London time (HH:MM).
    pub window_start: Option<String>,
    /// … and no later than this (HH:MM). Give both or neither.
    pub window_end: Option<String>,
    /// Time at the door, 5–480 minutes (default `VISIT_MINUTES`, 30).
    pub duration_minutes: Option<u32>,
    #[oai(default, validator(max_length = 500))]
    pub purpose: String,
    /// `home_visit` (default) or `tenancy_audit`. A tenancy audit done with an outcome of
    /// contact_made, promise_to_pay or arrangement_agreed completes the account's audit.
    pub kind: Option<VisitKind>,
    /// Whose route the visit goes on (default: the caller's). A team leader may plan a visit
    /// for an active officer of their team, on an account in that officer's patches.
    pub officer_id: Option<i64>,
}

impl poem_openapi::types::Example for VisitIn {
    fn example() -> VisitIn {
        VisitIn {
            client_id: "0b6a4c1e-8f3d-4e57-9b1a-2d7c5e9f3a10".into(),
            tenancy_id: 42,
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
            window_start: Some("10:00".into()),
            window_end: Some("10:30".into()),
            duration_minutes: Some(30),
            purpose: "Arrears of 4 weeks: agree a plan, check the UC claim".into(),
            kind: Some(VisitKind::HomeVisit),
            officer_id: None,
        }
    }
}

#[derive(Debug, Object)]
pub struct VisitOut {
    pub id: i64,
    pub client_id: String,
    pub tenancy_id: i64,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The officer whose route it is on.
    pub officer_id: i64,
    pub date: NaiveDate,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub duration_minutes: i32,
    pub purpose: String,
    pub kind: VisitKind,
    pub status: VisitStatus,
    /// The diary entry recorded when it was done.
    pub action_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

pub fn address(t: &tenancy::Model) -> String {
    [
        Some(t.address_line1.as_str()),
        t.address_line2.as_deref(),
        Some(t.town.as_str()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

impl TryFrom<(visit::Model, tenancy::Model)> for VisitOut {
    type Error = UnknownValue;
    fn try_from((v, t): (visit::Model, tenancy::Model)) -> Result<VisitOut, UnknownValue> {
        Ok(VisitOut {
            kind: VisitKind::from_stored(&v.kind, "visits", v.id)?,
            status: VisitStatus::from_stored(&v.status, "visits", v.id)?,
            id: v.id,
            client_id: v.client_id,
            tenancy_id: v.tenancy_id,
            reference: t.reference.clone(),
            address: address(&t),
            postcode: t.postcode,
            latitude: t.latitude,
            longitude: t.longitude,
            officer_id: v.officer_id,
            date: v.visit_date,
            window_start: v.window_start,
            window_end: v.window_end,
            duration_minutes: v.duration_minutes,
            purpose: v.purpose,
            action_id: v.action_id,
            updated_at: v.updated_at,
        })
    }
}

/// A visit as the server has it, with what was recorded when it was done: the server's side
/// of a 409 when an edit made offline meets a visit that changed since.
#[derive(Debug, Object)]
pub struct VisitVersion {
    pub visit: VisitOut,
    /// The outcome recorded (a visit done).
    pub outcome: Option<String>,
    /// The note recorded (a visit done).
    pub body: Option<String>,
    /// When the visit took place (a visit done).
    pub occurred_at: Option<DateTime<Utc>>,
}

impl VisitVersion {
    fn new(
        v: visit::Model,
        t: tenancy::Model,
        done: Option<Box<action::Model>>,
    ) -> Result<VisitVersion, Problem> {
        Ok(VisitVersion {
            visit: vocab::one((v, t))?,
            outcome: done.as_ref().and_then(|a| a.outcome.clone()),
            body: done.as_ref().map(|a| a.body.clone()),
            occurred_at: done.map(|a| a.occurred_at),
        })
    }
}

#[derive(Debug, Object)]
pub struct VisitList {
    pub date: NaiveDate,
    pub officer_id: i64,
    /// The officer's visits that day (planned, cancelled and done), in the order planned.
    pub visits: Vec<VisitOut>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct VisitDone {
    pub outcome: VisitOutcome,
    #[oai(default, validator(max_length = 5000))]
    pub body: String,
    /// When the visit took place (default: now).
    pub occurred_at: Option<DateTime<Utc>>,
}

impl poem_openapi::types::Example for VisitDone {
    fn example() -> VisitDone {
        VisitDone {
            outcome: VisitOutcome::PromiseToPay,
            body: "Mr Hussain will pay £40 on Friday and start the I&E in the app.".into(),
            occurred_at: DateTime::from_timestamp(1_796_200_000, 0),
        }
    }
}

#[derive(Debug, Object)]
pub struct Place {
    pub latitude: f64,
    pub longitude: f64,
}

/// Where the route sets off from.
#[derive(Debug, Object)]
pub struct RouteStart {
    pub latitude: f64,
    pub longitude: f64,
    /// "base", or "after the visit to HD1001": on the day itself the re-planned route sets off
    /// from the visit the officer completed last that day (if its address has coordinates).
    pub label: String,
    /// The visit the route sets off from (none from the base).
    pub visit_id: Option<i64>,
}

/// One visit in route order.
#[derive(Debug, Object)]
pub struct RouteStop {
    /// 1 for the first visit after setting off.
    pub order: u32,
    pub visit_id: i64,
    pub tenancy_id: i64,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub latitude: f64,
    pub longitude: f64,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    /// Estimated drive from the previous stop (or from where the route sets off,
    /// `starts_from`).
    pub travel_minutes: u32,
    pub distance_m: u32,
    /// When the officer gets there (London, HH:MM).
    pub arrives: String,
    /// When the visit starts: on arrival, or when the appointment window opens.
    pub eta: String,
    /// Waiting for the window to open.
    pub wait_minutes: u32,
    pub departs: String,
    pub duration_minutes: i32,
    pub purpose: String,
    pub kind: VisitKind,
}

/// A planned visit the day cannot hold.
#[derive(Debug, Object)]
pub struct UnassignedVisit {
    pub visit_id: i64,
    pub tenancy_id: i64,
    pub reference: String,
    pub address: String,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    /// e.g. "window 09:00–09:15 cannot be reached from the base before it closes (the
    /// earliest arrival is 09:02)"
    pub reason: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct RouteAnswer {
    pub date: NaiveDate,
    pub officer_id: i64,
    /// Where the route ends, and starts unless `starts_from` says otherwise
    /// (`ROUTE_BASE_LAT`/`ROUTE_BASE_LON`).
    pub base: Place,
    /// Where the route sets off from: the base, or on the day itself after the visit the
    /// officer completed last.
    pub starts_from: RouteStart,
    /// When the route sets off (from `starts_from`): the start of the working day
    /// (`WORKDAY_START`–`WORKDAY_END`, London); on a day under way, when the re-planned route
    /// leaves (`replanned_from`).
    pub leaves_base: String,
    pub day_ends: String,
    /// Set when the day is under way: the route is planned from this London time (now, or the
    /// `start` asked for) instead of the start of the working day.
    pub replanned_from: Option<String>,
    /// Visits already done that day: not re-planned.
    pub done_visit_ids: Vec<i64>,
    pub stops: Vec<RouteStop>,
    /// The drive back to the base after the last stop.
    pub return_travel_minutes: u32,
    pub return_distance_m: u32,
    pub back_at_base: String,
    pub total_travel_minutes: u32,
    pub total_distance_m: u32,
    /// Planned visits left out, each with the reason.
    pub unassigned: Vec<UnassignedVisit>,
}

impl poem_openapi::types::Example for RouteAnswer {
    fn example() -> RouteAnswer {
        RouteAnswer {
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
            officer_id: 7,
            base: Place {
                latitude: 53.6458,
                longitude: -1.785,
            },
            starts_from: RouteStart {
                latitude: 53.6458,
                longitude: -1.785,
                label: "base".into(),
                visit_id: None,
            },
            leaves_base: "08:30".into(),
            day_ends: "17:00".into(),
            replanned_from: None,
            done_visit_ids: vec![],
            stops: vec![RouteStop {
                order: 1,
                visit_id: 310,
                tenancy_id: 42,
                reference: "HD1001".into(),
                address: "12 Bradford Road, Huddersfield".into(),
                postcode: "HD1 6LJ".into(),
                latitude: 53.6551,
                longitude: -1.781,
                window_start: Some("09:00".into()),
                window_end: Some("09:30".into()),
                travel_minutes: 3,
                distance_m: 1399,
                arrives: "08:33".into(),
                eta: "09:00".into(),
                wait_minutes: 27,
                departs: "09:30".into(),
                duration_minutes: 30,
                purpose: "Arrears of 4 weeks".into(),
                kind: VisitKind::HomeVisit,
            }],
            return_travel_minutes: 3,
            return_distance_m: 1399,
            back_at_base: "09:33".into(),
            total_travel_minutes: 6,
            total_distance_m: 2798,
            unassigned: vec![UnassignedVisit {
                visit_id: 311,
                tenancy_id: 57,
                reference: "HD1044".into(),
                address: "3 Moor End, Huddersfield".into(),
                window_start: None,
                window_end: None,
                reason: "no coordinates for this address".into(),
            }],
        }
    }
}

/// A GeoJSON geometry (RFC 7946): `Point` with `[longitude, latitude]`, or `LineString` with a
/// list of them.
#[derive(Debug, Object)]
pub struct GeoGeometry {
    #[oai(rename = "type")]
    pub kind: vocab::GeometryType,
    pub coordinates: serde_json::Value,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GeoProperties {
    /// `start`: where a re-planned route sets off, when not the base.
    pub kind: vocab::RouteFeature,
    /// The start: "after the visit to HD1001".
    pub label: Option<String>,
    /// Stops: 1, 2, … in route order.
    pub order: Option<u32>,
    pub visit_id: Option<i64>,
    pub reference: Option<String>,
    pub address: Option<String>,
    /// Stops: when the visit starts (London, HH:MM).
    pub eta: Option<String>,
    pub arrives: Option<String>,
    pub departs: Option<String>,
    /// Stops with an appointment: "10:00–10:30".
    pub window: Option<String>,
    /// The route line: metres and minutes driven, from where it sets off to the base.
    pub total_distance_m: Option<u32>,
    pub total_travel_minutes: Option<u32>,
    /// The base (or the start): when the officer leaves; the base: when they are back.
    pub leaves: Option<String>,
    pub returns: Option<String>,
}

#[derive(Debug, Object)]
pub struct GeoFeature {
    #[oai(rename = "type")]
    pub kind: vocab::FeatureType,
    pub geometry: GeoGeometry,
    pub properties: GeoProperties,
}

/// A GeoJSON FeatureCollection: the route as a LineString (where it sets off, stops, base),
/// the base, where the route sets off when that is not the base, and a Point per stop.
#[derive(Debug, Object)]
pub struct GeoRoute {
    #[oai(rename = "type")]
    pub kind: vocab::FeatureCollectionType,
    pub features: Vec<GeoFeature>,
}

/// The route as GeoJSON (`application/geo+json`), or a problem.
#[derive(ApiResponse)]
pub enum GeoAnswer {
    #[oai(status = 200, content_type = "application/geo+json")]
    Ok(Json<GeoRoute>),
    /// Missing, invalid, expired or revoked credentials.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// An officer asking for another officer's route.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
}

impl From<Problem> for GeoAnswer {
    fn from(p: Problem) -> GeoAnswer {
        match p.status_code() {
            StatusCode::UNAUTHORIZED => GeoAnswer::Unauthorized(Json(p)),
            StatusCode::FORBIDDEN => GeoAnswer::Forbidden(Json(p)),
            StatusCode::NOT_FOUND => GeoAnswer::NotFound(Json(p)),
            _ => GeoAnswer::Invalid(Json(p)),
        }
    }
}

fn not_found_visit(id: i64) -> Problem {
    Problem::not_found(&format!("visit {id}"))
}

/// The window of a stored visit (stored valid; a bad row plans as if it had none).
fn stored_window(v: &visit::Model) -> Option<Window> {
    match (&v.window_start, &v.window_end) {
        (Some(a), Some(b)) => Window::parse(a, b).ok(),
        _ => None,
    }
}

/// The visit, if the caller may see it: the account is in their patches today, and the visit is
/// on their own route (or they lead the team).
async fn visible_visit(
    state: &AppState,
    staff: &staff_user::Model,
    id: i64,
) -> poem::Result<Option<(visit::Model, tenancy::Model)>> {
    let err = |e: sea_orm::DbErr| Problem::internal(&e);
    let Some((v, t)) = visits::find(&state.db, id).await.map_err(err)? else {
        return Ok(None);
    };
    let lead = matches!(staff.role.as_str(), "team_leader" | "admin");
    if v.officer_id != staff.id && !lead {
        return Ok(None);
    }
    let visible =
        rentdesk_store::staff::visible_tenancy(&state.db, staff, v.tenancy_id, state.today())
            .await
            .map_err(err)?;
    Ok(visible.map(|_| (v, t)))
}

/// Whose route the caller asks for: their own (`None`, or their id); for a team leader an
/// active officer or team leader of their team; for an administrator any active member of
/// staff. Otherwise a problem: 403 for an officer (they may only see their own), 404 for a team
/// leader asking outside their team (no such officer in it).
pub(crate) async fn route_owner(
    state: &AppState,
    staff: &staff_user::Model,
    officer: Option<i64>,
) -> poem::Result<Result<staff_user::Model, Problem>> {
    let Some(id) = officer.filter(|id| *id != staff.id) else {
        return Ok(Ok(staff.clone()));
    };
    let role = Role::parse(&staff.role);
    if !matches!(role, Some(Role::TeamLeader | Role::Admin)) {
        return Ok(Err(Problem::new(
            StatusCode::FORBIDDEN,
            "not-your-route",
            "An officer may only see and plan their own route",
        )
        .detail(format!("staff {} is not you", id))));
    }
    let other = rentdesk_store::staff::by_id(&state.db, id)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let in_team = |o: &staff_user::Model| {
        role == Some(Role::Admin) || (o.team.is_some() && o.team == staff.team)
    };
    Ok(match other {
        Some(o)
            if o.active && matches!(o.role.as_str(), "officer" | "team_leader") && in_team(&o) =>
        {
            Ok(o)
        }
        _ => Err(Problem::not_found(&format!("officer {id} in your team"))),
    })
}

/// When the route starts: the `start` asked for (HH:MM), else now on the day itself (London),
/// else the start of the working day (`None`).
fn route_start(
    state: &AppState,
    date: NaiveDate,
    start: Option<&str>,
) -> Result<Option<NaiveTime>, Problem> {
    match start {
        Some(s) => rentdesk_routing::parse_hm(s)
            .map(Some)
            .map_err(|reason| Problem::invalid("start", reason)),
        None if date == state.today() => Ok(Some(
            state.now().with_timezone(&chrono_tz::Europe::London).time(),
        )),
        None => Ok(None),
    }
}

/// The account's coordinates, if known and valid.
fn location(t: &tenancy::Model) -> Option<LatLon> {
    t.latitude
        .zip(t.longitude)
        .and_then(|(lat, lon)| LatLon::parse(lat, lon).ok())
}

/// A re-planned route setting off from a visit done, not the base.
struct SetOff {
    visit_id: i64,
    reference: String,
    origin: Origin,
}

/// Where the officer is after the day's visits `done`: at the one completed last, if its
/// address has coordinates (`None`: we do not know, so the base).
async fn after_last_visit(
    state: &AppState,
    done: &[(visit::Model, tenancy::Model)],
) -> poem::Result<Option<SetOff>> {
    let last = visits::completed_last(&state.db, done)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(last.and_then(|(v, t)| {
        Some(SetOff {
            visit_id: v.id,
            reference: t.reference.clone(),
            origin: Origin {
                at: location(t)?,
                name: format!("the visit to {}", t.reference),
            },
        })
    }))
}

/// `owner`'s planned visits on `date` (in what `viewer` may see) and the route through them,
/// from `start` when the day is under way (setting off after the visit done last, on the day
/// itself); and the ids of the visits already done.
async fn plan_day(
    state: &AppState,
    viewer: &staff_user::Model,
    owner: &staff_user::Model,
    date: NaiveDate,
    start: Option<NaiveTime>,
    addr: Option<&str>,
) -> poem::Result<Day> {
    let err = |e: sea_orm::DbErr| Problem::internal(&e);
    let patches = rentdesk_store::staff::visible_patches(&state.db, viewer, state.today())
        .await
        .map_err(err)?;
    let (rows, done): (Vec<_>, Vec<_>) =
        visits::on_day(&state.db, owner.id, date, patches.as_ref(), false)
            .await
            .map_err(err)?
            .into_iter()
            .filter(|(v, _)| v.status != visits::CANCELLED)
            .partition(|(v, _)| v.status == visits::PLANNED);
    // A visit whose kind does not read is left out of the plan, logged (vocab.rs).
    let (rows, kinds): (Vec<_>, Vec<_>) = vocab::kept(rows.into_iter().map(|(v, t)| {
        let kind = VisitKind::from_stored(&v.kind, "visits", v.id)?;
        Ok(((v, t), kind))
    }))
    .into_iter()
    .unzip();
    // Issue 7: mid-day the officer is at the visit they finished last, not at the base, so a
    // re-plan for today sets off from there.
    let set_off = match start {
        Some(_) if date == state.today() => after_last_visit(state, &done).await?,
        _ => None,
    };
    let done: Vec<i64> = done.into_iter().map(|(v, _)| v.id).collect();
    let input: Vec<VisitToPlan> = rows
        .iter()
        .map(|(v, t)| VisitToPlan {
            location: location(t),
            window: stored_window(v),
            minutes: u32::try_from(v.duration_minutes).unwrap_or(0),
        })
        .collect();
    let settings = state.settings.policy.route.clone();
    let origin = set_off.as_ref().map(|s| s.origin.clone());
    // The solver searches for up to a second and a half: off the async threads.
    let route = tokio::task::spawn_blocking(move || {
        let limits = SolverLimits::default();
        match start {
            Some(from) => rentdesk_routing::plan_from_origin(
                &input,
                &settings,
                &limits,
                from,
                origin.as_ref(),
            ),
            None => rentdesk_routing::plan(&input, &settings, &limits),
        }
    })
    .await
    .map_err(|e| Problem::internal(&e))?
    .map_err(|e| Problem::internal(&e))?;
    // The route shows these tenants' addresses: one audit entry naming the accounts.
    let ids: Vec<String> = rows.iter().map(|(v, _)| v.tenancy_id.to_string()).collect();
    audit::record(
        &state.db,
        audit::Entry {
            actor: Actor::Staff(viewer.id),
            action: "route.read",
            subject_kind: "route",
            subject_id: Some(format!("{date} officer {}", owner.id)),
            detail: Some(format!(
                "{} stops, {} unassigned; tenancies {}",
                route.stops.len(),
                route.unplanned.len(),
                ids.join(",")
            )),
            client_addr: addr,
        },
    )
    .await
    .map_err(err)?;
    Ok(Day {
        date,
        officer_id: owner.id,
        rows,
        kinds,
        done,
        route,
        from: start,
        set_off,
    })
}

/// A planned day as the API answers it.
struct Day {
    date: NaiveDate,
    officer_id: i64,
    rows: Vec<(visit::Model, tenancy::Model)>,
    /// Each row's kind, read.
    kinds: Vec<VisitKind>,
    done: Vec<i64>,
    route: DayRoute,
    /// When the route was re-planned from (the day under way).
    from: Option<NaiveTime>,
    /// Where it sets off from when not the base.
    set_off: Option<SetOff>,
}

fn route_answer(state: &AppState, day: Day) -> RouteAnswer {
    let settings = &state.settings.policy.route;
    let Day {
        date,
        officer_id,
        rows,
        kinds,
        done,
        route,
        from,
        set_off,
    } = day;
    let replanned_from = from.filter(|f| *f > settings.day_start).map(hm);
    let starts_from = match set_off {
        Some(s) => RouteStart {
            latitude: s.origin.at.lat,
            longitude: s.origin.at.lon,
            label: format!("after the visit to {}", s.reference),
            visit_id: Some(s.visit_id),
        },
        None => RouteStart {
            latitude: settings.base.lat,
            longitude: settings.base.lon,
            label: "base".into(),
            visit_id: None,
        },
    };
    RouteAnswer {
        date,
        officer_id,
        replanned_from,
        done_visit_ids: done,
        base: Place {
            latitude: settings.base.lat,
            longitude: settings.base.lon,
        },
        starts_from,
        leaves_base: hm(route.leaves_base),
        day_ends: hm(settings.day_end),
        stops: route
            .stops
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (v, t) = &rows[s.visit];
                RouteStop {
                    order: i as u32 + 1,
                    visit_id: v.id,
                    tenancy_id: t.id,
                    reference: t.reference.clone(),
                    address: address(t),
                    postcode: t.postcode.clone(),
                    latitude: t.latitude.unwrap_or_default(),
                    longitude: t.longitude.unwrap_or_default(),
                    window_start: v.window_start.clone(),
                    window_end: v.window_end.clone(),
                    travel_minutes: s.travel_minutes,
                    distance_m: s.distance_m,
                    arrives: hm(s.arrives),
                    eta: hm(s.eta),
                    wait_minutes: s.wait_minutes,
                    departs: hm(s.departs),
                    duration_minutes: v.duration_minutes,
                    purpose: v.purpose.clone(),
                    kind: kinds[s.visit],
                }
            })
            .collect(),
        return_travel_minutes: route.return_travel_minutes,
        return_distance_m: route.return_distance_m,
        back_at_base: hm(route.back_at_base),
        total_travel_minutes: route.total_travel_minutes,
        total_distance_m: route.total_distance_m.round() as u32,
        unassigned: route
            .unplanned
            .iter()
            .map(|u| {
                let (v, t) = &rows[u.visit];
                UnassignedVisit {
                    visit_id: v.id,
                    tenancy_id: t.id,
                    reference: t.reference.clone(),
                    address: address(t),
                    window_start: v.window_start.clone(),
                    window_end: v.window_end.clone(),
                    reason: u.reason.clone(),
                }
            })
            .collect(),
    }
}

fn point(lat: f64, lon: f64) -> serde_json::Value {
    serde_json::json!([lon, lat])
}

fn geojson(answer: RouteAnswer) -> GeoRoute {
    let base = point(answer.base.latitude, answer.base.longitude);
    let start = &answer.starts_from;
    let from_base = start.visit_id.is_none();
    let mut line = vec![point(start.latitude, start.longitude)];
    line.extend(answer.stops.iter().map(|s| point(s.latitude, s.longitude)));
    line.push(base.clone());
    let empty = GeoProperties {
        kind: vocab::RouteFeature::Stop,
        label: None,
        order: None,
        visit_id: None,
        reference: None,
        address: None,
        eta: None,
        arrives: None,
        departs: None,
        window: None,
        total_distance_m: None,
        total_travel_minutes: None,
        leaves: None,
        returns: None,
    };
    let feature = |kind, coordinates, properties| GeoFeature {
        kind: vocab::FeatureType::Feature,
        geometry: GeoGeometry { kind, coordinates },
        properties,
    };
    let mut features = vec![
        feature(
            vocab::GeometryType::LineString,
            serde_json::Value::Array(line),
            GeoProperties {
                kind: vocab::RouteFeature::Route,
                total_distance_m: Some(answer.total_distance_m),
                total_travel_minutes: Some(answer.total_travel_minutes),
                ..empty.clone()
            },
        ),
        feature(
            vocab::GeometryType::Point,
            base,
            GeoProperties {
                kind: vocab::RouteFeature::Base,
                leaves: from_base.then(|| answer.leaves_base.clone()),
                returns: Some(answer.back_at_base.clone()),
                ..empty.clone()
            },
        ),
    ];
    if !from_base {
        features.push(feature(
            vocab::GeometryType::Point,
            point(start.latitude, start.longitude),
            GeoProperties {
                kind: vocab::RouteFeature::Start,
                label: Some(start.label.clone()),
                visit_id: start.visit_id,
                leaves: Some(answer.leaves_base.clone()),
                ..empty.clone()
            },
        ));
    }
    for s in answer.stops {
        features.push(feature(
            vocab::GeometryType::Point,
            point(s.latitude, s.longitude),
            GeoProperties {
                kind: vocab::RouteFeature::Stop,
                order: Some(s.order),
                visit_id: Some(s.visit_id),
                reference: Some(s.reference),
                address: Some(s.address),
                eta: Some(s.eta),
                arrives: Some(s.arrives),
                departs: Some(s.departs),
                window: s
                    .window_start
                    .zip(s.window_end)
                    .map(|(a, b)| format!("{a}–{b}")),
                ..empty.clone()
            },
        ));
    }
    GeoRoute {
        kind: vocab::FeatureCollectionType::FeatureCollection,
        features,
    }
}

pub struct OfficerRoutesApi;

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerRoutesApi {
    /// Plan a home visit
    ///
    /// On the caller's route for that date, optionally with an appointment window agreed with
    /// the tenant. `client_id` makes it safe to resend: the same id stores once and answers with
    /// the stored visit (200); a new one answers 201; the same id for a different visit is 409.
    /// An account outside the caller's patches is 404. A team leader may put the visit on the
    /// route of an officer of their team (`officer_id`; the account must be in that officer's
    /// patches); an officer naming anyone else is 403. `kind: tenancy_audit` plans the
    /// account's tenancy audit.
    #[oai(path = "/visits", method = "post")]
    async fn plan_visit(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        body: Json<VisitIn>,
    ) -> poem::Result<Answer<VisitOut, { OK | CREATED | FORBIDDEN | NOT_FOUND | CONFLICT | INVALID }>>
    {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let body = body.0;
        let today = state.today();
        let mut errors = vec![];
        if body.date < today {
            errors.push(("date".to_owned(), "is in the past".to_owned()));
        } else if body.date > today + chrono::Duration::days(366) {
            errors.push(("date".to_owned(), "is more than a year ahead".to_owned()));
        }
        let window = match (body.window_start.as_deref(), body.window_end.as_deref()) {
            (None, None) => None,
            (Some(_), None) => {
                errors.push(("window_end".into(), "required with window_start".into()));
                None
            }
            (None, Some(_)) => {
                errors.push(("window_start".into(), "required with window_end".into()));
                None
            }
            (Some(a), Some(b)) => {
                match (rentdesk_routing::parse_hm(a), rentdesk_routing::parse_hm(b)) {
                    (Ok(a), Ok(b)) => match Window::new(a, b) {
                        Ok(w) => Some(w),
                        Err(r) => {
                            errors.push(("window_end".into(), r));
                            None
                        }
                    },
                    (a, b) => {
                        for (field, r) in [("window_start", a), ("window_end", b)] {
                            if let Err(reason) = r {
                                errors.push((field.into(), reason));
                            }
                        }
                        None
                    }
                }
            }
        };
        let minutes = body
            .duration_minutes
            .unwrap_or(state.settings.policy.route.visit_minutes);
        if !(5..=480).contains(&minutes) {
            errors.push((
                "duration_minutes".into(),
                "must be from 5 to 480 minutes".into(),
            ));
        }
        let kind = body.kind.unwrap_or(VisitKind::HomeVisit).as_str();
        if let Some(p) = invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        let owner = or_answer!(route_owner(&state, &staff, body.officer_id).await?);
        let err = |e: sea_orm::DbErr| Problem::internal(&e);
        let Some(account) =
            rentdesk_store::staff::visible_tenancy(&state.db, &staff, body.tenancy_id, today)
                .await
                .map_err(err)?
        else {
            return Ok(Answer::problem(Problem::not_found(&format!(
                "account {}",
                body.tenancy_id
            ))));
        };
        if owner.id != staff.id
            && rentdesk_store::staff::visible_tenancy(&state.db, &owner, body.tenancy_id, today)
                .await
                .map_err(err)?
                .is_none()
        {
            return Ok(Answer::problem(Problem::invalid(
                "officer_id",
                format!(
                    "account {} is not in the patches officer {} works today",
                    body.tenancy_id, owner.id
                ),
            )));
        }
        let saved = visits::plan(
            &state.db,
            staff.id,
            NewVisit {
                client_id: &body.client_id,
                tenancy_id: body.tenancy_id,
                officer_id: owner.id,
                visit_date: body.date,
                window: window.map(|w| (hm(w.start()), hm(w.end()))),
                duration_minutes: minutes as i32,
                purpose: body.purpose.trim(),
                kind,
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(err)?;
        Ok(match saved {
            Saved::New(v) => Answer::Created(Json(vocab::one((v, account))?)),
            Saved::Replay(v) => Answer::Ok(Json(vocab::one((v, account))?)),
            Saved::Conflict(v) => Answer::problem(
                Problem::new(
                    StatusCode::CONFLICT,
                    "client-id-reused",
                    "That client_id belongs to a different visit",
                )
                .detail(format!("visit {} has this client_id", v.id)),
            ),
        })
    }

    /// My visits on a date
    ///
    /// Planned, cancelled and done, in the order they were planned (the route orders them). A
    /// team leader may ask for an officer of their team's (`officer`).
    #[oai(path = "/visits", method = "get")]
    async fn visits(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// The London date (YYYY-MM-DD).
        date: Query<NaiveDate>,
        /// Another officer's visits (team leaders: an officer of their team).
        officer: Query<Option<i64>>,
    ) -> poem::Result<Answer<VisitList, { OK | FORBIDDEN | NOT_FOUND }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let owner = or_answer!(route_owner(&state, &staff, officer.0).await?);
        let err = |e: sea_orm::DbErr| Problem::internal(&e);
        let patches = rentdesk_store::staff::visible_patches(&state.db, &staff, state.today())
            .await
            .map_err(err)?;
        let rows = visits::on_day(&state.db, owner.id, date.0, patches.as_ref(), false)
            .await
            .map_err(err)?;
        audit_reads(
            &state,
            staff.id,
            "visits.read",
            rows.iter().map(|(v, _)| v.tenancy_id),
            client_addr(remote).as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(VisitList {
            date: date.0,
            officer_id: owner.id,
            visits: vocab::readable(rows),
        })))
    }

    /// Cancel a visit
    ///
    /// The next route is planned without it. Cancelling twice answers the cancelled visit; a
    /// visit already done cannot be cancelled (409).
    #[oai(path = "/visits/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<VisitOut, { OK | NOT_FOUND | CONFLICT }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let Some((v, t)) = visible_visit(&state, &staff, id.0).await? else {
            return Ok(Answer::problem(not_found_visit(id.0)));
        };
        let change = visits::cancel(
            &state.db,
            staff.id,
            v,
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(match change {
            Change::Changed(v) | Change::Unchanged(v) => Answer::Ok(Json(vocab::one((v, t))?)),
            Change::Refused(v) | Change::Conflict(v, _) => Answer::problem(
                Problem::new(
                    StatusCode::CONFLICT,
                    "visit-not-planned",
                    "Only a planned visit can be cancelled",
                )
                .detail(format!("visit {} is {}", v.id, v.status)),
            ),
        })
    }

    /// Record a visit as done
    ///
    /// Writes the visit, with its outcome, to the account's action diary (once: sending the
    /// same outcome and note again, or the outcome alone, answers the visit as it is). A visit
    /// already done with a different outcome or note, or a cancelled visit, is a 409 carrying
    /// both versions (`server_version`, `your_version`); nothing is overwritten.
    #[oai(path = "/visits/:id/done", method = "post")]
    async fn done(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<VisitDone>,
    ) -> poem::Result<Answer<VisitOut, { OK | NOT_FOUND | CONFLICT | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let now = state.now();
        let mut errors = vec![];
        if body
            .occurred_at
            .is_some_and(|t| t > now + chrono::Duration::minutes(5))
        {
            errors.push(("occurred_at".to_owned(), "is in the future".to_owned()));
        }
        if let Some(p) = invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        let Some((v, t)) = visible_visit(&state, &staff, id.0).await? else {
            return Ok(Answer::problem(not_found_visit(id.0)));
        };
        let change = visits::done(
            &state.db,
            staff.id,
            v,
            visits::Outcome {
                outcome: body.outcome.as_str(),
                body: body.body.trim(),
                occurred_at: body.occurred_at.unwrap_or(now),
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(match change {
            Change::Changed(v) | Change::Unchanged(v) => Answer::Ok(Json(vocab::one((v, t))?)),
            Change::Refused(v) => Answer::problem(
                Problem::new(
                    StatusCode::CONFLICT,
                    "visit-not-planned",
                    "Only a planned visit can be done",
                )
                .detail(format!(
                    "visit {} is {}; nothing was changed",
                    v.id, v.status
                ))
                .versions(VisitVersion::new(v, t, None)?, body.0),
            ),
            Change::Conflict(v, done) => Answer::problem(
                Problem::new(
                    StatusCode::CONFLICT,
                    "edit-conflict",
                    "The visit was already recorded as done with another outcome",
                )
                .detail(format!(
                    "visit {} is done ({}); nothing was changed",
                    v.id,
                    done.as_ref()
                        .and_then(|a| a.outcome.as_deref())
                        .unwrap_or("no outcome")
                ))
                .versions(VisitVersion::new(v, t, done)?, body.0),
            ),
        })
    }

    /// The day's route
    ///
    /// The officer's planned visits that day in an optimised order, from the base and back,
    /// with estimated arrival times, keeping every appointment window and the end of the
    /// working day. Visits that cannot fit are listed with the reason. Planned afresh on every
    /// request from the visits as they are. On the day itself the route is re-planned from now
    /// (or from `start`), leaving out visits already done (`done_visit_ids`), and sets off from
    /// the visit the officer completed last (`starts_from`; the base if none was done or its
    /// address has no coordinates); visits whose window has closed or cannot be reached from
    /// there in time are listed with the reason. A team leader may see the route of an
    /// officer of their team (`officer`); an officer asking for anyone else's is 403.
    #[oai(path = "/routes/:date", method = "get")]
    async fn route(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// The London date (YYYY-MM-DD).
        date: Path<NaiveDate>,
        /// Whose route (default: the caller's). Team leaders: an officer of their team.
        officer: Query<Option<i64>>,
        /// Plan from this London time (HH:MM) instead of now (on the day itself) or the start
        /// of the working day. Times before the working day starts plan the whole day.
        start: Query<Option<String>>,
    ) -> poem::Result<Answer<RouteAnswer, { OK | FORBIDDEN | NOT_FOUND | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let owner = or_answer!(route_owner(&state, &staff, officer.0).await?);
        let from = or_answer!(route_start(&state, date.0, start.0.as_deref()));
        let addr = client_addr(remote);
        let day = plan_day(&state, &staff, &owner, date.0, from, addr.as_deref()).await?;
        Ok(Answer::Ok(Json(route_answer(&state, day))))
    }

    /// The day's route as GeoJSON
    ///
    /// The same route as `GET /routes/{date}` (with the same `officer` and `start`) as a
    /// GeoJSON FeatureCollection for a map: a LineString from where the route sets off (the
    /// base, or the visit completed last) through the stops and back to the base, a Point for
    /// the base, one for the start when it is not the base (kind `start`) and a Point per stop
    /// (properties: order, eta, reference, window).
    #[oai(path = "/routes/:date/geojson", method = "get")]
    async fn route_geojson(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// The London date (YYYY-MM-DD).
        date: Path<NaiveDate>,
        /// Whose route (default: the caller's). Team leaders: an officer of their team.
        officer: Query<Option<i64>>,
        /// Plan from this London time (HH:MM); see `GET /routes/{date}`.
        start: Query<Option<String>>,
    ) -> poem::Result<GeoAnswer> {
        let staff = match me(&state, &auth.0).await? {
            Ok(s) => s,
            Err(p) => return Ok(p.into()),
        };
        let owner = match route_owner(&state, &staff, officer.0).await? {
            Ok(o) => o,
            Err(p) => return Ok(p.into()),
        };
        let from = match route_start(&state, date.0, start.0.as_deref()) {
            Ok(f) => f,
            Err(p) => return Ok(p.into()),
        };
        let addr = client_addr(remote);
        let day = plan_day(&state, &staff, &owner, date.0, from, addr.as_deref()).await?;
        Ok(GeoAnswer::Ok(Json(geojson(route_answer(&state, day)))))
    }
}
