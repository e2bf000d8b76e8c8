//! `rentdesk`: the binary that composes Rentdesk — configuration (`rentdesk-config`), the HTTP
//! server (`rentdesk-server`), the job queue (`rentdesk-jobs`) and the worker
//! (`rentdesk-worker`) — and its command line.

pub mod cli;
pub mod demo;
pub mod startup;
