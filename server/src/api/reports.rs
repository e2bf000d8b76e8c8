//! `/manage/v1/reports`: performance figures for a period (docs/performance.md) for team leaders and
//! admins, over the patches they may see, as JSON, CSV or a weekly trend chart (SVG drawn by
//! `plotters` on the server). The figures are defined in `domain::kpi`; the inputs gathered
//! by `store::reports`.

use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr, invalid_fields};
use crate::api::officer::{StaffAuth, manager};
use crate::api::vocab;
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::Query;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};
use rentdesk_domain::Pence;
use rentdesk_domain::kpi::{self, TrendMetric, WeekFigures, percent_string};
use rentdesk_store::audit::{self, Actor};
use rentdesk_store::reports::{MAX_PERIOD_DAYS, Report};

#[derive(Debug, Object)]
pub struct RentFigures {
    /// Rent and service charges debited in the period.
    pub due_pence: i64,
    /// Payments, Housing Benefit, UC and DWP deductions received in the period.
    pub collected_pence: i64,
    /// Arrears on the day before the period began.
    pub arrears_brought_forward_pence: i64,
    /// Collected ÷ due, e.g. "98.45"; absent when nothing was due.
    pub collected_percent: Option<String>,
    /// Collected ÷ (due + arrears brought forward).
    pub collected_percent_with_arrears: Option<String>,
    pub written_off_pence: i64,
    /// Written off ÷ due.
    pub written_off_percent: Option<String>,
}

#[derive(Debug, Object)]
pub struct ArrearsFigures {
    pub current_tenancies: u64,
    /// The current tenancies' annual rent debit for the rent year containing `to`.
    pub rent_roll_pence: i64,
    pub current_arrears_pence: i64,
    /// Arrears less technical arrears (UC/HB due, not yet received).
    pub current_real_arrears_pence: i64,
    pub current_technical_arrears_pence: i64,
    /// Current tenant arrears ÷ rent roll.
    pub current_arrears_percent_of_rent_roll: Option<String>,
    pub current_real_arrears_percent_of_rent_roll: Option<String>,
    pub former_tenancies_in_arrears: u64,
    pub former_arrears_pence: i64,
    /// Former tenant arrears ÷ rent roll.
    pub former_arrears_percent_of_rent_roll: Option<String>,
    /// Current tenants owing more than 7 weeks' rent (real arrears).
    pub owing_over_7_weeks: u64,
    pub owing_over_7_weeks_percent: Option<String>,
}

#[derive(Debug, Object)]
pub struct CountValue {
    /// The band (in `arrears_bands`) or the stage (in `stages`).
    pub key: vocab::CountKey,
    pub accounts: u64,
    /// Real arrears of those accounts.
    pub value_pence: i64,
}

#[derive(Debug, Object)]
pub struct Enforcement {
    pub notices_served: u64,
    pub court_applications: u64,
    pub orders: u64,
    pub warrants: u64,
    pub evictions: u64,
}

#[derive(Debug, Object)]
pub struct Arrangements {
    /// Agreed arrangements starting in the period.
    pub made: u64,
    /// Live at the period's end and up to date.
    pub kept: u64,
    /// Live at the period's end and behind (an instalment missed or part paid).
    pub broken: u64,
}

#[derive(Debug, Object)]
pub struct UniversalCredit {
    /// Current tenants with an open UC claim at the period's end.
    pub claimants: u64,
    pub arrears_pence: i64,
    pub real_arrears_pence: i64,
    pub technical_arrears_pence: i64,
    /// Managed payments to landlord (APA) in place.
    pub managed_payments: u64,
}

#[derive(Debug, Object)]
pub struct DirectDebit {
    /// Current tenancies paying by direct debit.
    pub accounts: u64,
    /// Of current tenancies.
    pub percent: Option<String>,
}

#[derive(Debug, Object)]
pub struct Contacts {
    /// sms | email | push (messages sent) or call | visit | letter (the diary).
    pub channel: String,
    /// The message status or the diary outcome (`recorded` when none was given).
    pub outcome: String,
    pub count: u64,
}

#[derive(Debug, Object)]
pub struct Week {
    /// The rent week's Monday (weeks at the ends are clipped to the period).
    pub week_start: NaiveDate,
    pub rent_due_pence: i64,
    pub collected_pence: i64,
    pub collected_percent: Option<String>,
    /// At the week's end (or the period's end).
    pub current_arrears_pence: i64,
    pub current_real_arrears_pence: i64,
    pub current_arrears_percent_of_rent_roll: Option<String>,
}

/// Performance figures for a period over the patches in scope.
#[derive(Debug, Object)]
#[oai(example)]
pub struct PerformanceReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The patch filter, if any.
    pub patch: Option<String>,
    /// The officer filter, if any.
    pub officer: Option<i64>,
    /// Accounts counted (started by `to`).
    pub accounts: u64,
    pub rent: RentFigures,
    pub arrears: ArrearsFigures,
    /// Current tenancies by real arrears in weeks' rent.
    pub arrears_bands: Vec<CountValue>,
    /// All accounts by escalation stage at the period's end.
    pub stages: Vec<CountValue>,
    pub enforcement: Enforcement,
    pub arrangements: Arrangements,
    pub universal_credit: UniversalCredit,
    pub direct_debit: DirectDebit,
    pub contacts: Vec<Contacts>,
    /// The weekly trend, Monday to Sunday.
    pub weeks: Vec<Week>,
}

fn pct(bp: Option<i64>) -> Option<String> {
    bp.map(percent_string)
}

fn week(w: &WeekFigures) -> Week {
    Week {
        week_start: w.week_start,
        rent_due_pence: w.rent_due.0,
        collected_pence: w.collected.0,
        collected_percent: pct(w.collection_rate_bp),
        current_arrears_pence: w.current_arrears.0,
        current_real_arrears_pence: w.current_real_arrears.0,
        current_arrears_percent_of_rent_roll: pct(w.current_arrears_bp),
    }
}

impl PerformanceReport {
    fn of(r: &Report, patch: Option<String>, officer: Option<i64>) -> PerformanceReport {
        let f = &r.figures;
        PerformanceReport {
            from: r.from,
            to: r.to,
            patch,
            officer,
            accounts: f.accounts,
            rent: RentFigures {
                due_pence: f.rent_due.0,
                collected_pence: f.collected.0,
                arrears_brought_forward_pence: f.arrears_brought_forward.0,
                collected_percent: pct(f.collection_rate_bp),
                collected_percent_with_arrears: pct(f.collection_rate_with_arrears_bp),
                written_off_pence: f.written_off.0,
                written_off_percent: pct(f.write_off_rate_bp),
            },
            arrears: ArrearsFigures {
                current_tenancies: f.current_tenancies,
                rent_roll_pence: f.rent_roll.0,
                current_arrears_pence: f.current_arrears.0,
                current_real_arrears_pence: f.current_real_arrears.0,
                current_technical_arrears_pence: f.current_technical_arrears.0,
                current_arrears_percent_of_rent_roll: pct(f.current_arrears_bp),
                current_real_arrears_percent_of_rent_roll: pct(f.current_real_arrears_bp),
                former_tenancies_in_arrears: f.former_tenancies_in_arrears,
                former_arrears_pence: f.former_arrears.0,
                former_arrears_percent_of_rent_roll: pct(f.former_arrears_bp),
                owing_over_7_weeks: f.owing_over_7_weeks,
                owing_over_7_weeks_percent: pct(f.owing_over_7_weeks_bp),
            },
            arrears_bands: f
                .bands
                .iter()
                .map(|(b, v)| CountValue {
                    key: (*b).into(),
                    accounts: v.count,
                    value_pence: v.value.0,
                })
                .collect(),
            stages: f
                .stages
                .iter()
                .map(|(s, v)| CountValue {
                    key: (*s).into(),
                    accounts: v.count,
                    value_pence: v.value.0,
                })
                .collect(),
            enforcement: Enforcement {
                notices_served: r.events.notices_served,
                court_applications: r.events.court_applications,
                orders: r.events.orders,
                warrants: r.events.warrants,
                evictions: r.events.evictions,
            },
            arrangements: Arrangements {
                made: r.events.arrangements_made,
                kept: r.events.arrangements_kept,
                broken: r.events.arrangements_broken,
            },
            universal_credit: UniversalCredit {
                claimants: f.uc_claimants,
                arrears_pence: f.uc_arrears.0,
                real_arrears_pence: f.uc_real_arrears.0,
                technical_arrears_pence: f.uc_technical_arrears.0,
                managed_payments: f.apas,
            },
            direct_debit: DirectDebit {
                accounts: f.direct_debits,
                percent: pct(f.direct_debit_bp),
            },
            contacts: r
                .contacts
                .iter()
                .map(|c| Contacts {
                    channel: c.channel.clone(),
                    outcome: c.outcome.clone(),
                    count: c.count,
                })
                .collect(),
            weeks: r.weeks.iter().map(week).collect(),
        }
    }

    /// The same figures as rows of `section,item,figure,value`: money in pounds ("1234.56"),
    /// percentages as "97.25", counts as integers, an empty value where a ratio has no
    /// denominator.
    fn to_csv(&self) -> String {
        let mut rows: Vec<[String; 4]> = vec![];
        let mut row = |section: &str, item: &str, figure: &str, value: String| {
            rows.push([section.into(), item.into(), figure.into(), value]);
        };
        let money = |p: i64| Pence(p).pounds_string();
        let opt = |p: &Option<String>| p.clone().unwrap_or_default();
        row("period", "", "from", self.from.to_string());
        row("period", "", "to", self.to.to_string());
        row(
            "period",
            "",
            "patch",
            self.patch.clone().unwrap_or_default(),
        );
        row(
            "period",
            "",
            "officer",
            self.officer.map(|o| o.to_string()).unwrap_or_default(),
        );
        row("period", "", "accounts", self.accounts.to_string());
        let r = &self.rent;
        row("rent", "", "due", money(r.due_pence));
        row("rent", "", "collected", money(r.collected_pence));
        row(
            "rent",
            "",
            "arrears_brought_forward",
            money(r.arrears_brought_forward_pence),
        );
        row("rent", "", "collected_percent", opt(&r.collected_percent));
        row(
            "rent",
            "",
            "collected_percent_with_arrears",
            opt(&r.collected_percent_with_arrears),
        );
        row("rent", "", "written_off", money(r.written_off_pence));
        row(
            "rent",
            "",
            "written_off_percent",
            opt(&r.written_off_percent),
        );
        let a = &self.arrears;
        for (figure, value) in [
            ("current_tenancies", a.current_tenancies.to_string()),
            ("rent_roll", money(a.rent_roll_pence)),
            ("current_arrears", money(a.current_arrears_pence)),
            ("current_real_arrears", money(a.current_real_arrears_pence)),
            (
                "current_technical_arrears",
                money(a.current_technical_arrears_pence),
            ),
            (
                "current_arrears_percent_of_rent_roll",
                opt(&a.current_arrears_percent_of_rent_roll),
            ),
            (
                "current_real_arrears_percent_of_rent_roll",
                opt(&a.current_real_arrears_percent_of_rent_roll),
            ),
            (
                "former_tenancies_in_arrears",
                a.former_tenancies_in_arrears.to_string(),
            ),
            ("former_arrears", money(a.former_arrears_pence)),
            (
                "former_arrears_percent_of_rent_roll",
                opt(&a.former_arrears_percent_of_rent_roll),
            ),
            ("owing_over_7_weeks", a.owing_over_7_weeks.to_string()),
            (
                "owing_over_7_weeks_percent",
                opt(&a.owing_over_7_weeks_percent),
            ),
        ] {
            row("arrears", "", figure, value);
        }
        for (section, list) in [
            ("arrears_bands", &self.arrears_bands),
            ("stages", &self.stages),
        ] {
            for b in list {
                row(section, b.key.as_str(), "accounts", b.accounts.to_string());
                row(section, b.key.as_str(), "value", money(b.value_pence));
            }
        }
        let e = &self.enforcement;
        for (figure, n) in [
            ("notices_served", e.notices_served),
            ("court_applications", e.court_applications),
            ("orders", e.orders),
            ("warrants", e.warrants),
            ("evictions", e.evictions),
        ] {
            row("enforcement", "", figure, n.to_string());
        }
        for (figure, n) in [
            ("made", self.arrangements.made),
            ("kept", self.arrangements.kept),
            ("broken", self.arrangements.broken),
        ] {
            row("arrangements", "", figure, n.to_string());
        }
        let uc = &self.universal_credit;
        row(
            "universal_credit",
            "",
            "claimants",
            uc.claimants.to_string(),
        );
        row("universal_credit", "", "arrears", money(uc.arrears_pence));
        row(
            "universal_credit",
            "",
            "real_arrears",
            money(uc.real_arrears_pence),
        );
        row(
            "universal_credit",
            "",
            "technical_arrears",
            money(uc.technical_arrears_pence),
        );
        row(
            "universal_credit",
            "",
            "managed_payments",
            uc.managed_payments.to_string(),
        );
        row(
            "direct_debit",
            "",
            "accounts",
            self.direct_debit.accounts.to_string(),
        );
        row(
            "direct_debit",
            "",
            "percent",
            opt(&self.direct_debit.percent),
        );
        for c in &self.contacts {
            row(
                "contacts",
                &format!("{}:{}", c.channel, c.outcome),
                "count",
                c.count.to_string(),
            );
        }
        for w in &self.weeks {
            let item = w.week_start.to_string();
            row("weeks", &item, "rent_due", money(w.rent_due_pence));
            row("weeks", &item, "collected", money(w.collected_pence));
            row(
                "weeks",
                &item,
                "collected_percent",
                opt(&w.collected_percent),
            );
            row(
                "weeks",
                &item,
                "current_arrears",
                money(w.current_arrears_pence),
            );
            row(
                "weeks",
                &item,
                "current_real_arrears",
                money(w.current_real_arrears_pence),
            );
            row(
                "weeks",
                &item,
                "current_arrears_percent_of_rent_roll",
                opt(&w.current_arrears_percent_of_rent_roll),
            );
        }
        let mut out = csv::Writer::from_writer(vec![]);
        let written = std::iter::once(["section", "item", "figure", "value"].map(String::from))
            .chain(rows)
            .try_for_each(|r| out.write_record(r.iter().map(|c| spreadsheet_safe(c).into_owned())));
        match (written, out.into_inner()) {
            (Ok(()), Ok(bytes)) => String::from_utf8(bytes).unwrap_or_default(),
            // Writing to a Vec cannot fail; an empty body would show it did.
            _ => String::new(),
        }
    }
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first: OWASP "CSV injection"; ASVS 5.3.5) gets a leading `'`, so it shows as text.
/// Patch codes come from team leaders and imported files, so any text can reach a cell.
/// A plain number (`-12.34`, an arrears figure) is left alone: it is not a formula, and a
/// finance report must keep its negative numbers numeric.
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.parse::<f64>().is_ok_and(f64::is_finite)
        && cell
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
    if risky && !number {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

impl poem_openapi::types::Example for PerformanceReport {
    fn example() -> PerformanceReport {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default();
        let account = |collected: i64, arrears: i64| kpi::AccountInputs {
            standing: kpi::Standing::Current,
            money: kpi::PeriodMoney {
                rent_due: Pence(19_700),
                collected: Pence(collected),
                written_off: Pence::ZERO,
                arrears_brought_forward: Pence(arrears - 19_700 + collected),
            },
            arrears: Pence(arrears),
            real_arrears: Pence(arrears),
            technical_arrears: Pence::ZERO,
            weeks_in_arrears_hundredths: rentdesk_domain::money::ratio_hundredths(
                Pence(arrears),
                Pence(9_850),
            ),
            annual_rent_debit: Pence(9_850 * 48),
            stage: rentdesk_domain::possession::types::Stage::None,
            uc_claimant: false,
            apa: false,
            direct_debit: collected > 0,
        };
        let figures = kpi::performance(&[account(19_700, 0), account(5_000, 44_325)]);
        let report = Report {
            from: d(2),
            to: d(15),
            figures,
            events: Default::default(),
            contacts: vec![],
            weeks: vec![WeekFigures::new(
                d(2),
                Pence(19_700),
                Pence(14_850),
                Pence(39_400),
                Pence(39_400),
                Pence(945_600),
            )],
        };
        PerformanceReport::of(&report, Some("HD-NORTH".into()), None)
    }
}

/// A non-JSON answer (`$ok` with `$ct`), or the problem.
macro_rules! file_answer {
    ($name:ident, $ct:literal, $doc:literal) => {
        #[derive(ApiResponse)]
        pub enum $name {
            #[doc = $doc]
            #[oai(status = 200, content_type = $ct)]
            Ok(PlainText<String>),
            #[oai(status = 401, content_type = "application/problem+json")]
            Unauthorized(Json<Problem>),
            #[oai(status = 403, content_type = "application/problem+json")]
            Forbidden(Json<Problem>),
            /// Invalid parameters, each named with the reason.
            #[oai(status = 422, content_type = "application/problem+json")]
            Invalid(Json<Problem>),
        }

        impl From<Problem> for $name {
            fn from(p: Problem) -> $name {
                match p.status {
                    401 => $name::Unauthorized(Json(p)),
                    403 => $name::Forbidden(Json(p)),
                    _ => $name::Invalid(Json(p)),
                }
            }
        }
    };
}

file_answer!(
    CsvAnswer,
    "text/csv; charset=utf-8",
    "The figures as CSV with a header row (`section,item,figure,value`)."
);
file_answer!(
    SvgAnswer,
    "image/svg+xml",
    "An SVG line chart of the weekly trend."
);

/// The query every report endpoint takes.
struct Params {
    from: Option<String>,
    to: Option<String>,
    patch: Option<String>,
    officer: Option<i64>,
}

/// Check the parameters, resolve the scope, compute, audit: the report, or the problem.
async fn run(
    state: &AppState,
    auth: &StaffAuth,
    remote: &RemoteAddr,
    p: Params,
    extra: Vec<(String, String)>,
) -> poem::Result<Result<(Report, PerformanceReport), Problem>> {
    let staff = match manager(state, &auth.0).await? {
        Ok(s) => s,
        Err(p) => return Ok(Err(p)),
    };
    let today = state.today();
    let mut errors = extra;
    let mut date = |field: &str, value: Option<&str>| match value {
        None => {
            errors.push((field.to_owned(), "required (YYYY-MM-DD)".to_owned()));
            None
        }
        Some(v) => match rentdesk_domain::time::parse_iso_date(v) {
            Ok(d) => Some(d),
            Err(reason) => {
                errors.push((field.to_owned(), reason));
                None
            }
        },
    };
    let from = date("from", p.from.as_deref());
    let to = date("to", p.to.as_deref());
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(("to".into(), "is before from".into()));
        } else if (t - f).num_days() >= MAX_PERIOD_DAYS {
            errors.push((
                "to".into(),
                format!("a report covers at most {MAX_PERIOD_DAYS} days"),
            ));
        }
    }
    let err = |e: sea_orm::DbErr| Problem::internal(&e);
    let scope = rentdesk_store::reports::report_scope(
        &state.db,
        &staff,
        today,
        p.patch.as_deref(),
        p.officer,
    )
    .await
    .map_err(err)?;
    let ids = match scope {
        Ok(ids) => Some(ids),
        Err(bad) => {
            errors.extend(bad.into_iter().map(|e| (e.field.to_owned(), e.reason)));
            None
        }
    };
    if let Some(problem) = invalid_fields(errors) {
        return Ok(Err(problem));
    }
    let (Some(from), Some(to), Some(ids)) = (from, to, ids) else {
        return Err(Problem::internal(&"checked parameters went missing").into());
    };
    let report = rentdesk_store::reports::performance_report(&state.db, &ids, from, to, today)
        .await
        .map_err(|e| Problem::internal(&e))?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: Actor::Staff(staff.id),
            action: "report.performance.read",
            subject_kind: "report",
            subject_id: None,
            detail: Some(format!(
                "{from}..{to} patch {} officer {} ({} accounts)",
                p.patch.as_deref().unwrap_or("any"),
                p.officer.map_or("any".into(), |o| o.to_string()),
                ids.len()
            )),
            client_addr: client_addr(remote).as_deref(),
        },
    )
    .await
    .map_err(err)?;
    let out = PerformanceReport::of(&report, p.patch, p.officer);
    Ok(Ok((report, out)))
}

/// The weekly trend of one metric as an SVG line chart.
pub fn chart_svg(metric: TrendMetric, weeks: &[WeekFigures]) -> Result<String, String> {
    use plotters::prelude::*;
    let figures: Vec<(NaiveDate, Option<i64>)> = weeks
        .iter()
        .map(|w| (w.week_start, metric.value(w)))
        .collect();
    // Pence and basis points are both hundredths: pounds or percent on the axis. Floats are
    // only chart coordinates here, never money arithmetic.
    let points: Vec<(i32, f64)> = figures
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.map(|v| (i as i32, v as f64 / 100.0)))
        .collect();
    let lo = points.iter().map(|p| p.1).fold(0.0_f64, f64::min);
    let hi = points.iter().map(|p| p.1).fold(1.0_f64, f64::max) * 1.1;
    let last = (figures.len() as i32 - 1).max(1);
    let mut svg = String::new();
    {
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        let root = SVGBackend::with_string(&mut svg, (800, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(metric.title(), ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0..last, lo..hi)
            .map_err(e)?;
        let label = |i: &i32| {
            figures
                .get(*i as usize)
                .map(|(d, _)| d.format("%-d %b %y").to_string())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(figures.len().clamp(2, 12))
            .x_label_formatter(&label)
            .y_desc(match metric {
                TrendMetric::CollectionRate | TrendMetric::ArrearsPercent => "%",
                _ => "£",
            })
            .draw()
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(points, BLUE.stroke_width(2)))
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    Ok(svg)
}

pub struct ReportsApi;

#[OpenApi(prefix_path = "/manage/v1", tag = "ApiTags::Manage")]
impl ReportsApi {
    /// Performance figures
    ///
    /// For the period `from`..`to` (London dates, at most two rent years) over the patches the
    /// caller may see, narrowed to one `patch` (code) or one `officer` (id): rent collected as
    /// a % of rent due (with and without arrears brought forward), current tenant arrears as a
    /// % of the rent roll (real and technical apart), former tenant arrears, accounts and
    /// values by arrears band and by stage, notices, court applications, orders, warrants,
    /// evictions, arrangements made/kept/broken, UC claimants and their arrears, direct-debit
    /// take-up, contacts by channel, and the weekly trend. Team leaders and admins only.
    #[oai(path = "/reports/performance", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn performance(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// First day (YYYY-MM-DD).
        from: Query<Option<String>>,
        /// Last day (YYYY-MM-DD), inclusive.
        to: Query<Option<String>>,
        /// A patch code, e.g. `HD-NORTH`.
        patch: Query<Option<String>>,
        /// A member of staff's id: the patches they hold.
        officer: Query<Option<i64>>,
        /// `json` (default) or `csv`: the CSV is also at `/reports/performance.csv`.
        format: Query<Option<String>>,
    ) -> poem::Result<Answer<PerformanceReport, { OK | FORBIDDEN | INVALID }>> {
        let extra = match format.0.as_deref() {
            None | Some("json") => vec![],
            Some(_) => vec![(
                "format".to_owned(),
                "json here; for CSV use /manage/v1/reports/performance.csv".to_owned(),
            )],
        };
        let params = Params {
            from: from.0,
            to: to.0,
            patch: patch.0,
            officer: officer.0,
        };
        let (_, report) = or_answer!(run(&state, &auth, remote, params, extra).await?);
        Ok(Answer::Ok(Json(report)))
    }

    /// Performance figures as CSV
    ///
    /// The same figures as `/reports/performance`, one per row: `section,item,figure,value`
    /// with money in pounds and percentages as e.g. `97.25`.
    #[oai(path = "/reports/performance.csv", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn performance_csv(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        patch: Query<Option<String>>,
        officer: Query<Option<i64>>,
    ) -> poem::Result<CsvAnswer> {
        let params = Params {
            from: from.0,
            to: to.0,
            patch: patch.0,
            officer: officer.0,
        };
        Ok(match run(&state, &auth, remote, params, vec![]).await? {
            Ok((_, report)) => CsvAnswer::Ok(PlainText(report.to_csv())),
            Err(p) => p.into(),
        })
    }

    /// Weekly trend chart (SVG)
    ///
    /// A line chart of one `metric` per rent week: collection_rate (default), rent_due,
    /// rent_collected, current_arrears, real_arrears, arrears_percent.
    #[oai(path = "/reports/performance/chart.svg", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn performance_chart(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        patch: Query<Option<String>>,
        officer: Query<Option<i64>>,
        /// Default `collection_rate`.
        metric: Query<Option<crate::api::vocab::TrendMetric>>,
    ) -> poem::Result<SvgAnswer> {
        let extra = vec![];
        let metric = metric
            .0
            .map_or(TrendMetric::CollectionRate, TrendMetric::from);
        let params = Params {
            from: from.0,
            to: to.0,
            patch: patch.0,
            officer: officer.0,
        };
        let (report, _) = match run(&state, &auth, remote, params, extra).await? {
            Ok(r) => r,
            Err(p) => return Ok(p.into()),
        };
        let svg = chart_svg(metric, &report.weeks).map_err(|e| Problem::internal(&e))?;
        Ok(SvgAnswer::Ok(PlainText(svg)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_a_spreadsheet_would_run_as_formulas_are_shown_as_text() {
        for (cell, shown) in [
            (
                "=HYPERLINK(\"http://x\",\"click\")",
                "'=HYPERLINK(\"http://x\",\"click\")",
            ),
            ("+44 7700 900123", "'+44 7700 900123"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1", "'\t=1"),
            ("-12.34", "-12.34"),
            ("1234.56", "1234.56"),
            ("HD-NORTH", "HD-NORTH"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), shown, "{cell:?}");
        }
    }

    #[test]
    fn the_chart_draws_one_point_per_week_with_labels_and_no_fonts() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let weeks: Vec<WeekFigures> = [(2, 9_000), (9, 9_500), (16, 8_750)]
            .into_iter()
            .map(|(day, collected)| {
                WeekFigures::new(
                    d(day),
                    Pence(10_000),
                    Pence(collected),
                    Pence(50_000),
                    Pence(50_000),
                    Pence(520_000),
                )
            })
            .collect();
        let svg = chart_svg(TrendMetric::CollectionRate, &weeks).unwrap();
        if std::env::var_os("RENTDESK_PRINT_SVG").is_some() {
            println!("{svg}");
        }
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Rent collected as % of rent due"), "{svg}");
        assert!(svg.contains("9 Nov 26"), "week labels: {svg}");
        let line = svg
            .split("<polyline")
            .find(|l| l.contains("#0000FF"))
            .expect("the series");
        let points = line.split("points=\"").nth(1).unwrap();
        let points = points.split('"').next().unwrap();
        assert_eq!(points.split_whitespace().count(), 3, "{line}");
    }
}
