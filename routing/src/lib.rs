//! The day's visit route: in which order an officer should make the day's home visits, from the
//! base and back, when they will reach each door, and which visits cannot fit and why. A day
//! re-planned while under way sets off from where the officer is (an [`Origin`]: the last visit
//! they made) and still ends at the base.
//!
//! Pure: the visits, the base, the working day and the travel model come in as arguments; no
//! clock, no IO. Travel is estimated from coordinates: the great-circle (haversine) distance
//! times a road-distance factor, driven at a constant speed. The order is found by a real
//! vehicle-routing solver (`vrp-core`, a ruin-and-recreate evolutionary metaheuristic) with the
//! appointment windows and the end of the working day as hard constraints; a visit the solver
//! cannot place is listed with the reason. The search is seeded but not exactly repeatable (see
//! `SeededRandom`).
//!
//! Times are London wall-clock times on the visit date (a route never spans the 01:00/02:00
//! clock change, so seconds since midnight are exact).

use chrono::{NaiveTime, Timelike};
use std::fmt;
use std::sync::{Arc, Mutex};
use vrp_core::models::common::TimeWindow;
use vrp_core::prelude::*;
use vrp_core::rosomaxa::evolution::TelemetryMode;
use vrp_core::rosomaxa::utils::{Parallelism, RandomGen, TimeQuota};
use vrp_core::solver::get_static_heuristic;

/// A point in decimal degrees (WGS84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// A point, if both coordinates are finite and in range.
    pub fn parse(lat: f64, lon: f64) -> Result<LatLon, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err("latitude must be between -90 and 90".into());
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err("longitude must be between -180 and 180".into());
        }
        Ok(LatLon { lat, lon })
    }
}

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine formula).
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// An appointment agreed with the tenant: the officer arrives no earlier than `start` and no
/// later than `end` (London time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    start: NaiveTime,
    end: NaiveTime,
}

impl Window {
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Window, String> {
        if start >= end {
            return Err(format!(
                "the window's start {} must be before its end {}",
                hm(start),
                hm(end)
            ));
        }
        Ok(Window { start, end })
    }

    /// From "HH:MM" strings, e.g. `Window::parse("10:00", "11:00")`.
    pub fn parse(start: &str, end: &str) -> Result<Window, String> {
        Window::new(parse_hm(start)?, parse_hm(end)?)
    }

    pub fn start(&self) -> NaiveTime {
        self.start
    }

    pub fn end(&self) -> NaiveTime {
        self.end
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", hm(self.start), hm(self.end))
    }
}

/// "HH:MM" (24-hour) to a time.
pub fn parse_hm(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| format!("{s:?} is not a time HH:MM (24-hour, e.g. 09:30)"))
}

/// A time as "HH:MM".
pub fn hm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// Where routes start and end, how fast officers travel and the working day.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSettings {
    /// The office every route leaves from and returns to.
    pub base: LatLon,
    /// Average door-to-door speed, km/h.
    pub speed_kmh: f64,
    /// Road distance ÷ straight-line distance (≈1.3 in UK towns).
    pub road_factor: f64,
    /// When the officer leaves the base.
    pub day_start: NaiveTime,
    /// When the officer must be back at the base.
    pub day_end: NaiveTime,
    /// A visit's length when none is given.
    pub visit_minutes: u32,
}

impl Default for RouteSettings {
    /// Huddersfield: the civic centre as the base, 30 km/h in town, roads 1.3× the straight
    /// line, a working day of 08:30–17:00 and 30-minute visits.
    fn default() -> RouteSettings {
        RouteSettings {
            base: LatLon {
                lat: 53.6458,
                lon: -1.7850,
            },
            speed_kmh: 30.0,
            road_factor: 1.3,
            day_start: NaiveTime::from_hms_opt(8, 30, 0).unwrap_or(NaiveTime::MIN),
            day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            visit_minutes: 30,
        }
    }
}

impl RouteSettings {
    /// Estimated road distance (metres) and travel time (seconds) from `a` to `b`.
    pub fn travel(&self, a: LatLon, b: LatLon) -> (f64, f64) {
        let metres = haversine_m(a, b) * self.road_factor;
        (metres, metres / (self.speed_kmh * 1000.0 / 3600.0))
    }
}

/// Where a re-planned route sets off from when the officer is not at the base: mid-day they are
/// at the last visit they made, so the first leg, every arrival time and which visits still fit
/// are reckoned from there. The route still ends at the base.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub at: LatLon,
    /// Names the place in reasons, e.g. "the visit to HD1001" gives "cannot be reached from
    /// the visit to HD1001 before it closes".
    pub name: String,
}

/// Where a route sets off from and what reasons call it: the origin, or the base.
fn setting_off<'a>(origin: Option<&'a Origin>, settings: &RouteSettings) -> (LatLon, &'a str) {
    origin.map_or((settings.base, "the base"), |o| (o.at, o.name.as_str()))
}

/// How long the solver may search. Generations bound the work; the time limit bounds the wait
/// whatever the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverLimits {
    /// Per search.
    pub max_generations: usize,
    /// For all the searches together.
    pub max_seconds: f64,
    pub seed: u64,
    /// Independent searches (seeds `seed`, `seed + 1`, …); the best is kept.
    pub restarts: usize,
}

impl Default for SolverLimits {
    /// What the API uses: well under 2 s for a full day (see bench/results/route.md).
    fn default() -> SolverLimits {
        SolverLimits {
            max_generations: 1000,
            max_seconds: 1.5,
            seed: 1,
            restarts: 3,
        }
    }
}

/// One visit to place in the day.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitToPlan {
    /// The property's coordinates, if known.
    pub location: Option<LatLon>,
    pub window: Option<Window>,
    pub minutes: u32,
}

/// A visit in the planned order.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// Index into the visits given to [`plan`].
    pub visit: usize,
    /// Travel from the previous stop (or from where the route sets off: the base, or the
    /// origin of a re-plan).
    pub travel_minutes: u32,
    pub distance_m: u32,
    /// When the officer gets there.
    pub arrives: NaiveTime,
    /// When the visit starts: on arrival, or at the window's opening if early.
    pub eta: NaiveTime,
    pub wait_minutes: u32,
    pub departs: NaiveTime,
}

/// A visit left out of the day, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unplanned {
    pub visit: usize,
    pub reason: String,
}

/// The planned day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRoute {
    /// When the officer sets off: from the base, or from the origin of a re-plan.
    pub leaves_base: NaiveTime,
    pub stops: Vec<Stop>,
    /// The drive from the last stop back to the base.
    pub return_travel_minutes: u32,
    pub return_distance_m: u32,
    pub back_at_base: NaiveTime,
    pub total_travel_minutes: u32,
    /// The solver's objective: road metres driven, from where the route sets off to the base.
    pub total_distance_m: f64,
    /// In the order the visits were given.
    pub unplanned: Vec<Unplanned>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RouteError {
    #[error("the working day must start before it ends")]
    EmptyDay,
    #[error("travel speed and road factor must be positive")]
    BadTravel,
    #[error("route solver: {0}")]
    Solver(String),
}

/// A visit the solver sees: its location index in the matrix (0 is the base, then the origin
/// if there is one) and times in seconds since midnight.
struct Job {
    visit: usize,
    location: usize,
    service: f64,
    window: Option<(f64, f64)>,
}

/// Road distances (m) and travel times (s) between the base (0), the origin of a re-plan (its
/// own point, when there is one) and the visits. Routes set off from `start` and end at the
/// base.
struct Matrix {
    size: usize,
    metres: Vec<f64>,
    seconds: Vec<f64>,
    start: usize,
}

impl Matrix {
    fn new(points: &[LatLon], settings: &RouteSettings) -> Matrix {
        let size = points.len();
        let mut metres = Vec::with_capacity(size * size);
        let mut seconds = Vec::with_capacity(size * size);
        for a in points {
            for b in points {
                let (m, s) = settings.travel(*a, *b);
                metres.push(m);
                seconds.push(s);
            }
        }
        Matrix {
            size,
            metres,
            seconds,
            start: 0,
        }
    }

    /// The same points, routes setting off from point `start` instead of the base.
    fn starting_at(self, start: usize) -> Matrix {
        Matrix { start, ..self }
    }

    fn metres(&self, from: usize, to: usize) -> f64 {
        self.metres[from * self.size + to]
    }

    fn seconds(&self, from: usize, to: usize) -> f64 {
        self.seconds[from * self.size + to]
    }
}

fn secs(t: NaiveTime) -> f64 {
    f64::from(t.num_seconds_from_midnight())
}

/// Seconds since midnight to the nearest minute.
fn clock(seconds: f64) -> NaiveTime {
    let minutes = (seconds / 60.0).round().clamp(0.0, 1439.0) as u32;
    NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap_or(NaiveTime::MIN)
}

fn whole_minutes(seconds: f64) -> u32 {
    (seconds / 60.0).round().max(0.0) as u32
}

/// Why a visit cannot be made even if it were the only one that day, setting off from the
/// origin (or the base) at the start of the day and back to the base; `None` if it could.
fn alone_reason(v: &VisitToPlan, s: &RouteSettings, origin: Option<&Origin>) -> Option<String> {
    let Some(at) = v.location else {
        return Some("no coordinates for this address".into());
    };
    let (day_start, day_end) = (secs(s.day_start), secs(s.day_end));
    let (from, from_name) = setting_off(origin, s);
    let (_, out) = s.travel(from, at);
    let (_, back) = s.travel(at, s.base);
    let earliest = day_start + out;
    let service = f64::from(v.minutes) * 60.0;
    let day = format!("{}–{}", hm(s.day_start), hm(s.day_end));
    let start = match v.window {
        Some(w) if secs(w.end) < day_start || secs(w.start) >= day_end => {
            return Some(format!("window {w} is outside the working day {day}"));
        }
        Some(w) if earliest > secs(w.end) => {
            return Some(format!(
                "window {w} cannot be reached from {from_name} before it closes (the earliest \
                 arrival is {})",
                hm(clock(earliest))
            ));
        }
        Some(w) => earliest.max(secs(w.start)),
        None => earliest,
    };
    (start + service + back > day_end).then(|| {
        format!(
            "does not fit before the end of the working day {}",
            hm(s.day_end)
        )
    })
}

/// Plan the day: the visits in an order that drives the least, keeping every appointment
/// window and returning to the base by the end of the working day. Visits that cannot be fitted
/// are listed in `unplanned` with the reason.
pub fn plan(
    visits: &[VisitToPlan],
    settings: &RouteSettings,
    limits: &SolverLimits,
) -> Result<DayRoute, RouteError> {
    plan_setting_off(visits, settings, limits, None)
}

/// [`plan`], setting off from `origin` (if given) at the start of the day.
fn plan_setting_off(
    visits: &[VisitToPlan],
    settings: &RouteSettings,
    limits: &SolverLimits,
    origin: Option<&Origin>,
) -> Result<DayRoute, RouteError> {
    if settings.day_start >= settings.day_end {
        return Err(RouteError::EmptyDay);
    }
    if !(settings.speed_kmh > 0.0 && settings.road_factor > 0.0) {
        return Err(RouteError::BadTravel);
    }
    let mut unplanned = vec![];
    let mut points = vec![settings.base];
    if let Some(o) = origin {
        points.push(o.at);
    }
    let start = points.len() - 1;
    let mut jobs = vec![];
    for (i, v) in visits.iter().enumerate() {
        match (alone_reason(v, settings, origin), v.location) {
            (None, Some(at)) => {
                points.push(at);
                jobs.push(Job {
                    visit: i,
                    location: points.len() - 1,
                    service: f64::from(v.minutes) * 60.0,
                    window: v.window.map(|w| (secs(w.start), secs(w.end))),
                });
            }
            (reason, _) => unplanned.push(Unplanned {
                visit: i,
                reason: reason.unwrap_or_else(|| "no coordinates for this address".into()),
            }),
        }
    }
    let matrix = Matrix::new(&points, settings).starting_at(start);
    let order = match jobs.len() {
        0 => vec![],
        // One visit that fits alone needs no search.
        1 => vec![0],
        _ => best_of_restarts(&jobs, &matrix, settings, limits)?,
    };
    let route = schedule(&order, &jobs, &matrix, secs(settings.day_start));
    for (k, job) in jobs.iter().enumerate() {
        if !order.contains(&k) {
            let end = hm(settings.day_end);
            let reason = match visits[job.visit].window {
                Some(w) => format!(
                    "window {w} cannot be kept alongside the other visits and appointments \
                     before the end of the working day {end}"
                ),
                None => format!(
                    "does not fit before the end of the working day {end} alongside the other \
                     visits"
                ),
            };
            unplanned.push(Unplanned {
                visit: job.visit,
                reason,
            });
        }
    }
    unplanned.sort_by_key(|u| u.visit);
    Ok(DayRoute {
        leaves_base: settings.day_start,
        unplanned,
        ..route
    })
}

/// Re-plan a day already under way (issue 7: "adding or cancelling a visit re-plans"): the
/// same as [`plan`], but the officer leaves the base at `from` (now, or a time they give)
/// instead of the start of the working day. Visits whose appointment window closed before
/// `from` are listed with that reason; from the end of the working day on nothing fits.
/// `from` at or before the start of the working day is a plain [`plan`]. The caller gives only
/// the visits still to make (those done are not re-planned).
pub fn plan_from(
    visits: &[VisitToPlan],
    settings: &RouteSettings,
    limits: &SolverLimits,
    from: NaiveTime,
) -> Result<DayRoute, RouteError> {
    plan_from_origin(visits, settings, limits, from, None)
}

/// [`plan_from`], the officer setting off from `origin` (where they are: the last visit they
/// made) instead of the base; the route still ends at the base. Without an origin it is
/// exactly [`plan_from`]. With one and `from` at or before the start of the working day, the
/// whole day is planned from the origin.
pub fn plan_from_origin(
    visits: &[VisitToPlan],
    settings: &RouteSettings,
    limits: &SolverLimits,
    from: NaiveTime,
    origin: Option<&Origin>,
) -> Result<DayRoute, RouteError> {
    if from <= settings.day_start {
        return plan_setting_off(visits, settings, limits, origin);
    }
    if settings.day_start >= settings.day_end {
        return Err(RouteError::EmptyDay);
    }
    if from >= settings.day_end {
        let reason = format!(
            "the working day ended at {} (re-planned from {})",
            hm(settings.day_end),
            hm(from)
        );
        // Nothing to visit: only the drive back to the base from wherever the officer is.
        let (metres, seconds) = match origin {
            Some(o) => settings.travel(o.at, settings.base),
            None => (0.0, 0.0),
        };
        let back = clock(secs(from) + seconds);
        return Ok(DayRoute {
            leaves_base: from,
            stops: vec![],
            return_travel_minutes: whole_minutes(seconds),
            return_distance_m: metres.round() as u32,
            back_at_base: if origin.is_some() { back } else { from },
            total_travel_minutes: whole_minutes(seconds),
            total_distance_m: metres,
            unplanned: (0..visits.len())
                .map(|visit| Unplanned {
                    visit,
                    reason: reason.clone(),
                })
                .collect(),
        });
    }
    let rest = RouteSettings {
        day_start: from,
        ..settings.clone()
    };
    let (mut still, mut closed) = (vec![], vec![]);
    for (i, v) in visits.iter().enumerate() {
        match v.window {
            Some(w) if w.end < from => closed.push(Unplanned {
                visit: i,
                reason: format!("window {w} closed before the re-plan from {}", hm(from)),
            }),
            _ => still.push(i),
        }
    }
    let subset: Vec<VisitToPlan> = still.iter().map(|&i| visits[i].clone()).collect();
    let mut route = plan_setting_off(&subset, &rest, limits, origin)?;
    for stop in &mut route.stops {
        stop.visit = still[stop.visit];
    }
    for u in &mut route.unplanned {
        u.visit = still[u.visit];
    }
    route.unplanned.extend(closed);
    route.unplanned.sort_by_key(|u| u.visit);
    Ok(route)
}

/// Independent searches from different seeds, each with its share of the time; the best order
/// (most visits, then fewest metres). One search sometimes settles in a poor local optimum
/// (bench/results/route.md); the best of three rarely does.
fn best_of_restarts(
    jobs: &[Job],
    matrix: &Matrix,
    settings: &RouteSettings,
    limits: &SolverLimits,
) -> Result<Vec<usize>, RouteError> {
    let restarts = limits.restarts.max(1);
    let day_start = secs(settings.day_start);
    let mut best: Option<(Vec<usize>, f64)> = None;
    for r in 0..restarts {
        let order = solve(
            jobs,
            matrix,
            settings,
            &SolverLimits {
                seed: limits.seed.wrapping_add(r as u64),
                max_seconds: limits.max_seconds / restarts as f64,
                ..limits.clone()
            },
        )?;
        let metres = schedule(&order, jobs, matrix, day_start).total_distance_m;
        let better = best
            .as_ref()
            .is_none_or(|(b, m)| order.len() > b.len() || (order.len() == b.len() && metres < *m));
        if better {
            best = Some((order, metres));
        }
    }
    Ok(best.map(|(order, _)| order).unwrap_or_default())
}

/// Times along `order` (indices into `jobs`): set off from the matrix's start (the base, or the
/// origin of a re-plan) at `day_start`, wait for a window to open, return to the base.
fn schedule(order: &[usize], jobs: &[Job], m: &Matrix, day_start: f64) -> DayRoute {
    let (mut now, mut at, mut metres, mut driving) = (day_start, m.start, 0.0, 0.0);
    let mut stops = vec![];
    for &k in order {
        let job = &jobs[k];
        let (d, t) = (m.metres(at, job.location), m.seconds(at, job.location));
        let arrives = now + t;
        let starts = job.window.map_or(arrives, |(open, _)| arrives.max(open));
        let departs = starts + job.service;
        stops.push(Stop {
            visit: job.visit,
            travel_minutes: whole_minutes(t),
            distance_m: d.round() as u32,
            arrives: clock(arrives),
            eta: clock(starts),
            wait_minutes: whole_minutes(starts - arrives),
            departs: clock(departs),
        });
        (now, at) = (departs, job.location);
        metres += d;
        driving += t;
    }
    let (d, t) = (m.metres(at, 0), m.seconds(at, 0));
    DayRoute {
        leaves_base: clock(day_start),
        stops,
        return_travel_minutes: whole_minutes(t),
        return_distance_m: d.round() as u32,
        back_at_base: clock(now + t),
        total_travel_minutes: whole_minutes(driving + t),
        total_distance_m: metres + d,
        unplanned: vec![],
    }
}

/// vrp-core's randomness from one seed, on a fresh single-thread pool (see `solve`). This fixes
/// the random draws, but the search is still not exactly repeatable: vrp-core's operators also
/// react to time spent (and the time limit may cut a search short), so two runs can differ
/// slightly; every answer keeps every window and the end of the day.
struct SeededRandom(Mutex<rand::rngs::SmallRng>);

impl SeededRandom {
    fn new(seed: u64) -> SeededRandom {
        use rand::SeedableRng;
        SeededRandom(Mutex::new(rand::rngs::SmallRng::seed_from_u64(seed)))
    }

    fn with<T>(&self, f: impl FnOnce(&mut rand::rngs::SmallRng) -> T) -> T {
        let mut rng = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut rng)
    }
}

impl Random for SeededRandom {
    fn uniform_int(&self, min: i32, max: i32) -> i32 {
        use rand::Rng;
        if min >= max {
            return min;
        }
        self.with(|r| r.gen_range(min..=max))
    }

    fn uniform_real(&self, min: Float, max: Float) -> Float {
        use rand::Rng;
        if (max - min).abs() < Float::EPSILON || min > max {
            return min;
        }
        self.with(|r| r.gen_range(min..max))
    }

    fn is_head_not_tails(&self) -> bool {
        use rand::Rng;
        self.with(|r| r.gen_bool(0.5))
    }

    fn is_hit(&self, probability: Float) -> bool {
        use rand::Rng;
        if !probability.is_finite() {
            return false;
        }
        self.with(|r| r.gen_bool(probability.clamp(0.0, 1.0)))
    }

    fn weighted(&self, weights: &[usize]) -> usize {
        // As rosomaxa's DefaultRandom: sample Exp(weight) per index, take the smallest.
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| (-self.uniform_real(0.0, 1.0).ln() / w.max(1) as Float, i))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map_or(0, |(_, i)| i)
    }

    fn get_rng(&self) -> RandomGen {
        // rosomaxa only hands out its own thread-local generators; the repeatable one starts
        // from a fixed seed on each new thread, and `solve` runs on a new thread every time.
        RandomGen::new_repeatable()
    }
}

/// The order (indices into `jobs`) vrp-core finds; jobs it leaves out are missing.
fn solve(
    jobs: &[Job],
    m: &Matrix,
    settings: &RouteSettings,
    limits: &SolverLimits,
) -> Result<Vec<usize>, RouteError> {
    let err = |e: GenericError| RouteError::Solver(e.to_string());
    // A dedicated one-thread pool: vrp-core's parallel steps stay on it (no fight with the
    // server's threads) and the search is repeatable for a seed.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| RouteError::Solver(e.to_string()))?;
    let order = pool.install(|| -> GenericResult<Vec<usize>> {
        let transport: Arc<dyn TransportCost> = Arc::new(SimpleTransportCost::new(
            m.seconds.clone(),
            m.metres.clone(),
        )?);
        let built = jobs
            .iter()
            .enumerate()
            .map(|(k, job)| {
                let mut b = SingleBuilder::default()
                    .id(&k.to_string())
                    .location(job.location)?
                    .duration(job.service)?;
                if let Some((open, close)) = job.window {
                    b = b.times(vec![TimeWindow::new(open, close)])?;
                }
                b.build_as_job()
            })
            .collect::<GenericResult<Vec<_>>>()?;
        let officer = VehicleBuilder::default()
            .id("officer")
            .add_detail(
                VehicleDetailBuilder::default()
                    // Sets off from where the officer is (the base, or the origin of a
                    // re-plan); always ends at the base.
                    .set_start_location(m.start)
                    .set_start_time(secs(settings.day_start))
                    .set_end_location(0)
                    .set_end_time(secs(settings.day_end))
                    .build()?,
            )
            .build()?;
        // Lexicographic goal: as many visits as possible, then the fewest road metres; time
        // windows and the end of the day are hard constraints of the transport feature.
        let goal = GoalContextBuilder::with_features(&[
            MinimizeUnassignedBuilder::new("min-unassigned").build()?,
            TransportFeatureBuilder::new("min-distance")
                .set_transport_cost(transport.clone())
                .set_time_constrained(true)
                .build_minimize_distance()?,
        ])?
        .build()?;
        let problem = Arc::new(
            ProblemBuilder::default()
                .add_jobs(built.into_iter())
                .add_vehicles(std::iter::once(officer))
                .with_goal(goal)
                .with_transport_cost(transport)
                .with_logger(Arc::new(|_: &str| {}))
                .build()?,
        );
        let environment = Arc::new(Environment::new(
            Arc::new(SeededRandom::new(limits.seed)),
            Some(Arc::new(TimeQuota::new(limits.max_seconds))),
            Parallelism::new_with_cpus(1),
            Arc::new(|_: &str| {}),
            false,
        ));
        let heuristic = get_static_heuristic(problem.clone(), environment.clone());
        let config = VrpConfigBuilder::new(problem.clone())
            .set_heuristic(Box::new(heuristic))
            .set_environment(environment)
            .set_telemetry_mode(TelemetryMode::None)
            .prebuild()?
            .with_max_generations(Some(limits.max_generations))
            .build()?;
        let solution = Solver::new(problem, config).solve()?;
        let mut order = vec![];
        for route in &solution.routes {
            for activity in route.tour.all_activities() {
                if activity.job.is_some()
                    && let Some(k) = jobs
                        .iter()
                        .position(|j| j.location == activity.place.location)
                {
                    order.push(k);
                }
            }
        }
        Ok(order)
    });
    order.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        parse_hm(s).unwrap()
    }

    fn settings() -> RouteSettings {
        RouteSettings::default()
    }

    fn limits() -> SolverLimits {
        SolverLimits {
            max_generations: 300,
            max_seconds: 20.0,
            seed: 7,
            restarts: 2,
        }
    }

    /// `n` points on a ring `radius_m` around the base, in a scrambled order.
    fn ring(n: usize, radius_m: f64) -> Vec<LatLon> {
        let base = settings().base;
        let mut points: Vec<LatLon> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                LatLon {
                    lat: base.lat + radius_m * a.sin() / 111_320.0,
                    lon: base.lon + radius_m * a.cos() / (111_320.0 * base.lat.to_radians().cos()),
                }
            })
            .collect();
        // Every third point, then the rest: an order that zig-zags across the ring.
        points.sort_by_key(|p| {
            let i = ((p.lat - base.lat).atan2(p.lon - base.lon) * 1000.0) as i64;
            (i % 3, i)
        });
        points
    }

    fn visit(at: LatLon, window: Option<(&str, &str)>, minutes: u32) -> VisitToPlan {
        VisitToPlan {
            location: Some(at),
            window: window.map(|(a, b)| Window::parse(a, b).unwrap()),
            minutes,
        }
    }

    #[test]
    fn haversine_is_right_for_a_known_distance() {
        // Huddersfield civic centre to Leeds station: about 23 km as the crow flies.
        let d = haversine_m(
            LatLon {
                lat: 53.6458,
                lon: -1.7850,
            },
            LatLon {
                lat: 53.7950,
                lon: -1.5474,
            },
        );
        assert!((d - 23_000.0).abs() < 2_500.0, "{d}");
        let p = LatLon {
            lat: 53.0,
            lon: -1.0,
        };
        assert_eq!(haversine_m(p, p), 0.0);
    }

    #[test]
    fn travel_is_road_factor_times_straight_line_at_the_speed() {
        let s = settings();
        let east = LatLon {
            lat: s.base.lat,
            lon: s.base.lon + 0.03,
        };
        let (m, secs) = s.travel(s.base, east);
        let straight = haversine_m(s.base, east);
        assert!((m - straight * 1.3).abs() < 1e-6);
        assert!((secs - m / (30_000.0 / 3600.0)).abs() < 1e-6);
    }

    #[test]
    fn windows_must_run_forwards() {
        assert!(Window::parse("10:00", "09:00").is_err());
        assert!(Window::parse("10:00", "10:00").is_err());
        assert!(Window::parse("10", "11:00").is_err());
        assert_eq!(
            Window::parse("09:00", "09:15").unwrap().to_string(),
            "09:00–09:15"
        );
    }

    #[test]
    fn the_solved_order_drives_less_than_the_order_given() {
        let s = settings();
        let visits: Vec<VisitToPlan> = ring(10, 2500.0)
            .into_iter()
            .map(|p| visit(p, None, 15))
            .collect();
        let route = plan(&visits, &s, &limits()).unwrap();
        assert!(route.unplanned.is_empty(), "{:?}", route.unplanned);
        assert_eq!(route.stops.len(), 10);
        // The same visits in the order given.
        let mut points = vec![s.base];
        points.extend(visits.iter().map(|v| v.location.unwrap()));
        let m = Matrix::new(&points, &s);
        let jobs: Vec<Job> = (0..10)
            .map(|i| Job {
                visit: i,
                location: i + 1,
                service: 900.0,
                window: None,
            })
            .collect();
        let given = schedule(&(0..10).collect::<Vec<_>>(), &jobs, &m, secs(s.day_start));
        assert!(
            route.total_distance_m < given.total_distance_m * 0.8,
            "solved {} m vs given {} m",
            route.total_distance_m,
            given.total_distance_m
        );
        // Around a ring the best tour is close to its circumference plus two radii.
        let ideal = (std::f64::consts::TAU * 2500.0 + 2.0 * 2500.0) * 1.3;
        assert!(
            route.total_distance_m < ideal * 1.05,
            "{}",
            route.total_distance_m
        );
    }

    #[test]
    fn every_appointment_window_is_kept_and_the_day_ends_on_time() {
        let s = settings();
        let points = ring(12, 3000.0);
        let windows = [
            (0, ("09:00", "09:30")),
            (4, ("13:00", "13:30")),
            (7, ("10:30", "11:00")),
            (9, ("15:00", "16:00")),
        ];
        let visits: Vec<VisitToPlan> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let w = windows.iter().find(|(k, _)| *k == i).map(|(_, w)| *w);
                visit(*p, w, 20)
            })
            .collect();
        let route = plan(&visits, &s, &limits()).unwrap();
        assert!(route.unplanned.is_empty(), "{:?}", route.unplanned);
        for stop in &route.stops {
            if let Some(w) = visits[stop.visit].window {
                assert!(
                    stop.eta >= w.start() && stop.eta <= w.end(),
                    "visit {} starts {} outside {w}",
                    stop.visit,
                    stop.eta
                );
            }
            assert!(stop.arrives <= stop.eta);
        }
        assert!(route.back_at_base <= s.day_end);
        // Stops follow one another in time.
        for pair in route.stops.windows(2) {
            assert!(pair[0].departs <= pair[1].arrives);
        }
    }

    #[test]
    fn an_unreachable_window_is_listed_with_the_reason() {
        let s = settings();
        let far = LatLon {
            lat: s.base.lat + 0.1, // ~11 km north: ~29 minutes' drive at 30 km/h × 1.3
            lon: s.base.lon,
        };
        let near = LatLon {
            lat: s.base.lat + 0.01,
            lon: s.base.lon,
        };
        let visits = vec![
            visit(near, None, 30),
            visit(far, Some(("08:30", "08:45")), 30),
            VisitToPlan {
                location: None,
                window: None,
                minutes: 30,
            },
            visit(near, Some(("18:00", "19:00")), 30),
            visit(near, Some(("16:50", "17:00")), 30),
        ];
        let route = plan(&visits, &s, &limits()).unwrap();
        assert_eq!(route.stops.len(), 1);
        assert_eq!(route.stops[0].visit, 0);
        let reasons: Vec<(usize, &str)> = route
            .unplanned
            .iter()
            .map(|u| (u.visit, u.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert_eq!(reasons[0].0, 1);
        assert!(
            reasons[0]
                .1
                .starts_with("window 08:30–08:45 cannot be reached from the base before it closes"),
            "{}",
            reasons[0].1
        );
        assert_eq!(reasons[1], (2, "no coordinates for this address"));
        assert_eq!(
            reasons[2],
            (
                3,
                "window 18:00–19:00 is outside the working day 08:30–17:00"
            )
        );
        assert_eq!(
            reasons[3],
            (4, "does not fit before the end of the working day 17:00")
        );
    }

    #[test]
    fn a_day_under_way_is_replanned_from_the_time_given() {
        let s = settings();
        let near = |k: f64| LatLon {
            lat: s.base.lat + 0.01 * k,
            lon: s.base.lon,
        };
        let visits = vec![
            visit(near(1.0), Some(("09:00", "09:30")), 30),
            visit(near(2.0), None, 30),
            visit(near(1.5), Some(("11:30", "12:00")), 30),
            visit(near(3.0), Some(("10:30", "11:05")), 30),
        ];
        let route = plan_from(&visits, &s, &limits(), t("11:00")).unwrap();
        assert_eq!(route.leaves_base, t("11:00"));
        let mut planned: Vec<usize> = route.stops.iter().map(|x| x.visit).collect();
        planned.sort_unstable();
        assert_eq!(planned, vec![1, 2]);
        assert!(route.stops.iter().all(|x| x.arrives > t("11:00")));
        let reasons: Vec<(usize, &str)> = route
            .unplanned
            .iter()
            .map(|u| (u.visit, u.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(
            reasons[0],
            (0, "window 09:00–09:30 closed before the re-plan from 11:00")
        );
        // Still open at 11:00, but too far to reach before 11:05.
        assert_eq!(reasons[1].0, 3);
        assert!(
            reasons[1]
                .1
                .contains("cannot be reached from the base before it closes"),
            "{}",
            reasons[1].1
        );
    }

    #[test]
    fn a_replan_before_the_day_starts_is_the_plain_plan_and_after_it_ends_holds_nothing() {
        let s = settings();
        let at = LatLon {
            lat: s.base.lat + 0.01,
            lon: s.base.lon,
        };
        let visits = vec![visit(at, None, 30)];
        let early = plan_from(&visits, &s, &limits(), t("07:00")).unwrap();
        assert_eq!(early.leaves_base, s.day_start);
        assert_eq!(early.stops.len(), 1);
        let late = plan_from(&visits, &s, &limits(), t("17:30")).unwrap();
        assert!(late.stops.is_empty());
        assert_eq!(
            late.unplanned,
            vec![Unplanned {
                visit: 0,
                reason: "the working day ended at 17:00 (re-planned from 17:30)".into()
            }]
        );
    }

    #[test]
    fn too_many_visits_for_one_day_leaves_some_out_with_the_reason() {
        let s = settings();
        // 12 one-hour visits cannot fit in 8½ hours.
        let visits: Vec<VisitToPlan> = ring(12, 1500.0)
            .into_iter()
            .map(|p| visit(p, None, 60))
            .collect();
        let route = plan(&visits, &s, &limits()).unwrap();
        assert_eq!(route.stops.len() + route.unplanned.len(), 12);
        assert!(route.stops.len() >= 7, "{}", route.stops.len());
        assert!(!route.unplanned.is_empty());
        for u in &route.unplanned {
            assert_eq!(
                u.reason,
                "does not fit before the end of the working day 17:00 alongside the other visits"
            );
        }
        assert!(route.back_at_base <= s.day_end);
    }

    #[test]
    fn two_appointments_at_the_same_time_far_apart_cannot_both_be_kept() {
        let s = settings();
        let north = LatLon {
            lat: s.base.lat + 0.04,
            lon: s.base.lon,
        };
        let south = LatLon {
            lat: s.base.lat - 0.04,
            lon: s.base.lon,
        };
        let visits = vec![
            visit(north, Some(("10:00", "10:10")), 30),
            visit(south, Some(("10:00", "10:10")), 30),
        ];
        let route = plan(&visits, &s, &limits()).unwrap();
        assert_eq!(route.stops.len(), 1);
        assert_eq!(route.unplanned.len(), 1);
        assert!(
            route.unplanned[0]
                .reason
                .starts_with("window 10:00–10:10 cannot be kept alongside the other visits"),
            "{}",
            route.unplanned[0].reason
        );
    }

    /// About 11 km north of the base: ~29 minutes' drive at 30 km/h × 1.3.
    fn far_origin(s: &RouteSettings) -> Origin {
        Origin {
            at: LatLon {
                lat: s.base.lat + 0.1,
                lon: s.base.lon,
            },
            name: "the visit to HD1001".into(),
        }
    }

    fn minutes_between(s: &RouteSettings, a: LatLon, b: LatLon) -> u32 {
        whole_minutes(s.travel(a, b).1)
    }

    #[test]
    fn a_replan_from_far_away_orders_and_times_the_day_from_there() {
        let s = settings();
        let origin = far_origin(&s);
        let north = |k: f64| LatLon {
            lat: s.base.lat + 0.01 * k,
            lon: s.base.lon,
        };
        // Two visits on the way back from the origin to the base, given nearest the base first.
        let visits = vec![visit(north(2.0), None, 30), visit(north(8.0), None, 30)];
        let from = t("12:00");
        let route = plan_from_origin(&visits, &s, &limits(), from, Some(&origin)).unwrap();
        assert!(route.unplanned.is_empty(), "{:?}", route.unplanned);
        assert_eq!(route.leaves_base, from);
        // On the way home: the one near the origin first.
        let order: Vec<usize> = route.stops.iter().map(|x| x.visit).collect();
        assert_eq!(order, vec![1, 0]);
        let first = &route.stops[0];
        let leg = s.travel(origin.at, north(8.0));
        assert_eq!(first.travel_minutes, whole_minutes(leg.1));
        assert_eq!(first.distance_m, leg.0.round() as u32);
        assert_eq!(first.arrives, clock(secs(from) + leg.1));
        // ~5 minutes from the origin, where from the base it would be ~24.
        assert!(first.travel_minutes <= 6, "{first:?}");
        assert!(minutes_between(&s, s.base, north(8.0)) >= 20);
        // The return leg still ends at the base, from the last stop.
        let back = s.travel(north(2.0), s.base);
        assert_eq!(route.return_travel_minutes, whole_minutes(back.1));
        assert_eq!(route.return_distance_m, back.0.round() as u32);
        let departs = secs(from) + leg.1 + 1800.0 + s.travel(north(8.0), north(2.0)).1 + 1800.0;
        assert_eq!(route.back_at_base, clock(departs + back.1));
        // Origin to base, straight down the line through both visits.
        let straight = s.travel(origin.at, s.base).0;
        assert!(
            (route.total_distance_m - straight).abs() < 1.0,
            "{} vs {straight}",
            route.total_distance_m
        );
        // Without an origin the same re-plan sets off from the base.
        let from_base = plan_from(&visits, &s, &limits(), from).unwrap();
        let first = &from_base.stops[0];
        let leg = s.travel(s.base, visits[first.visit].location.unwrap());
        assert_eq!(first.travel_minutes, whole_minutes(leg.1));
        let there_and_back = 2.0 * s.travel(s.base, north(8.0)).0;
        assert!(
            (from_base.total_distance_m - there_and_back).abs() < 1.0,
            "{} vs {there_and_back}",
            from_base.total_distance_m
        );
    }

    #[test]
    fn a_window_reachable_from_the_base_but_not_from_where_the_officer_is_is_left_out() {
        let s = settings();
        let origin = far_origin(&s);
        let near = LatLon {
            lat: s.base.lat + 0.01,
            lon: s.base.lon,
        };
        let visits = vec![
            visit(near, Some(("11:00", "11:10")), 30),
            visit(near, None, 30),
        ];
        let from = t("10:50");
        // From the base (3 minutes away) both fit.
        let from_base = plan_from(&visits, &s, &limits(), from).unwrap();
        assert!(from_base.unplanned.is_empty(), "{:?}", from_base.unplanned);
        // From ~26 minutes away the appointment closes before the officer can get there.
        let route = plan_from_origin(&visits, &s, &limits(), from, Some(&origin)).unwrap();
        let earliest = clock(secs(from) + s.travel(origin.at, near).1);
        assert_eq!(
            route.unplanned,
            vec![Unplanned {
                visit: 0,
                reason: format!(
                    "window 11:00–11:10 cannot be reached from the visit to HD1001 before it \
                     closes (the earliest arrival is {})",
                    hm(earliest)
                ),
            }]
        );
        assert_eq!(route.stops.len(), 1);
        assert_eq!(route.stops[0].visit, 1);
        assert_eq!(route.stops[0].arrives, earliest);
        // And back to the base from that visit.
        assert_eq!(
            route.return_travel_minutes,
            minutes_between(&s, near, s.base)
        );
    }

    #[test]
    fn with_nothing_left_to_visit_a_replan_is_the_drive_back_to_the_base() {
        let s = settings();
        let origin = far_origin(&s);
        let (metres, seconds) = s.travel(origin.at, s.base);
        for from in ["12:00", "17:30"] {
            let route = plan_from_origin(&[], &s, &limits(), t(from), Some(&origin)).unwrap();
            assert!(route.stops.is_empty());
            assert_eq!(
                route.return_travel_minutes,
                whole_minutes(seconds),
                "{from}"
            );
            assert_eq!(route.return_distance_m, metres.round() as u32);
            assert_eq!(route.back_at_base, clock(secs(t(from)) + seconds));
            assert!((route.total_distance_m - metres).abs() < 1e-6);
        }
        // A plan for the whole day (from before it starts) also sets off from the origin.
        let early = plan_from_origin(&[], &s, &limits(), t("07:00"), Some(&origin)).unwrap();
        assert_eq!(early.leaves_base, s.day_start);
        assert_eq!(early.back_at_base, clock(secs(s.day_start) + seconds));
    }

    #[test]
    fn no_visits_is_an_empty_day_at_the_base() {
        let s = settings();
        let route = plan(&[], &s, &limits()).unwrap();
        assert!(route.stops.is_empty() && route.unplanned.is_empty());
        assert_eq!(route.back_at_base, t("08:30"));
        assert_eq!(route.total_distance_m, 0.0);
    }
}
