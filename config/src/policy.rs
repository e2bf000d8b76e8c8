//! The landlord's policy: repayment plans, the largest amount taken from outside, when and how
//! often tenants are contacted, how long personal data is kept, the visit routes, the notice
//! regime, and when benefits reach the rent account.

use rentdesk_domain::Pence;
use rentdesk_domain::benefits::BenefitTiming;
use rentdesk_domain::contact_policy::ContactPolicy;
use rentdesk_domain::possession::protocol::NoticeRules;
use rentdesk_routing::RouteSettings;

use crate::{ConfigError, Vars, err};

#[derive(Debug, Clone)]
pub struct Policy {
    /// Repayment-plan policy: the weekly floor and the weeks within which arrears should clear.
    pub plan_min_weekly_pence: i64,
    pub plan_max_weeks: u32,
    /// `MAX_ROW_AMOUNT_PENCE` (default 1,000,000,000 = £10,000,000): the most one amount from
    /// outside may be, either sign — an imported transaction or charge, or a money field of an
    /// API body. Larger figures are refused at the edge (issue 15: one i64::MAX row broke an
    /// account for good).
    pub max_row_amount: Pence,
    /// docs/contact.md#reasonable-hours defaults unless `CONTACT_HOURS`, `CONTACT_ON_SUNDAYS`,
    /// `CONTACT_ON_BANK_HOLIDAYS` or `CONTACT_WEEKLY_CAP` say otherwise.
    pub contact_policy: ContactPolicy,
    /// `RETENTION_MONTHS` (default 72 = six years, the Limitation Act 1980 s19 period for rent
    /// arrears): personal data of a tenancy closed with a
    /// zero balance for longer than this is anonymised by the nightly job.
    pub retention_months: u32,
    /// The visit route's base, travel model and working day (`ROUTE_*`, `WORKDAY_*`,
    /// `VISIT_MINUTES`).
    pub route: RouteSettings,
    /// `RENTERS_RIGHTS_SOCIAL_FROM` (YYYY-MM-DD; unset = not commenced): from this service date
    /// a section 8 notice on a social assured (or starter) tenancy is under the Renters' Rights
    /// Act 2025 regime (4 weeks' notice, ground 8 at 13 weeks' rent unpaid, disregarding UC not
    /// yet received).
    pub notice_rules: NoticeRules,
    /// `APA_LAG_DAYS` (default 14), `APA_CYCLE_DAYS` (default 28), `HB_PAY_LAG_DAYS` (default
    /// 0): when managed payments (UC APA) and Housing Benefit reach the rent account
    /// (docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates; docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates "Managed payments").
    pub benefit_timing: BenefitTiming,
}

impl Policy {
    /// The default app link is `{public_url}/app`.
    pub fn from_vars(v: &Vars, public_url: &str) -> Result<Policy, ConfigError> {
        let contact_policy = contact_policy(v, public_url)?;
        Ok(Policy {
            plan_min_weekly_pence: v.number("PLAN_MIN_WEEKLY_PENCE", 100, 1, 100_000)? as i64,
            plan_max_weeks: v.number("PLAN_MAX_WEEKS", 104, 4, 520)? as u32,
            // At most a hundredth of the account limit, so no one row makes an account
            // out of range.
            max_row_amount: Pence(v.number(
                "MAX_ROW_AMOUNT_PENCE",
                Pence::DEFAULT_MAX_ROW_AMOUNT.0 as u64,
                1,
                (Pence::ACCOUNT_LIMIT.0 / 100) as u64,
            )? as i64),
            contact_policy,
            retention_months: v.number("RETENTION_MONTHS", 72, 1, 1200)? as u32,
            route: route_settings(v)?,
            benefit_timing: BenefitTiming {
                apa_lag_days: v.number("APA_LAG_DAYS", 14, 0, 56)? as u32,
                apa_cycle_days: v.number("APA_CYCLE_DAYS", 28, 7, 56)? as u32,
                hb_pay_lag_days: v.number("HB_PAY_LAG_DAYS", 0, 0, 28)? as u32,
            },
            notice_rules: notice_rules(v)?,
        })
    }

    /// The repayment-plan policy with the configured figures.
    pub fn plan_policy(&self) -> rentdesk_domain::affordability::PlanPolicy {
        rentdesk_domain::affordability::PlanPolicy {
            min_weekly_instalment: Pence(self.plan_min_weekly_pence),
            max_weeks_to_clear: self.plan_max_weeks,
            ..Default::default()
        }
    }

    /// The retention period as the domain rule takes it.
    pub fn retention_policy(&self) -> rentdesk_domain::retention::RetentionPolicy {
        rentdesk_domain::retention::RetentionPolicy {
            months: self.retention_months,
        }
    }
}

/// The contact window (London time) and the weekly cap on automated contacts.
fn contact_policy(v: &Vars, public_url: &str) -> Result<ContactPolicy, ConfigError> {
    let mut policy = ContactPolicy::default();
    if let Some(name) = v.get("LANDLORD_NAME") {
        if name.trim().len() > 60 {
            return Err(err(
                "LANDLORD_NAME",
                "at most 60 characters (it goes in every text)",
            ));
        }
        policy.landlord_name = name.trim().to_owned();
    }
    let app_link = format!("{}/app", public_url.trim_end_matches('/'));
    policy.app_link = v.http_url("APP_LINK", &app_link)?;
    if let Some(hours) = v.get("CONTACT_HOURS") {
        (policy.window_start, policy.window_end) = contact_hours(&hours)?;
    }
    policy.allow_sundays = v.flag("CONTACT_ON_SUNDAYS", policy.allow_sundays)?;
    policy.allow_bank_holidays = v.flag("CONTACT_ON_BANK_HOLIDAYS", policy.allow_bank_holidays)?;
    if let Some(cap) = v.get("CONTACT_WEEKLY_CAP") {
        policy.max_automated_per_7_days = cap
            .trim()
            .parse()
            .map_err(|_| err("CONTACT_WEEKLY_CAP", "must be a whole number (0 = none)"))?;
    }
    Ok(policy)
}

/// `CONTACT_HOURS`: `HH:MM-HH:MM`, the end `00:00` meaning midnight.
fn contact_hours(hours: &str) -> Result<(chrono::NaiveTime, chrono::NaiveTime), ConfigError> {
    use chrono::NaiveTime;
    let bad = || err("CONTACT_HOURS", "must be HH:MM-HH:MM, e.g. 08:00-21:00");
    let (from, to) = hours.trim().split_once('-').ok_or_else(bad)?;
    let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
    let (from, to) = (time(from)?, time(to)?);
    // "24:00" is not a time; 00:00 as the end means midnight, the end of the day.
    let to = if to == NaiveTime::MIN {
        NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).ok_or_else(bad)?
    } else {
        to
    };
    if from >= to {
        return Err(err("CONTACT_HOURS", "the start must be before the end"));
    }
    Ok((from, to))
}

/// The visit route: where routes start and end (`ROUTE_BASE_LAT`, `ROUTE_BASE_LON`), the travel
/// model (`ROUTE_SPEED_KMH`, `ROUTE_ROAD_FACTOR`), the working day (`WORKDAY_START`,
/// `WORKDAY_END`, London time) and a visit's default length (`VISIT_MINUTES`).
fn route_settings(v: &Vars) -> Result<RouteSettings, ConfigError> {
    use rentdesk_routing::parse_hm;
    let mut route = RouteSettings::default();
    route.base.lat = v.decimal("ROUTE_BASE_LAT", -90.0, 90.0, route.base.lat)?;
    route.base.lon = v.decimal("ROUTE_BASE_LON", -180.0, 180.0, route.base.lon)?;
    route.speed_kmh = v.decimal("ROUTE_SPEED_KMH", 1.0, 130.0, route.speed_kmh)?;
    route.road_factor = v.decimal("ROUTE_ROAD_FACTOR", 1.0, 3.0, route.road_factor)?;
    let time = |name: &'static str, default| match v.get(name) {
        None => Ok(default),
        Some(s) => parse_hm(&s).map_err(|_| err(name, "must be HH:MM (24-hour), e.g. 08:30")),
    };
    route.day_start = time("WORKDAY_START", route.day_start)?;
    route.day_end = time("WORKDAY_END", route.day_end)?;
    if route.day_start >= route.day_end {
        return Err(err("WORKDAY_END", "must be after WORKDAY_START"));
    }
    if let Some(s) = v.get("VISIT_MINUTES") {
        route.visit_minutes = match s.trim().parse::<u32>() {
            Ok(n) if (5..=480).contains(&n) => n,
            _ => return Err(err("VISIT_MINUTES", "must be a whole number from 5 to 480")),
        };
    }
    Ok(route)
}

/// `RENTERS_RIGHTS_SOCIAL_FROM` and `STARTER_TENANCIES`.
fn notice_rules(v: &Vars) -> Result<NoticeRules, ConfigError> {
    let commenced = chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    let renters_rights_from = match v.get("RENTERS_RIGHTS_SOCIAL_FROM") {
        None => None,
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .filter(|d| *d >= commenced)
                .ok_or_else(|| {
                    err(
                        "RENTERS_RIGHTS_SOCIAL_FROM",
                        "must be a date (YYYY-MM-DD) on or after 2026-05-01, when the \
                         Act's first provisions commenced",
                    )
                })?,
        ),
    };
    let starter_is_introductory = match v.get("STARTER_TENANCIES").as_deref().map(str::trim) {
        None | Some("housing_association") => false,
        Some("introductory") => true,
        Some(_) => {
            return Err(err(
                "STARTER_TENANCIES",
                "must be housing_association or introductory",
            ));
        }
    };
    Ok(NoticeRules {
        renters_rights_from,
        starter_is_introductory,
    })
}
