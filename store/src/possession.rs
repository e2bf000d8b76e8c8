//! Recording a possession step (`POST /officer/v1/accounts/{id}/steps`) as one use case: the
//! account must be visible to the officer; the request's fields are checked by
//! `rentdesk_domain::possession::step`; the protocol, court-order and Breathing Space gates by
//! `protocol` and `court`; then the step, its letter and the audit entry are written.
//!
//! The clock is the caller's: `now` is passed in, and today is its London date.
//!
//! The connection is the caller's too: a pool, or a transaction the step becomes part of (its
//! own transactions are then savepoints), as when the case-stage import records a file's steps
//! in one transaction and rolls them all back if the rules refuse one.

use crate::accounts::FullAccount;
use crate::entities::staff_user;
use crate::letters::{Letterhead, StepDetails};
use crate::steps::{FixDateNotice, OrderStepEntry, StageChange};
use chrono::{DateTime, NaiveDate, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::letters::compose::LetterFor;
use rentdesk_domain::letters::templates::LetterTemplates;
use rentdesk_domain::possession::court::{self, OrderStep};
use rentdesk_domain::possession::next_step;
use rentdesk_domain::possession::protocol::{self, Missing, NoticeDates, NoticeRules};
use rentdesk_domain::possession::step::{self, StepContext, StepKind};
use rentdesk_domain::possession::types::{Ground, Stage};

pub use rentdesk_domain::possession::step::{StepRequest, TermsRequest};

/// What the landlord's settings say about recording a step.
#[derive(Debug, Clone, Copy)]
pub struct StepPolicy<'a> {
    pub notice_rules: &'a NoticeRules,
    /// The most a money field may hold (`MAX_ROW_AMOUNT_PENCE`).
    pub max_row_amount: Pence,
    /// Who the stage letters are from.
    pub landlord: &'a str,
    /// The landlord's wording (`LETTER_TEMPLATES_DIR`).
    pub templates: &'a LetterTemplates,
}

/// A step recorded.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub action_id: i64,
    /// The stage the case is at afterwards.
    pub stage: Stage,
    /// For a notice: its dates, grounds and ground 8.
    pub notice: Option<NoticeDates>,
    /// The stage letter kept with the step.
    pub letter_id: Option<i64>,
    /// For an order: the ground(s) possession was ordered on.
    pub grounds: Option<Vec<Ground>>,
    /// Warnings the step was recorded with (also in the diary).
    pub warnings: Vec<String>,
}

/// Why a step was not recorded.
#[derive(Debug)]
pub enum StepRefusal {
    /// Fields refused, `(field, reason)`, in the order they were checked.
    Invalid(Vec<(String, String)>),
    /// Not allowed yet: every protocol step, court step or other gate that stops it.
    Blocked(Vec<Missing>),
    /// No such account, or not one the officer can see.
    NotFound,
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for StepRefusal {
    fn from(e: anyhow::Error) -> Self {
        StepRefusal::Internal(e)
    }
}

impl From<sea_orm::DbErr> for StepRefusal {
    fn from(e: sea_orm::DbErr) -> Self {
        StepRefusal::Internal(e.into())
    }
}

fn invalid(refusal: (String, String)) -> StepRefusal {
    StepRefusal::Invalid(vec![refusal])
}

fn letterhead<'a>(policy: &StepPolicy<'a>, staff: &'a staff_user::Model) -> Letterhead<'a> {
    Letterhead {
        landlord: policy.landlord,
        officer_name: &staff.name,
        templates: policy.templates,
    }
}

/// Record a step on a tenancy the officer can see: a pre-action protocol step, a step after a
/// postponed order, or a move to a stage (with its notice, hearing or order, and its letter).
#[allow(clippy::too_many_arguments)]
pub async fn record_step<C: crate::db::Connection>(
    db: &C,
    policy: &StepPolicy<'_>,
    staff: &staff_user::Model,
    tenancy_id: i64,
    request: StepRequest,
    now: DateTime<Utc>,
    client_addr: Option<&str>,
) -> Result<StepOutcome, StepRefusal> {
    let today = rentdesk_domain::time::london_date(now);
    if crate::staff::visible_tenancy(db, staff, tenancy_id, today)
        .await?
        .is_none()
    {
        return Err(StepRefusal::NotFound);
    }
    let account = crate::accounts::full_account(db, tenancy_id, today)
        .await?
        .ok_or(StepRefusal::NotFound)?;
    let kind = step::step_kind(&request).map_err(invalid)?;
    let time_limit = step::check_time_limit(kind, &request, today).map_err(invalid)?;
    let stage = match kind {
        StepKind::Protocol(p) => {
            // A former tenant's debt (Pre-Action Protocol for Debt Claims, Limitation Act 1980
            // s19, a write-off approved by a team leader with reasons).
            let mut time_limit = time_limit;
            let mut claim = None;
            if p.is_debt_claim() {
                if p == protocol::ProtocolStep::WriteOffApproved && request.note.trim().is_empty() {
                    return Err(invalid((
                        "note".into(),
                        "required for write_off_approved: the reasons for writing the debt off"
                            .into(),
                    )));
                }
                let case = crate::cases::case_facts(db, &account, today).await?;
                let (recorded, _) = crate::steps::recorded_protocol(db, tenancy_id).await?;
                let record =
                    rentdesk_domain::possession::debt_claim::DebtRecord::from_recorded(&recorded);
                let state = case.former_debt.clone().unwrap_or_else(|| {
                    rentdesk_domain::possession::debt_claim::debt_claim(
                        &record,
                        Pence::ZERO,
                        Pence::ZERO,
                        Pence::ZERO,
                        today,
                    )
                });
                let missing = rentdesk_domain::possession::debt_claim::debt_step_gate(
                    p,
                    case.stage,
                    &state,
                    &record,
                    case.breathing_space.is_some(),
                    staff.role == "team_leader",
                    today,
                );
                if !missing.is_empty() {
                    return Err(StepRefusal::Blocked(missing));
                }
                if p == protocol::ProtocolStep::DebtLetterOfClaimSent {
                    // The letter is dated today; the debtor has 30 days from its date.
                    time_limit = Some(rentdesk_domain::possession::debt_claim::reply_by(today));
                    claim =
                        case.former_limitation
                            .map(|l| rentdesk_domain::limitation::Limitation {
                                claimable: state.claimable,
                                ..l
                            });
                }
            }
            // Para 2.9's warning and Part 3's letter are letters: written with the step.
            let letter = crate::letters::render_for(
                db,
                &account,
                LetterFor::Protocol(p),
                StepDetails {
                    time_limit_ends_on: time_limit,
                    claim,
                    ..StepDetails::default()
                },
                letterhead(policy, staff),
                today,
            )
            .await?;
            let (row, letter_id) = crate::steps::record_protocol_step(
                db,
                staff.id,
                tenancy_id,
                crate::steps::ProtocolStepEntry {
                    step: p,
                    time_limit_ends_on: time_limit,
                    note: request.note.trim(),
                    letter,
                },
                client_addr,
                now,
            )
            .await?;
            let case = crate::cases::case_facts(db, &account, today).await?;
            return Ok(StepOutcome {
                action_id: row.id,
                stage: case.stage,
                notice: None,
                letter_id,
                grounds: None,
                warnings: vec![],
            });
        }
        StepKind::AfterOrder(s) => {
            return record_order_step(db, staff, &account, s, &request, client_addr, now).await;
        }
        StepKind::Stage(stage) => stage,
    };
    let cx = StepContext {
        tenure: &account.view.tenancy.tenure,
        rules: policy.notice_rules,
        max_row_amount: policy.max_row_amount,
        now: rentdesk_domain::time::london_local(now),
        schedule: Some(&account.facts.schedule),
    };
    let planned = step::check_stage_step(stage, &request, &cx).map_err(StepRefusal::Invalid)?;
    let (mut notice, hearing, mut order) = (planned.notice, planned.hearing, planned.order);
    let case = crate::cases::case_facts(db, &account, today).await?;
    if let Some(n) = notice.as_mut() {
        step::notice_grounds(
            n,
            request.grounds.as_deref(),
            &account.facts,
            &account.entries,
            today,
        )
        .map_err(invalid)?;
    }
    let mut gates = crate::steps::gate_facts(db, &account, &case, today).await?;
    if let Some(p) = request.permission_granted_on {
        step::check_permission(p, gates.order.as_ref().and_then(|o| o.ordered_on))
            .map_err(invalid)?;
        gates.warrant_permission_on = Some(p);
    }
    let mut warnings = vec![];
    if let Some(h) = &hearing {
        let applied = crate::steps::court_application_on(db, tenancy_id).await?;
        warnings = court::check_hearing_date(applied, h.hearing_on)
            .map_err(|r| invalid(("hearing_on".into(), r)))?;
    }
    if let Some(o) = order.as_mut() {
        step::check_order(
            o,
            &request,
            &cx,
            &account.facts,
            &account.entries,
            &case,
            &gates,
        )
        .map_err(StepRefusal::Invalid)?;
    }
    let override_reason = request
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut missing = protocol::gates(stage, &gates, today, override_reason);
    if let (Some(n), Some(sent)) = (&notice, request.sent_on) {
        missing.extend(protocol::notice_void(n, sent, &gates));
    }
    // HA 1996 s125: no notice of proceedings once the introductory trial period has ended.
    if let Some(n) = &notice {
        missing.extend(protocol::introductory_trial_ended(n, &gates));
    }
    if !missing.is_empty() {
        return Err(StepRefusal::Blocked(missing));
    }
    let letter = crate::letters::render_for(
        db,
        &account,
        stage.into(),
        StepDetails {
            notice: notice.as_ref(),
            hearing,
            order: order.as_ref(),
            time_limit_ends_on: None,
            claim: None,
        },
        letterhead(policy, staff),
        today,
    )
    .await?;
    let row = crate::steps::record_stage(
        db,
        staff.id,
        tenancy_id,
        StageChange {
            stage,
            note: request.note.trim(),
            override_reason,
            notice: notice.clone(),
            hearing,
            order: order.clone(),
            letter,
            warnings: &warnings,
        },
        today,
        client_addr,
        now,
    )
    .await?;
    // The letter's id alone (the rows carry their PDFs).
    let letter_id = crate::letters::id_of_action(db, tenancy_id, row.id).await?;
    Ok(StepOutcome {
        action_id: row.id,
        stage,
        notice,
        letter_id,
        grounds: order.map(|o| o.grounds),
        warnings,
    })
}

/// A step after a postponed order is breached (PD 55A para 10): the written notice of the
/// intention to apply to fix a date (`sent_on`, `service_method`), or the application. Refused
/// (409, each reason named) until the law allows it: a postponed order with no date whose
/// payment terms are broken; for the application, the notice given after the breach at least
/// 14 clear days and not more than 3 months before.
async fn record_order_step<C: crate::db::Connection>(
    db: &C,
    staff: &staff_user::Model,
    account: &FullAccount,
    s: OrderStep,
    request: &StepRequest,
    client_addr: Option<&str>,
    now: DateTime<Utc>,
) -> Result<StepOutcome, StepRefusal> {
    let today: NaiveDate = rentdesk_domain::time::london_date(now);
    let notice = step::check_after_order_step(s, request, today).map_err(StepRefusal::Invalid)?;
    let case = crate::cases::case_facts(db, account, today).await?;
    let mut missing = vec![];
    if s == OrderStep::CourtToldOfBreathingSpace {
        // SI 2020/1311 reg 10: made during the Breathing Space, once for each.
        missing.extend(next_step::tell_court_gates(&case));
    } else if case.breathing_space.is_some() {
        // docs/breathing-space.md#no-enforcement-step-a-claim-already-made-may-reach-an-order: no step towards enforcement while Breathing Space lasts.
        missing.push(Missing {
            id: "breathing_space".into(),
            reason: "the tenant is in Breathing Space: no enforcement step while it lasts".into(),
        });
    }
    missing.extend(court::order_step_gates(s, &case.court, today));
    if !missing.is_empty() {
        return Err(StepRefusal::Blocked(missing));
    }
    let row = crate::steps::record_order_step(
        db,
        staff.id,
        account.view.tenancy.id,
        OrderStepEntry {
            step: s,
            notice: notice.map(|n| FixDateNotice {
                sent_on: n.sent_on,
                service_method: n.service_method,
                given_on: n.given_on,
            }),
            note: request.note.trim(),
        },
        client_addr,
        now,
    )
    .await?;
    Ok(StepOutcome {
        action_id: row.id,
        stage: case.stage,
        notice: None,
        letter_id: None,
        grounds: None,
        warnings: vec![],
    })
}
