//! The escalation process for officers: what the policy recommends now and why, the protocol
//! gates, and recording a step. A notice or court step is refused (409, every missing protocol
//! step listed) until the protocol steps are recorded, a court step until the steps before it
//! are, and enforcement while Breathing Space lasts. After an order, its terms are monitored.

use super::{StaffAuth, audit_read, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr, invalid_fields};
use crate::api::vocab;
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, NewType, Object, OpenApi};
use rentdesk_domain::possession::court::{self, OrderStep};
use rentdesk_domain::possession::next_step::{self, EscalationPolicy};
use rentdesk_domain::possession::protocol::{self, NoticeDates, ProtocolStep, ServiceMethod};
use rentdesk_domain::possession::types::{ActionKind, Ground, NoticeKind, Stage};
use rentdesk_store::accounts::FullAccount;
use rentdesk_store::possession;

#[derive(Debug, Object)]
pub struct Gate {
    /// A protocol step id (`contact_made`, …) or a condition (`breathing_space`, `notice_period`…).
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct RecordedStep {
    pub step: vocab::ProtocolStep,
    pub on: NaiveDate,
}

#[derive(Debug, Object)]
pub struct Notice {
    /// `introductory`: a council introductory tenancy's notice of proceedings, when
    /// `STARTER_TENANCIES=introductory`.
    pub kind: vocab::NoticeKind,
    pub served_on: NaiveDate,
    /// The date written in the notice: for a NOSP or an introductory notice the date *after
    /// which* proceedings may be begun (HA 1985 s83(4)(a), HA 1996 s128(4)); for a section 8
    /// notice the date before which they will not begin (HA 1988 s8(3)(b)).
    pub date_specified: NaiveDate,
    /// The first day proceedings may be begun: the day after `date_specified` for a NOSP or an
    /// introductory notice (HA 1985 s83A(2), HA 1996 s128(5)); `date_specified` for section 8.
    pub earliest_proceedings: NaiveDate,
    /// The lapse / proceedings-by date as served.
    pub expires: NaiveDate,
    /// The date it can no longer be relied on after Breathing Space (docs/breathing-space.md#deadlines-move-to-8-weeks-after-it-ends: a deadline
    /// inside one, or within 8 weeks after its end, moves to 8 weeks after its end): `expires`
    /// when none moves it; absent while a Breathing Space with no end yet holds it open.
    pub lapses_on: Option<NaiveDate>,
    /// The rules it was served under: `renters_rights` is the Renters' Rights Act 2025, from
    /// `RENTERS_RIGHTS_SOCIAL_FROM`; a section 8 notice then gives 4 weeks, not 2.
    pub regime: vocab::NoticeRegime,
    /// Section 8 only: whether ground 8 was available on the arrears when it was served.
    pub ground_8: Option<Ground8Out>,
    /// The grounds the notice gives: 1 (NOSP); 8, 10, 11 (section 8); none (introductory).
    pub grounds: Vec<u8>,
}

/// Whether the mandatory arrears ground 8 is available, and why.
#[derive(Debug, Object)]
pub struct Ground8Out {
    pub available: bool,
    pub regime: vocab::NoticeRegime,
    /// Weeks' rent unpaid the ground needs: 8 (current) or 13 (Renters' Rights Act, real
    /// arrears only).
    pub threshold_weeks: i64,
    /// The arrears counted, in pence (HA 1988 Sch 2 ground 8): rent lawfully due and unpaid,
    /// service charges included, never court costs or other sundry debits; under the Renters'
    /// Rights Act less what is due only to a Universal Credit payment not yet received. 0 on a
    /// notice stored before this was kept.
    pub counted_pence: i64,
    /// Monthly rent only: months' rent unpaid the ground needs, 2 (current) or 3 (Renters'
    /// Rights Act); then `threshold_pence` is that many months of the monthly rent. Absent for
    /// weekly, fortnightly and four-weekly rent.
    pub threshold_months: Option<i64>,
    /// The threshold in pence: `threshold_weeks` weeks' (or `threshold_months` months') rent,
    /// at the rent in force on `measured_on`.
    pub threshold_pence: i64,
    /// The day the arrears were measured: the notice's deemed service date (CPR 6.26; the day
    /// it was recorded when that is earlier), today, or the hearing date. Absent on a notice
    /// stored before this was kept.
    pub measured_on: Option<NaiveDate>,
    pub reason: String,
}

impl From<protocol::Ground8> for Ground8Out {
    fn from(g: protocol::Ground8) -> Ground8Out {
        Ground8Out {
            available: g.available,
            regime: g.regime.into(),
            threshold_weeks: g.threshold_weeks,
            threshold_months: g.threshold_months,
            counted_pence: g.counted.0,
            threshold_pence: g.threshold.0,
            measured_on: g.measured_on,
            reason: g.reason,
        }
    }
}

impl From<NoticeDates> for Notice {
    fn from(n: NoticeDates) -> Notice {
        let grounds = numbers(&n.grounds_given());
        Notice {
            grounds,
            kind: n.kind.into(),
            served_on: n.served_on,
            date_specified: n.date_specified,
            earliest_proceedings: n.earliest_proceedings,
            expires: n.expires,
            lapses_on: Some(n.expires),
            regime: n.regime.into(),
            ground_8: n.ground_8.map(Ground8Out::from),
        }
    }
}

fn numbers(grounds: &[Ground]) -> Vec<u8> {
    grounds.iter().map(|g| g.number()).collect()
}

#[derive(Debug, Object)]
pub struct OrderTermsIn {
    /// Paid towards the arrears on top of the current rent, each period, in pence.
    pub towards_arrears_pence: Option<i64>,
    pub frequency: Option<vocab::Frequency>,
    /// The date of the first payment under the order.
    pub from: Option<NaiveDate>,
}

#[derive(Debug, Object)]
pub struct OrderTermsOut {
    pub towards_arrears_pence: i64,
    pub frequency: vocab::Frequency,
    pub from: NaiveDate,
}

#[derive(Debug, Object)]
pub struct OrderOut {
    pub order_type: vocab::OrderKind,
    pub possession_date: Option<NaiveDate>,
    /// The current rent plus this, from then.
    pub terms: Option<OrderTermsOut>,
    /// The ground(s) possession was ordered on (1; or 8, 10, 11); empty for an adjourned or
    /// dismissed claim, or an order recorded before grounds were kept.
    pub grounds: Vec<u8>,
    /// The day the court made the order (none on an order recorded before it was kept).
    pub ordered_on: Option<NaiveDate>,
    /// Payments due so far under the terms.
    pub payments_due: u32,
    /// Of those, missed or part-paid after the grace days.
    pub payments_missed: u32,
    /// The statement of payments due under the terms and those made, from the ledger since
    /// the first payment under the order (oldest first): what goes with a warrant request on
    /// form N325A after the terms are broken. Empty for an order without terms.
    pub statement: Vec<OrderPayment>,
}

/// One payment due under an order's terms, and what was paid towards it.
#[derive(Debug, Object)]
pub struct OrderPayment {
    pub due_on: NaiveDate,
    /// The rent and service charges posted for the period it starts plus the sum towards the
    /// arrears, in pence.
    pub due_pence: i64,
    /// Paid towards it (payments are applied to the oldest due first), in pence.
    pub paid_pence: i64,
    /// `pending`: not yet due, or inside its grace days.
    pub status: vocab::InstalmentStatus,
}

/// Something the officer must do now besides the recommended step.
#[derive(Debug, Object)]
pub struct AlsoDo {
    /// tell_court_of_breathing_space | contact_after_notice | warn_before_proceedings |
    /// explain_why_possession_is_sought | consider_proportionality | decide_introductory_review
    pub action: vocab::StepAction,
    pub earliest: NaiveDate,
    pub description: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct NextStep {
    pub stage: vocab::Stage,
    pub stage_since: NaiveDate,
    pub summary: String,
    /// The stage the policy recommends next, if any.
    pub recommended: Option<vocab::Stage>,
    /// What to do within the stage when the case does not move on (after an order):
    /// monitor_order_terms | visit | give_fix_date_notice (a postponed order breached: the
    /// written notice first, PD 55A para 10.3) | apply_to_fix_date (from 14 clear days after
    /// that notice). `earliest` and `description` then describe it.
    pub action: Option<vocab::StepAction>,
    pub earliest: Option<NaiveDate>,
    pub description: Option<String>,
    /// What the officer must also do now, whatever the recommendation. After a notice, what
    /// the Pre-Action Protocol asks before the claim, in order, each from the first day it
    /// counts (`recommended` is still court_application and `blocked_by` lists them):
    /// contact_after_notice (para 2.8; record protocol step post_notice_contact) |
    /// warn_before_proceedings (para 2.9, an arrangement broke; arrangement_breach_warning with
    /// `time_limit_ends_on`) | explain_why_possession_is_sought (Part 3, a claim on ground 8 or
    /// an introductory tenancy; possession_reasons_explained with `time_limit_ends_on`) |
    /// consider_proportionality (Part 3, after that date; proportionality_considered) |
    /// decide_introductory_review (HA 1996 s129(6): a review asked for, its outcome before the
    /// date in the notice; introductory_review_decided). Or tell_court_of_breathing_space (a Breathing Space in force while a possession claim is in
    /// progress and the court not yet told of it, SI 2020/1311 reg 10; shown until the step
    /// `court_told_of_breathing_space` is recorded, once for each Breathing Space).
    pub also: Vec<AlsoDo>,
    pub paused_because: Option<String>,
    /// Why (the facts the recommendation rests on).
    pub reasons: Vec<String>,
    /// The hearing date recorded with the hearing step.
    pub hearing_on: Option<NaiveDate>,
    /// The order recorded with the order step, and how its terms are kept.
    pub order: Option<OrderOut>,
    /// What stands between the account and the recommended stage (or the recommended
    /// give_fix_date_notice / apply_to_fix_date step); empty = nothing.
    pub blocked_by: Vec<Gate>,
    pub protocol_steps: Vec<RecordedStep>,
    pub notice: Option<Notice>,
    /// For a tenancy that gets a section 8 notice: whether ground 8 is available on today's
    /// arrears under the rules a notice served today would be under.
    pub ground_8: Option<Ground8Out>,
    /// At the hearing stage, when the notice gave ground 8: whether it still holds on today's
    /// arrears under the notice's own regime (it must hold on the hearing date too), with the
    /// figures. An order on ground 8 is refused if it did not hold on the hearing date.
    pub ground_8_at_hearing: Option<Ground8Out>,
    /// A former tenancy in recovery: its balance split by the Limitation Act 1980 (s19: six
    /// years from each sum falling due, restarted by a part payment, s29(5)). A letter of claim
    /// asks only for `claimable_pence`; none when it is 0.
    pub limitation: Option<LimitationOut>,
}

/// A former tenancy's balance split by the Limitation Act 1980.
#[derive(Debug, Object)]
pub struct LimitationOut {
    /// Outstanding sums that fell due (or were last restarted by a part payment) more than six
    /// years ago, in pence: not claimed.
    pub statute_barred_pence: i64,
    /// The rest of the outstanding sums, in pence.
    pub claimable_pence: i64,
    /// The latest part payment by the tenant that restarted the six years.
    pub restarted_on: Option<NaiveDate>,
}

impl poem_openapi::types::Example for NextStep {
    fn example() -> NextStep {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        let gate = |step: ProtocolStep| Gate {
            id: step.as_str().into(),
            reason: step.describe().into(),
        };
        let done = |step: ProtocolStep, on| RecordedStep {
            step: step.into(),
            on,
        };
        NextStep {
            stage: vocab::Stage::SecondLetter,
            stage_since: day(11, 9),
            summary: "You owe £412.80. If nothing changes, from 16 November 2026: An officer may \
                      serve a notice that we will seek possession of your home. This is the \
                      first legal step towards court."
                .into(),
            recommended: Some(vocab::Stage::NoticeServed),
            action: None,
            earliest: Some(day(11, 16)),
            also: vec![],
            description: Some(
                "An officer may serve a notice that we will seek possession of your home. This \
                 is the first legal step towards court."
                    .into(),
            ),
            paused_because: None,
            reasons: vec!["real arrears of £412.80".into(), "4.3 weeks of rent".into()],
            hearing_on: None,
            order: None,
            blocked_by: vec![
                gate(ProtocolStep::RentStatementSent),
                gate(ProtocolStep::VulnerabilityConsidered),
            ],
            protocol_steps: vec![
                done(ProtocolStep::ContactMade, day(10, 20)),
                done(ProtocolStep::AffordablePaymentsOffered, day(10, 20)),
                done(ProtocolStep::BenefitHelpOffered, day(10, 27)),
            ],
            notice: None,
            ground_8_at_hearing: None,
            limitation: None,
            ground_8: Some(
                protocol::ground_8(
                    protocol::NoticeRegime::Current,
                    &rentdesk_domain::arrears::RentArrears {
                        on: day(11, 16),
                        rent_unpaid: rentdesk_domain::Pence(41_280),
                        sundry: rentdesk_domain::Pence::ZERO,
                        uc_not_yet_received: rentdesk_domain::Pence::ZERO,
                    },
                    rentdesk_domain::Pence(9_600),
                )
                .into(),
            ),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct StepIn {
    /// `protocol` (a pre-action protocol step), a stage: first_letter | second_letter |
    /// protocol_steps_complete | notice_served | court_application | hearing | order | warrant |
    /// eviction | closed | former_tenant_recovery; or, after a postponed order is breached
    /// (PD 55A para 10): fix_date_notice (the written notice of the intention to apply to fix a
    /// date, with `sent_on` and `service_method`) | apply_to_fix_date (at least 14 clear days
    /// and not more than 3 months after the notice was given); or court_told_of_breathing_space
    /// (the court dealing with the claim was told that the tenant is in a Breathing Space, SI
    /// 2020/1311 reg 10: allowed while one is in force and a claim is in progress, once for
    /// each Breathing Space).
    pub step: vocab::StepName,
    /// For `protocol`: contact_made | affordable_payments_offered | rent_statement_sent |
    /// benefit_help_offered | vulnerability_considered | protocol_copy_sent; between the notice
    /// and the claim (Pre-Action Protocol): post_notice_contact (para 2.8: tried to contact the
    /// tenant after the notice was served) | arrangement_breach_warning (para 2.9: an
    /// arrangement broke, the tenant warned in writing with a time limit; needs
    /// `time_limit_ends_on`) | possession_reasons_explained (Part 3, a claim on ground 8 or an
    /// introductory tenancy: why possession is sought, representations asked for by a date;
    /// needs `time_limit_ends_on`) | proportionality_considered (Part 3: representations and
    /// proportionality considered, after that date); for an introductory tenancy (Housing Act
    /// 1996 s129): introductory_review_requested (the tenant asked for a review, within 14 days
    /// of the notice of proceedings) | introductory_review_decided (its outcome given, before
    /// the date in the notice) | introductory_trial_extended (a notice extending the trial
    /// period to 18 months served, s125A: at least eight weeks before the first year ends);
    /// for a former tenancy in recovery (Pre-Action Protocol for Debt Claims):
    /// debt_letter_of_claim_sent (the letter of claim, dated today, with the information
    /// sheet, reply form and financial statement; only for a sum within six years, Limitation
    /// Act 1980 s19; its letter is kept) | debt_reply_received | debt_advice_sought (the
    /// debtor is getting debt advice: no claim less than 30 days after) | debt_claim_issued
    /// (only after the 30 days to reply) | write_off_approved (team leaders only; the reasons
    /// in `note`, required)
    pub protocol_step: Option<vocab::ProtocolStep>,
    /// For `notice_served` and `fix_date_notice`: the day it was handed over or posted.
    pub sent_on: Option<NaiveDate>,
    /// For `notice_served` and `fix_date_notice`: hand (handed to the tenant, or delivered to
    /// or left at the address) | first_class_post
    pub service_method: Option<vocab::ServiceMethod>,
    /// For `notice_served` by hand: the time it was handed over or left, 24-hour HH:MM in
    /// Europe/London local time (BST in summer); required for `hand`. CPR 6.26: delivered
    /// before 16:30 on a business day, it is served that day; at or after 16:30, or on a
    /// weekend or bank holiday, on the next business day. Not needed for post (served the
    /// second day after posting, or the next business day after that). For a `fix_date_notice`
    /// by hand it may be left out: the notice then counts as given the next business day.
    #[oai(validator(max_length = 5))]
    pub sent_time: Option<String>,
    /// For `hearing`: the date the court set for it.
    pub hearing_on: Option<NaiveDate>,
    /// For `hearing`: its time if known, 24-hour HH:MM (e.g. 10:30), for the hearing letter.
    #[oai(validator(max_length = 5))]
    pub hearing_time: Option<String>,
    /// For `order`: `adjourned` is adjourned on terms.
    pub order_type: Option<vocab::OrderKind>,
    /// For an outright or suspended order: the date for possession; for a postponed order,
    /// the date the court fixes after a breach (record the order again with it).
    pub possession_date: Option<NaiveDate>,
    /// For a suspended, postponed or adjourned order: the current rent plus how much towards
    /// the arrears, how often, from when.
    pub terms: Option<OrderTermsIn>,
    /// For `notice_served` on an assured tenancy (section 8): the grounds it gives, of 8, 10
    /// and 11 (default: 10 and 11, and 8 when available on the arrears at service; 8 is refused
    /// when it is not). For a NOSP only 1 (the default).
    /// For an outright, suspended or postponed `order`: the ground(s) the court ordered
    /// possession on. NOSP: 1 (the default). Section 8: one or more of those the notice gave,
    /// required; an order on ground 8 (mandatory) must be outright with possession at most 42
    /// days after the order (14 is normal), and is refused if ground 8 did not hold on the
    /// hearing date's arrears. None for an adjourned or dismissed claim.
    pub grounds: Option<Vec<u8>>,
    /// For `order`: the day the court made it; default the hearing date recorded (if past),
    /// else today. Not in the future; a date given is not before the hearing recorded.
    pub ordered_on: Option<NaiveDate>,
    /// For `warrant`: the day the court gave permission to issue it. Needed when six years or
    /// more have passed since the order (CPR 83.2(3)(a)): without it the warrant is refused
    /// (409, `court_permission`). Not in the future, not before the order.
    pub permission_granted_on: Option<NaiveDate>,
    /// For the protocol steps arrangement_breach_warning and possession_reasons_explained
    /// (required; 422 on any other step): the last day of the time limit the letter gives the
    /// tenant, after today. The court application waits until the day after it.
    pub time_limit_ends_on: Option<NaiveDate>,
    /// Going ahead although the tenant keeps to an arrangement or awaits a benefit decision.
    #[oai(validator(max_length = 2000))]
    pub override_reason: Option<String>,
    #[oai(default, validator(max_length = 5000))]
    pub note: String,
}

/// The example is an order on ground 8 (the shape that is not obvious): outright, made at the
/// hearing, possession 14 days later. A notice is `{"step": "notice_served", "sent_on":
/// "2026-11-25", "sent_time": "10:30", "service_method": "hand", "grounds": [8, 10, 11]}`.
impl poem_openapi::types::Example for StepIn {
    fn example() -> StepIn {
        StepIn {
            step: vocab::StepName::Order,
            protocol_step: None,
            sent_on: None,
            service_method: None,
            sent_time: None,
            hearing_on: None,
            hearing_time: None,
            order_type: Some(vocab::OrderKind::Outright),
            possession_date: NaiveDate::from_ymd_opt(2027, 1, 28),
            terms: None,
            grounds: Some(vec![8, 10]),
            ordered_on: NaiveDate::from_ymd_opt(2027, 1, 14),
            permission_granted_on: None,
            time_limit_ends_on: None,
            override_reason: None,
            note: "Outright order on grounds 8 and 10 at the hearing; possession in 14 days."
                .into(),
        }
    }
}

/// A stage letter, or why not: only its own statuses (a subject-access file also has 403 and
/// 409, so this is not `file_response!`).
#[derive(ApiResponse)]
pub enum LetterPdf {
    /// The letter as it was sent, as PDF.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
}

impl From<Result<(Vec<u8>, String), Problem>> for LetterPdf {
    fn from(r: Result<(Vec<u8>, String), Problem>) -> LetterPdf {
        match r {
            Ok((bytes, disposition)) => LetterPdf::Ok(Binary(bytes), disposition),
            Err(p) if p.status_code() == StatusCode::UNAUTHORIZED => {
                LetterPdf::Unauthorized(Json(p))
            }
            Err(p) => LetterPdf::NotFound(Json(p)),
        }
    }
}

#[derive(Debug, Object)]
pub struct StepRecorded {
    pub action_id: i64,
    pub stage: vocab::Stage,
    pub notice: Option<Notice>,
    /// The letter that goes with this stage (first and second letters, the notice, the court
    /// application, the hearing, the order, the warrant) or protocol step (the para 2.9
    /// warning `arrangement_breach_warning`, the Part 3 letter `possession_reasons_explained`),
    /// rendered with the account's figures: `GET /officer/v1/letters/{id}` gives the PDF.
    pub letter_id: Option<i64>,
    /// For an order: the ground(s) possession was ordered on.
    pub grounds: Option<Vec<u8>>,
    /// Plain-words warnings the step was recorded with (also in the diary), e.g. a hearing
    /// fewer than 28 days or more than 8 weeks after the claim was issued.
    pub warnings: Vec<String>,
}

async fn load(
    state: &AppState,
    staff: &rentdesk_store::entities::staff_user::Model,
    id: i64,
) -> poem::Result<Result<FullAccount, Problem>> {
    let today = state.today();
    let visible = rentdesk_store::staff::visible_tenancy(&state.db, staff, id, today)
        .await
        .map_err(|e| Problem::internal(&e))?;
    if visible.is_none() {
        return Ok(Err(Problem::not_found(&format!("account {id}"))));
    }
    Ok(rentdesk_store::accounts::full_account(&state.db, id, today)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found(&format!("account {id}"))))
}

fn blocked(missing: Vec<protocol::Missing>) -> Problem {
    let mut p = Problem::new(
        StatusCode::CONFLICT,
        "protocol-steps-missing",
        "This step is not allowed yet",
    )
    .detail(
        "the pre-action protocol, the order of the court steps or Breathing Space stops it: \
         see errors",
    );
    for m in missing {
        p = p.field(m.id, m.reason);
    }
    p
}

// A 409 from recording a step: a problem whose `errors` list every protocol step (or court
// step, Breathing Space, notice period…) that stops it, `field` being its id. The schema is
// `Problem`'s; this only gives the spec an example of the answer the app must handle. (A `//`
// comment: a doc comment would become the schema's title.)
#[derive(Debug, NewType)]
#[oai(
    example,
    from_parameter = false,
    from_multipart = false,
    to_header = false
)]
pub struct StepsBlocked(pub Problem);

impl poem_openapi::types::Example for StepsBlocked {
    fn example() -> StepsBlocked {
        let missing = |step: ProtocolStep| protocol::Missing {
            id: step.as_str().into(),
            reason: step.describe().into(),
        };
        StepsBlocked(blocked(vec![
            missing(ProtocolStep::RentStatementSent),
            missing(ProtocolStep::VulnerabilityConsidered),
        ]))
    }
}

/// The answers to recording a step: [`Answer`]'s that `record_step` gives, with the 409
/// documented as [`StepsBlocked`].
#[derive(ApiResponse)]
pub enum StepAnswer {
    /// Created.
    #[oai(status = 201)]
    Created(Json<StepRecorded>),
    /// Missing, invalid, expired or revoked credentials.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// Not allowed yet: `errors` lists every missing protocol step or other gate, `field` = its
    /// id, `reason` = what to do.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<StepsBlocked>),
    /// Invalid fields, each named with the reason.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
}

impl StepAnswer {
    /// `record_step`'s answer as a [`StepAnswer`]. A status it does not list is passed on as
    /// it is, for the contract check to report ([`crate::startup`]).
    fn from_answer(a: Answer<StepRecorded>) -> poem::Result<StepAnswer> {
        Ok(match a {
            Answer::Created(x) => StepAnswer::Created(x),
            Answer::Unauthorized(p) => StepAnswer::Unauthorized(p),
            Answer::NotFound(p) => StepAnswer::NotFound(p),
            Answer::Conflict(p) => StepAnswer::Conflict(Json(StepsBlocked(p.0))),
            Answer::Invalid(p) => StepAnswer::Invalid(p),
            other => {
                return Err(poem::Error::from_response(
                    poem::IntoResponse::into_response(other),
                ));
            }
        })
    }
}

pub struct OfficerStepsApi;

/// `record`, answered as a generic [`Answer`] (see [`StepAnswer`] for why it is converted):
/// the use case is `rentdesk_store::possession::record_step`.
async fn record_step(
    state: &AppState,
    remote: &RemoteAddr,
    auth: StaffAuth,
    id: Path<i64>,
    body: Json<StepIn>,
) -> poem::Result<Answer<StepRecorded>> {
    let staff = or_answer!(me(state, &auth.0).await?);
    let policy = &state.settings.policy;
    let policy = possession::StepPolicy {
        notice_rules: &policy.notice_rules,
        max_row_amount: policy.max_row_amount,
        landlord: &policy.contact_policy.landlord_name,
        templates: &state.settings.letters.templates,
    };
    let request = step_request(body.0);
    let addr = client_addr(remote);
    let now = state.now();
    let answer = possession::record_step(
        &state.db,
        &policy,
        &staff,
        id.0,
        request,
        now,
        addr.as_deref(),
    );
    match answer.await {
        Ok(o) => Ok(Answer::Created(Json(StepRecorded {
            action_id: o.action_id,
            stage: o.stage.into(),
            notice: o.notice.map(Notice::from),
            letter_id: o.letter_id,
            grounds: o.grounds.map(|g| numbers(&g)),
            warnings: o.warnings,
        }))),
        Err(r) => refused(r, id.0),
    }
}

/// The body as the use case takes it.
fn step_request(body: StepIn) -> possession::StepRequest {
    possession::StepRequest {
        step: body.step.as_str().to_owned(),
        protocol_step: body.protocol_step.map(|p| p.as_str().to_owned()),
        sent_on: body.sent_on,
        service_method: body.service_method.map(ServiceMethod::from),
        sent_time: body.sent_time,
        hearing_on: body.hearing_on,
        hearing_time: body.hearing_time,
        order_type: body.order_type.map(|k| k.as_str().to_owned()),
        possession_date: body.possession_date,
        terms: body.terms.map(|t| possession::TermsRequest {
            towards_arrears_pence: t.towards_arrears_pence,
            frequency: t.frequency.map(|f| f.as_str().to_owned()),
            from: t.from,
        }),
        grounds: body.grounds,
        ordered_on: body.ordered_on,
        permission_granted_on: body.permission_granted_on,
        time_limit_ends_on: body.time_limit_ends_on,
        override_reason: body.override_reason,
        note: body.note,
    }
}

/// A refused step as its problem: 422 naming each field, 409 naming each gate, 404, 500.
fn refused(r: possession::StepRefusal, id: i64) -> poem::Result<Answer<StepRecorded>> {
    use possession::StepRefusal;
    Ok(Answer::problem(match r {
        StepRefusal::Invalid(errors) => match invalid_fields(errors) {
            Some(p) => p,
            None => Problem::internal(&"a step refused with no reason"),
        },
        StepRefusal::Blocked(missing) => blocked(missing),
        StepRefusal::NotFound => Problem::not_found(&format!("account {id}")),
        StepRefusal::Internal(e) => return Err(Problem::internal(&e).into()),
    }))
}

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerStepsApi {
    /// What the process recommends now, and why
    #[oai(path = "/accounts/:id/next-step", method = "get")]
    async fn next_step(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<NextStep, { OK | NOT_FOUND }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let account = or_answer!(load(&state, &staff, id.0).await?);
        audit_read(
            &state,
            staff.id,
            "next_step.read",
            id.0,
            client_addr(remote).as_deref(),
        )
        .await?;
        let today = state.today();
        let case = rentdesk_store::cases::case_facts(&state.db, &account, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let gates = rentdesk_store::steps::gate_facts(&state.db, &account, &case, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let n = next_step::next_step(&case, &EscalationPolicy::default(), today);
        let ground_8 = (state
            .settings
            .policy
            .notice_rules
            .kind_for_tenure(&account.view.tenancy.tenure)
            == Some(NoticeKind::Section8))
        .then(|| {
            let regime = state
                .settings
                .policy
                .notice_rules
                .regime(NoticeKind::Section8, today);
            protocol::ground_8_for(
                regime,
                &rentdesk_domain::arrears::rent_arrears(&account.facts, &account.entries, today),
                &account.facts.schedule.rent_on(today),
            )
            .into()
        });
        // Ground 8 again at the hearing stage: today's arrears under the notice's regime.
        let ground_8_at_hearing = gates
            .notice
            .as_ref()
            .filter(|_| case.stage == Stage::Hearing)
            .and_then(|notice| {
                court::ground_8_at_hearing(
                    notice,
                    &rentdesk_domain::arrears::rent_arrears(
                        &account.facts,
                        &account.entries,
                        today,
                    ),
                    &account.facts.schedule.rent_on(today),
                )
            });
        let mut reasons = n.reasons;
        if let Some(g) = &ground_8_at_hearing {
            reasons.push(format!(
                "ground 8 at the hearing{}: {}",
                case.court
                    .hearing_on
                    .map(|d| format!(" on {}", d.format("%-d %B %Y")))
                    .unwrap_or_default(),
                g.reason
            ));
        }
        // What stands between the account and the recommended stage, or the recommended step
        // after a postponed order (PD 55A para 10).
        let order_step = |kind| match kind {
            ActionKind::GiveFixDateNotice => Some(OrderStep::FixDateNotice),
            ActionKind::ApplyToFixDate => Some(OrderStep::FixDateApplication),
            _ => None,
        };
        let blocked_by = match (&n.next, n.action.as_ref().and_then(|a| order_step(a.kind))) {
            (Some(s), _) => protocol::gates(s.stage, &gates, today, None),
            (None, Some(step)) => court::order_step_gates(step, &case.court, today),
            (None, None) => vec![],
        };
        Ok(Answer::Ok(Json(NextStep {
            stage: n.stage.into(),
            stage_since: case.stage_since,
            summary: n.summary,
            recommended: n.next.as_ref().map(|s| s.stage.into()),
            action: n.action.as_ref().map(|a| a.kind.into()),
            earliest: n
                .next
                .as_ref()
                .map(|s| s.earliest)
                .or(n.action.as_ref().map(|a| a.earliest)),
            description: n
                .next
                .map(|s| s.description)
                .or(n.action.map(|a| a.description)),
            also: n
                .also
                .into_iter()
                .map(|a| AlsoDo {
                    action: a.kind.into(),
                    earliest: a.earliest,
                    description: a.description,
                })
                .collect(),
            paused_because: n.paused_because,
            reasons,
            hearing_on: case.court.hearing_on,
            order: case.court.order.as_ref().map(|o| OrderOut {
                order_type: o.kind.into(),
                possession_date: o.possession_date,
                terms: o.terms.as_ref().map(|t| OrderTermsOut {
                    towards_arrears_pence: t.towards_arrears.0,
                    frequency: t.frequency.into(),
                    from: t.from,
                }),
                grounds: numbers(&o.grounds),
                ordered_on: o.ordered_on,
                payments_due: case.court.instalments.len() as u32,
                payments_missed: case.court.missed().len() as u32,
                statement: case
                    .court
                    .instalments
                    .iter()
                    .map(|i| OrderPayment {
                        due_on: i.due,
                        due_pence: i.amount.0,
                        paid_pence: i.paid.0,
                        status: i.status.into(),
                    })
                    .collect(),
            }),
            blocked_by: blocked_by
                .into_iter()
                .map(|m| Gate {
                    id: m.id,
                    reason: m.reason,
                })
                .collect(),
            protocol_steps: gates
                .recorded
                .iter()
                .map(|(s, on)| RecordedStep {
                    step: (*s).into(),
                    on: *on,
                })
                .collect(),
            notice: gates.notice.map(|mut n| {
                if let Some(g) = rentdesk_domain::possession::step::ground_8_at_service(
                    &account.facts,
                    &account.entries,
                    &n,
                    today,
                ) {
                    n.ground_8 = Some(g);
                }
                Notice {
                    lapses_on: n.lapses_on(&gates.breathing_spaces),
                    ..Notice::from(n)
                }
            }),
            ground_8,
            ground_8_at_hearing: ground_8_at_hearing.map(Ground8Out::from),
            limitation: case.former_limitation.map(|l| LimitationOut {
                statute_barred_pence: l.barred.0,
                claimable_pence: l.claimable.0,
                restarted_on: l.restarted_on,
            }),
        })))
    }

    /// Record a step of the process
    ///
    /// A protocol step, a letter, a notice (its dates computed from the service date, method and
    /// tenure), a court step, a hearing (with its date), an order (its type, date for
    /// possession and terms), a warrant. Refused with 409 listing everything missing: protocol
    /// steps before a notice or claim; the court steps before this one (application → hearing →
    /// order → warrant → eviction; a warrant needs an order that allows one); a notice, claim,
    /// warrant or eviction while Breathing Space lasts (a hearing and an order may go ahead), and
    /// a notice sent during a Breathing Space, which is void even after it ends.
    ///
    /// An order records the ground(s) possession was ordered on (`grounds`): 422 for a ground
    /// the notice did not give, for an order on ground 8 that is not outright or gives
    /// possession more than 42 days after the order, and for one on ground 8 when the arrears on
    /// the hearing date were below the notice regime's threshold (the figures are named). A
    /// hearing date before the court application is refused (422); one fewer than 28 days or
    /// more than 8 weeks after it is recorded with a warning (`warnings`, and in the diary).
    /// A notice: `{"step": "notice_served", "sent_on": "2026-11-25", "sent_time": "10:30",
    /// "service_method": "hand", "grounds": [8, 10, 11]}`; its dates run from the day it is
    /// deemed served (CPR 6.26).
    #[oai(path = "/accounts/:id/steps", method = "post")]
    async fn record(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<StepIn>,
    ) -> poem::Result<StepAnswer> {
        StepAnswer::from_answer(record_step(&state, remote, auth, id, body).await?)
    }
    /// A stage letter as PDF
    ///
    /// The letter kept with a step (its id is in the step's answer and the diary). Only for
    /// accounts the caller can see; every download is audited.
    #[oai(path = "/letters/:id", method = "get")]
    async fn letter(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<LetterPdf> {
        use sea_orm::EntityTrait;
        let staff = match me(&state, &auth.0).await? {
            Ok(s) => s,
            Err(p) => return Ok(LetterPdf::from(Err(p))),
        };
        let err = |e: sea_orm::DbErr| Problem::internal(&e);
        let letter = rentdesk_store::entities::letter::Entity::find_by_id(id.0)
            .one(&state.db)
            .await
            .map_err(err)?;
        let visible = match &letter {
            Some(l) => rentdesk_store::staff::visible_tenancy(
                &state.db,
                &staff,
                l.tenancy_id,
                state.today(),
            )
            .await
            .map_err(err)?
            .is_some(),
            None => false,
        };
        let Some(letter) = letter.filter(|_| visible) else {
            return Ok(LetterPdf::from(Err(Problem::not_found(&format!(
                "letter {}",
                id.0
            )))));
        };
        rentdesk_store::audit::record(
            &state.db,
            rentdesk_store::audit::Entry {
                actor: rentdesk_store::audit::Actor::Staff(staff.id),
                action: "letter.read",
                subject_kind: "tenancy",
                subject_id: Some(letter.tenancy_id.to_string()),
                detail: Some(format!("letter {}", letter.id)),
                client_addr: client_addr(remote).as_deref(),
            },
        )
        .await
        .map_err(err)?;
        Ok(LetterPdf::from(Ok((
            letter.pdf,
            format!(
                "attachment; filename=\"letter-{}-{}.pdf\"",
                letter.id, letter.stage
            ),
        ))))
    }
}
