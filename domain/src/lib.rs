//! Rentdesk's business rules as pure functions over plain data.
//!
//! Nothing here does IO, reads the clock or knows about the database: every rule takes the
//! facts and `today` as arguments so tests and back-dated runs are exact. The server and the
//! worker call these functions; neither re-implements them.
//!
//! Modules build on those below them and never on those above, so there is no import cycle:
//! - at the bottom: [`money`], [`calendar`], [`time`], [`vocabulary`] (the closed-vocabulary
//!   macro), [`ledger`], [`rent`], [`tenancy`], [`benefits`];
//! - the account's figures: [`arrears`], [`arrangements`], [`limitation`], [`affordability`];
//! - subdomains, each with its shared types at its own bottom: [`possession`] (types, order,
//!   protocol, court, next_step), [`outreach`] (types, triggers, tenancy_audit, sequences),
//!   [`letters`] (blocks, templates, compose);
//! - on top: [`priority`], [`segments`], [`campaigns`], [`kpi`], [`tasks`] and the rest.
//!
//! The day's visit route (a solver with threads and randomness) is the `rentdesk-routing`
//! crate, so this one stays pure and light.

pub mod affordability;
pub mod arrangements;
pub mod arrears;
pub mod benefits;
pub mod calendar;
pub mod campaigns;
pub mod contact;
pub mod contact_policy;
pub mod flags;
pub mod kpi;
pub mod ledger;
pub mod letters;
pub mod limitation;
pub mod money;
pub mod outreach;
pub mod possession;
pub mod priority;
pub mod rent;
pub mod retention;
pub mod segments;
pub mod sign_in;
pub mod sync;
pub mod tasks;
pub mod templates;
pub mod tenancy;
pub mod time;
pub mod vocabulary;

pub use money::Pence;
