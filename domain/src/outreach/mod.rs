//! Early intervention (issue 4) and tenancy audits (issue 7): [`types`] (the shared vocabulary:
//! triggers, steps, levels) at the bottom, then the rules that fire ([`triggers`],
//! [`tenancy_audit`]) and the council's sequences as data ([`sequences`]) on top.

pub mod sequences;
pub mod tenancy_audit;
pub mod triggers;
pub mod types;
