//! The day's visit route (issue 7): speed and quality of `rentdesk_routing::plan`.
//!
//! `cargo run --release -p rentdesk-bench -- route [--seed 1]`
//!
//! Builds a deterministic day (the seed picks it): 40 visits at homes scattered over ~7 × 6 km of
//! Huddersfield around the civic-centre base, 10 of them with a 30- or 45-minute appointment
//! window spread over the day, each visit 5–10 minutes at the door (a doorstep round: 40
//! half-hour visits cannot fit in one working day at all). Then:
//!
//! 1. solves it with the production settings (`RouteSettings::default()` — 30 km/h, road factor
//!    1.3, 08:30–17:00 — and `SolverLimits::default()`, what `GET /routes/{date}` uses: the best
//!    of 3 seeded searches), three times with solver seeds 1, 2, 3, timing each (target: under
//!    2 s);
//! 2. solves it once more with a 60 s budget (and no generation cap) as the reference;
//! 3. reports each run's cost (road metres, base to base), visits left out, that every window is
//!    kept, and the ratio to the long run (target: within 3%).

use rentdesk_routing::{
    DayRoute, LatLon, RouteSettings, SolverLimits, VisitToPlan, Window, hm, plan,
};
use std::time::Instant;

/// A small deterministic generator (SplitMix64), so the day does not depend on a crate's RNG.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn day(seed: u64) -> Vec<VisitToPlan> {
    let mut rng = SplitMix(seed);
    let base = RouteSettings::default().base;
    // Ten appointment slots across the day, in a fixed order shuffled onto random visits.
    let slots = [
        ("09:00", "09:30"),
        ("09:45", "10:30"),
        ("10:30", "11:00"),
        ("11:15", "12:00"),
        ("12:00", "12:30"),
        ("13:00", "13:45"),
        ("13:30", "14:00"),
        ("14:15", "15:00"),
        ("15:00", "15:30"),
        ("15:45", "16:15"),
    ];
    let mut windowed: Vec<usize> = (0..40).collect();
    for i in (1..windowed.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        windowed.swap(i, j);
    }
    windowed.truncate(slots.len());
    (0..40)
        .map(|i| {
            let location = LatLon {
                lat: base.lat + (rng.unit() - 0.5) * 0.054, // ±3 km north–south
                lon: base.lon + (rng.unit() - 0.5) * 0.105, // ±3.5 km east–west
            };
            let minutes = 5 + (rng.next() % 6) as u32;
            let window = windowed
                .iter()
                .position(|&k| k == i)
                .and_then(|s| Window::parse(slots[s].0, slots[s].1).ok());
            VisitToPlan {
                location: Some(location),
                window,
                minutes,
            }
        })
        .collect()
}

/// Windows broken in a plan (must be 0).
fn broken_windows(visits: &[VisitToPlan], route: &DayRoute) -> usize {
    route
        .stops
        .iter()
        .filter(|s| {
            visits[s.visit]
                .window
                .is_some_and(|w| s.eta < w.start() || s.eta > w.end())
        })
        .count()
}

struct Run {
    label: String,
    seconds: f64,
    route: DayRoute,
}

fn solve(visits: &[VisitToPlan], label: String, limits: &SolverLimits) -> anyhow::Result<Run> {
    let settings = RouteSettings::default();
    let t = Instant::now();
    let route = plan(visits, &settings, limits)?;
    Ok(Run {
        label,
        seconds: t.elapsed().as_secs_f64(),
        route,
    })
}

pub fn run(seed: u64) -> anyhow::Result<String> {
    let visits = day(seed);
    let production = SolverLimits::default();
    let mut runs = vec![];
    for solver_seed in 1..=3 {
        runs.push(solve(
            &visits,
            format!("production, solver seed {solver_seed}"),
            &SolverLimits {
                seed: solver_seed,
                ..production.clone()
            },
        )?);
    }
    let long = solve(
        &visits,
        "reference: 60 s budget".into(),
        &SolverLimits {
            max_generations: usize::MAX,
            max_seconds: 60.0,
            seed: 1,
            restarts: 1,
        },
    )?;
    let reference = long.route.total_distance_m;
    let mut out = format!(
        "\n## {} build, instance seed {seed}, {} cpus\n\n\
         40 visits (10 with windows), production limits: best of {} searches of {} generations, \
         {} s in all, one thread.\n\n\
         | run | seconds | visits routed | left out | broken windows | cost (road m) | vs 60 s run | back at base |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        production.restarts,
        production.max_generations,
        production.max_seconds,
    );
    for r in runs.iter().chain(std::iter::once(&long)) {
        out.push_str(&format!(
            "| {} | {:.2} | {} | {} | {} | {:.0} | {:+.2}% | {} |\n",
            r.label,
            r.seconds,
            r.route.stops.len(),
            r.route.unplanned.len(),
            broken_windows(&visits, &r.route),
            r.route.total_distance_m,
            (r.route.total_distance_m / reference - 1.0) * 100.0,
            hm(r.route.back_at_base),
        ));
    }
    let worst_seconds = runs.iter().map(|r| r.seconds).fold(0.0, f64::max);
    let worst_gap = runs
        .iter()
        .map(|r| r.route.total_distance_m / reference - 1.0)
        .fold(f64::MIN, f64::max);
    let all_routed = runs
        .iter()
        .chain(std::iter::once(&long))
        .all(|r| r.route.unplanned.is_empty());
    out.push_str(&format!(
        "\nSlowest production run {worst_seconds:.2} s (target < 2 s: {}); worst cost {:+.2}% of the \
         60 s run (target ≤ 3%: {}); every visit routed in every run: {all_routed}.\n",
        if worst_seconds < 2.0 { "met" } else { "MISSED" },
        worst_gap * 100.0,
        if worst_gap <= 0.03 { "met" } else { "MISSED" },
    ));
    Ok(out)
}
