//! End-to-end tests: the real app on loopback, talking HTTP, against SQLite or (with
//! `RENTDESK_TEST_BACKEND=postgres`) PostgreSQL + Redis. One test binary, one link.

mod account_history;
mod accounts;
mod admin;
mod audit_chain;
mod campaigns;
mod caseload;
mod console;
mod data_protection;
mod demo;
mod edges;
mod faults;
mod helpers;
mod imports;
mod money;
mod night;
mod nightly_run;
mod officer;
mod outreach;
mod outreach_config;
mod people;
mod reports;
mod routes;
mod seed;
mod service;
mod sign_in;
mod stage_imports;
mod tenancy_audits;
mod tenant;
mod webhooks;
