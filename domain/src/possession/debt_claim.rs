//! A former tenant's debt under the Pre-Action Protocol for Debt Claims
//! (docs/possession.md#former-tenants-the-pre-action-protocol-for-debt-claims): a letter of claim
//! (with the information sheet, the reply form and a financial statement) only for what is
//! within the six years (Limitation Act 1980 s19, [`crate::limitation`]); 30 days for the
//! debtor to reply; more while they get debt advice; a court claim only after that; and a
//! write-off approved by a team leader with reasons.
//!
//! Pure: the store passes in the protocol steps recorded and the limitation split.

use crate::Pence;
use crate::possession::protocol::{Missing, ProtocolStep};
use crate::possession::types::Stage;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Pre-Action Protocol for Debt Claims (in force 1 October 2017; paragraph numbers not
/// verified): the debtor should reply within 30 days of the date of the letter of claim.
pub const REPLY_DAYS: i64 = 30;
/// The same Protocol (paragraph not verified, see docs): a debtor who says they are getting debt
/// advice is given a reasonable time for it; proceedings not less than 30 days after the
/// completed reply form is received.
pub const DEBT_ADVICE_DAYS: i64 = 30;

/// The Debt Claims Protocol steps recorded on a former tenancy, latest of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtRecord {
    /// The day the letter of claim was sent (the date on it).
    pub letter_on: Option<NaiveDate>,
    /// The day the reply form came back (on or after the letter).
    pub reply_on: Option<NaiveDate>,
    /// The day the debtor's reply said they are getting debt advice (on or after the letter).
    pub advice_on: Option<NaiveDate>,
    /// The day a court claim was issued.
    pub claim_on: Option<NaiveDate>,
    /// The day a team leader approved writing the debt off.
    pub write_off_on: Option<NaiveDate>,
}

impl DebtRecord {
    /// From every protocol step recorded on the account. A reply or a debt-advice note before
    /// the latest letter belongs to an earlier letter and does not count.
    pub fn from_recorded(recorded: &[(ProtocolStep, NaiveDate)]) -> DebtRecord {
        let latest = |step: ProtocolStep, since: Option<NaiveDate>| {
            recorded
                .iter()
                .filter(|(s, d)| *s == step && since.is_none_or(|since| *d >= since))
                .map(|(_, d)| *d)
                .max()
        };
        let letter_on = latest(ProtocolStep::DebtLetterOfClaimSent, None);
        let after_letter = |step| letter_on.and_then(|l| latest(step, Some(l)));
        DebtRecord {
            letter_on,
            reply_on: after_letter(ProtocolStep::DebtReplyReceived),
            advice_on: after_letter(ProtocolStep::DebtAdviceSought),
            claim_on: latest(ProtocolStep::DebtClaimIssued, None),
            write_off_on: latest(ProtocolStep::WriteOffApproved, None),
        }
    }
}

/// What comes next on a former tenant's debt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DebtNext {
    /// Send the letter of claim, for what is claimable.
    LetterOfClaim,
    /// The letter went; the debtor has until `reply_by` to reply; no claim before `claim_from`.
    AwaitReply,
    /// The reply time (and any debt-advice time) has run: a claim may be issued.
    Claim,
    /// Nothing can be claimed but something is owed (all statute-barred): a write-off for a
    /// team leader to approve, with reasons.
    ProposeWriteOff,
    /// Nothing to do: written off, a claim already issued, or nothing owed.
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtClaim {
    pub next: DebtNext,
    /// What may be claimed (within the six years, no more than is owed).
    pub claimable: Pence,
    /// The last day of the 30 days to reply to the letter of claim.
    pub reply_by: Option<NaiveDate>,
    /// The first day a court claim may be issued.
    pub claim_from: Option<NaiveDate>,
    pub reasons: Vec<String>,
}

fn fmt(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// The last day to reply to a letter of claim dated `letter_on`: 30 days from its date
/// (the day of the letter not counted).
pub fn reply_by(letter_on: NaiveDate) -> NaiveDate {
    letter_on + Duration::days(REPLY_DAYS)
}

/// The first day a claim may be issued: the day after the 30 days to reply; when the debtor
/// said they are getting debt advice, also not before 30 full days after that reply.
pub fn claim_from(r: &DebtRecord) -> Option<NaiveDate> {
    let letter = r.letter_on?;
    let after_reply = reply_by(letter) + Duration::days(1);
    Some(match r.advice_on {
        Some(a) => after_reply.max(a + Duration::days(DEBT_ADVICE_DAYS + 1)),
        None => after_reply,
    })
}

/// Where a former tenant's debt stands and what comes next. `owed`: the real arrears;
/// `claimable` and `barred`: the Limitation Act split of the balance.
pub fn debt_claim(
    r: &DebtRecord,
    owed: Pence,
    claimable: Pence,
    barred: Pence,
    today: NaiveDate,
) -> DebtClaim {
    let claimable = Pence(owed.0.min(claimable.0).max(0));
    let mut out = DebtClaim {
        next: DebtNext::Nothing,
        claimable,
        reply_by: r.letter_on.map(reply_by),
        claim_from: claim_from(r),
        reasons: vec![],
    };
    if let Some(d) = r.write_off_on {
        out.reasons.push(format!(
            "written off on {} with a team leader's approval",
            fmt(d)
        ));
        return out;
    }
    if let Some(d) = r.claim_on {
        out.reasons
            .push(format!("a court claim was issued on {}", fmt(d)));
        return out;
    }
    if claimable.0 <= 0 {
        if owed.0 > 0 || barred.0 > 0 {
            out.reasons.push(format!(
                "nothing owed fell due within the last six years (Limitation Act 1980 s19): no \
                 letter of claim and no claim; a write-off of {} may be proposed to a team \
                 leader, with reasons",
                Pence(owed.0.max(barred.0))
            ));
            out.next = DebtNext::ProposeWriteOff;
        }
        return out;
    }
    let (Some(letter), Some(from)) = (r.letter_on, out.claim_from) else {
        out.reasons.push(format!(
            "no letter of claim sent yet: the Pre-Action Protocol for Debt Claims asks for one \
             (with the information sheet, reply form and financial statement) before any claim \
             for {claimable}"
        ));
        out.next = DebtNext::LetterOfClaim;
        return out;
    };
    out.reasons.push(format!(
        "letter of claim sent on {}: 30 days to reply, until {}",
        fmt(letter),
        fmt(reply_by(letter))
    ));
    if let Some(a) = r.advice_on {
        out.reasons.push(format!(
            "the debtor said on {} that they are getting debt advice: no claim before {}",
            fmt(a),
            fmt(from)
        ));
    } else if let Some(rep) = r.reply_on {
        out.reasons
            .push(format!("the reply form came back on {}", fmt(rep)));
    }
    out.next = if today < from {
        DebtNext::AwaitReply
    } else {
        DebtNext::Claim
    };
    out
}

/// Whether a Debt Claims step may be recorded now: only on a former tenancy in recovery; a
/// letter of claim only for a sum within the six years; a reply or debt-advice note only after
/// a letter; a claim only for a sum within the six years, after the letter's time to reply (and
/// any debt-advice time); none of these during a Breathing Space; a write-off only by a team
/// leader. Empty: allowed. Other steps: always empty.
pub fn debt_step_gate(
    step: ProtocolStep,
    stage: Stage,
    state: &DebtClaim,
    r: &DebtRecord,
    breathing_space: bool,
    team_leader: bool,
    today: NaiveDate,
) -> Vec<Missing> {
    let mut out = vec![];
    let mut miss = |id: &str, reason: String| {
        out.push(Missing {
            id: id.into(),
            reason,
        })
    };
    if !step.is_debt_claim() {
        return vec![];
    }
    if stage != Stage::FormerTenantRecovery {
        miss(
            "former_tenant_recovery",
            "only for a former tenancy in recovery (stage former_tenant_recovery)".into(),
        );
        return out;
    }
    if breathing_space && step != ProtocolStep::WriteOffApproved {
        miss(
            "breathing_space",
            "the debtor is in Breathing Space: no demand and no claim while it lasts".into(),
        );
    }
    let nothing_claimable = || {
        "nothing owed fell due within the last six years: it is statute-barred (Limitation Act \
         1980 s19)"
            .to_owned()
    };
    match step {
        ProtocolStep::DebtLetterOfClaimSent if state.claimable.0 <= 0 => {
            miss("limitation", nothing_claimable());
        }
        ProtocolStep::DebtReplyReceived | ProtocolStep::DebtAdviceSought
            if r.letter_on.is_none_or(|l| l > today) =>
        {
            miss(
                ProtocolStep::DebtLetterOfClaimSent.as_str(),
                "no letter of claim recorded: a reply answers one".into(),
            );
        }
        ProtocolStep::DebtClaimIssued => {
            if state.claimable.0 <= 0 {
                miss("limitation", nothing_claimable());
            }
            match claim_from(r) {
                None => miss(
                    ProtocolStep::DebtLetterOfClaimSent.as_str(),
                    "send a letter of claim first (Pre-Action Protocol for Debt Claims)".into(),
                ),
                Some(from) if today < from => miss(
                    "reply_time",
                    format!(
                        "the debtor's time to reply (and to get debt advice, if they said so) \
                         runs until the day before {}",
                        fmt(from)
                    ),
                ),
                Some(_) => {}
            }
        }
        ProtocolStep::WriteOffApproved if !team_leader => {
            miss(
                "team_leader_approval",
                "a write-off is approved by a team leader".into(),
            );
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Pre-Action Protocol for Debt Claims (letter of claim, 30 days to reply, time for debt
    /// advice); Limitation Act 1980 s19.
    /// The worked cases of docs/possession.md (a letter of claim dated Tue 1 Dec 2026).
    #[test]
    fn pre_action_protocol_for_debt_claims_30_days_to_reply_more_for_debt_advice() {
        let none = DebtRecord::default();
        let letter = DebtRecord {
            letter_on: Some(d(2026, 12, 1)),
            ..none
        };
        let advice = DebtRecord {
            advice_on: Some(d(2026, 12, 20)),
            ..letter
        };
        let early_advice = DebtRecord {
            advice_on: Some(d(2026, 12, 1)),
            ..letter
        };
        let claimed = DebtRecord {
            claim_on: Some(d(2027, 1, 5)),
            ..letter
        };
        let written_off = DebtRecord {
            write_off_on: Some(d(2027, 1, 5)),
            ..none
        };
        // (record, owed, claimable, barred, today, next, reply_by, claim_from)
        let table = [
            (
                none,
                19_700,
                19_700,
                0,
                d(2026, 12, 1),
                DebtNext::LetterOfClaim,
                None,
                None,
            ),
            // All statute-barred: no letter, no claim; a write-off to propose.
            (
                none,
                40_150,
                0,
                40_150,
                d(2026, 12, 1),
                DebtNext::ProposeWriteOff,
                None,
                None,
            ),
            (none, 0, 0, 0, d(2026, 12, 1), DebtNext::Nothing, None, None),
            (
                letter,
                19_700,
                19_700,
                0,
                d(2026, 12, 31),
                DebtNext::AwaitReply,
                Some(d(2026, 12, 31)),
                Some(d(2027, 1, 1)),
            ),
            (
                letter,
                19_700,
                19_700,
                0,
                d(2027, 1, 1),
                DebtNext::Claim,
                Some(d(2026, 12, 31)),
                Some(d(2027, 1, 1)),
            ),
            // Debt advice sought on 20 Dec: not less than 30 days from the reply.
            (
                advice,
                19_700,
                19_700,
                0,
                d(2027, 1, 19),
                DebtNext::AwaitReply,
                Some(d(2026, 12, 31)),
                Some(d(2027, 1, 20)),
            ),
            (
                advice,
                19_700,
                19_700,
                0,
                d(2027, 1, 20),
                DebtNext::Claim,
                Some(d(2026, 12, 31)),
                Some(d(2027, 1, 20)),
            ),
            // Advice said the day of the letter: 30 full days after it, as the letter's own 30 days.
            (
                early_advice,
                19_700,
                19_700,
                0,
                d(2027, 1, 1),
                DebtNext::Claim,
                Some(d(2026, 12, 31)),
                Some(d(2027, 1, 1)),
            ),
            (
                claimed,
                19_700,
                19_700,
                0,
                d(2027, 2, 1),
                DebtNext::Nothing,
                Some(d(2026, 12, 31)),
                Some(d(2027, 1, 1)),
            ),
            (
                written_off,
                40_150,
                0,
                40_150,
                d(2027, 2, 1),
                DebtNext::Nothing,
                None,
                None,
            ),
        ];
        for (r, owed, claimable, barred, today, next, reply, from) in table {
            let s = debt_claim(&r, Pence(owed), Pence(claimable), Pence(barred), today);
            assert_eq!(s.next, next, "{r:?} on {today}: {s:?}");
            assert_eq!(s.reply_by, reply, "{r:?}");
            assert_eq!(s.claim_from, from, "{r:?}");
        }
    }

    #[test]
    fn a_reply_before_the_latest_letter_belongs_to_an_earlier_one() {
        let recorded = [
            (ProtocolStep::DebtLetterOfClaimSent, d(2026, 1, 5)),
            (ProtocolStep::DebtAdviceSought, d(2026, 1, 20)),
            (ProtocolStep::DebtLetterOfClaimSent, d(2026, 12, 1)),
        ];
        let r = DebtRecord::from_recorded(&recorded);
        assert_eq!(r.letter_on, Some(d(2026, 12, 1)));
        assert_eq!(r.advice_on, None);
        assert_eq!(claim_from(&r), Some(d(2027, 1, 1)));
    }

    /// Limitation Act 1980 s19 and the Protocol: the gates on recording each step.
    #[test]
    #[allow(clippy::type_complexity)]
    fn debt_claims_steps_are_refused_before_the_law_allows_them() {
        use ProtocolStep::*;
        let letter = DebtRecord {
            letter_on: Some(d(2026, 12, 1)),
            ..DebtRecord::default()
        };
        let none = DebtRecord::default();
        let ft = Stage::FormerTenantRecovery;
        // (step, stage, record, claimable, breathing space, team leader, today, refused ids)
        let table: [(
            ProtocolStep,
            Stage,
            DebtRecord,
            i64,
            bool,
            bool,
            NaiveDate,
            &[&str],
        ); 11] = [
            (
                DebtLetterOfClaimSent,
                ft,
                none,
                19_700,
                false,
                false,
                d(2026, 12, 1),
                &[],
            ),
            (
                DebtLetterOfClaimSent,
                ft,
                none,
                0,
                false,
                false,
                d(2026, 12, 1),
                &["limitation"],
            ),
            (
                DebtLetterOfClaimSent,
                Stage::SecondLetter,
                none,
                19_700,
                false,
                false,
                d(2026, 12, 1),
                &["former_tenant_recovery"],
            ),
            (
                DebtLetterOfClaimSent,
                ft,
                none,
                19_700,
                true,
                false,
                d(2026, 12, 1),
                &["breathing_space"],
            ),
            (
                DebtAdviceSought,
                ft,
                none,
                19_700,
                false,
                false,
                d(2026, 12, 1),
                &["debt_letter_of_claim_sent"],
            ),
            (
                DebtAdviceSought,
                ft,
                letter,
                19_700,
                false,
                false,
                d(2026, 12, 2),
                &[],
            ),
            (
                DebtClaimIssued,
                ft,
                letter,
                19_700,
                false,
                false,
                d(2026, 12, 31),
                &["reply_time"],
            ),
            (
                DebtClaimIssued,
                ft,
                letter,
                19_700,
                false,
                false,
                d(2027, 1, 1),
                &[],
            ),
            (
                DebtClaimIssued,
                ft,
                none,
                19_700,
                false,
                false,
                d(2027, 1, 1),
                &["debt_letter_of_claim_sent"],
            ),
            (
                WriteOffApproved,
                ft,
                none,
                0,
                false,
                false,
                d(2027, 1, 1),
                &["team_leader_approval"],
            ),
            (
                WriteOffApproved,
                ft,
                none,
                0,
                true,
                true,
                d(2027, 1, 1),
                &[],
            ),
        ];
        for (step, stage, r, claimable, bs, tl, today, refused) in table {
            let state = debt_claim(&r, Pence(claimable), Pence(claimable), Pence(0), today);
            let ids: Vec<String> = debt_step_gate(step, stage, &state, &r, bs, tl, today)
                .into_iter()
                .map(|m| m.id)
                .collect();
            assert_eq!(ids, refused, "{step:?} at {stage:?} on {today}");
        }
        // Not a Debt Claims step: never gated here.
        let state = debt_claim(&none, Pence(0), Pence(0), Pence(0), d(2027, 1, 1));
        assert!(
            debt_step_gate(
                ContactMade,
                Stage::SecondLetter,
                &state,
                &none,
                true,
                false,
                d(2027, 1, 1)
            )
            .is_empty()
        );
    }
}
