//! The outcome: for each variant and the control group, who paid within 7 and 14 days of the
//! launch and how much, each variant's difference to control with its 95% confidence interval,
//! and a verdict in plain words.

use super::json;
use crate::api::campaigns::{CampaignOutcome, PaymentWindow, use_cases};
use crate::console::format::{money, points, signed_money};
use crate::console::session;
use crate::console::{internal, message, render};
use crate::state::AppState;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};

/// "Variant B" for `variant_1`, "Control group" for `control`.
pub fn group_name(group: &str) -> String {
    match group
        .strip_prefix("variant_")
        .and_then(|n| n.parse::<u8>().ok())
    {
        Some(n) if n < 26 => format!("Variant {}", char::from(b'A' + n)),
        _ if group == "control" => "Control group".into(),
        _ => crate::console::format::words(group),
    }
}

/// One window's verdict against control, in words: "+£4.10 per recipient within 14 days, 95% CI
/// −£0.80 to +£9.00: not yet conclusive".
pub fn verdict(w: &PaymentWindow, days: u32, complete: bool) -> Option<String> {
    let v = w.versus_control.as_ref()?;
    let (lo, hi) = (v.mean_paid_ci_low_pence, v.mean_paid_ci_high_pence);
    let judged = if !complete {
        "the window has not closed yet"
    } else if lo > 0 {
        "more paid than the control group"
    } else if hi < 0 {
        "less paid than the control group"
    } else {
        "not yet conclusive"
    };
    Some(format!(
        "{} per recipient within {days} days, 95% CI {} to {}: {judged} (share who paid {}, CI {} to {})",
        signed_money(v.mean_paid_difference_pence),
        signed_money(lo),
        signed_money(hi),
        points(v.paid_rate_difference),
        points(v.paid_rate_ci_low),
        points(v.paid_rate_ci_high),
    ))
}

fn rows(o: &CampaignOutcome) -> Vec<serde_json::Value> {
    o.groups
        .iter()
        .map(|g| {
            let window = |w: &PaymentWindow| {
                serde_json::json!({
                    "payers": w.payers,
                    "paid_rate": w.paid_rate,
                    "paid": money(w.paid_pence),
                })
            };
            serde_json::json!({
                "name": group_name(&g.group),
                "recipients": g.recipients,
                "d7": window(&g.within_7_days),
                "d14": window(&g.within_14_days),
                "verdict_7": verdict(&g.within_7_days, 7, o.complete_7_days),
                "verdict_14": verdict(&g.within_14_days, 14, o.complete_14_days),
            })
        })
        .collect()
}

#[handler]
pub async fn page(req: &Request, state: Data<&AppState>, Path(id): Path<i64>) -> Response {
    let (who, staff) = match session::team_leader(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let refused = |p: crate::problem::Problem| {
        message(
            StatusCode::NOT_FOUND,
            Some(&who),
            &p.title,
            p.detail.as_deref().unwrap_or_default(),
        )
    };
    let c = match use_cases::get(&state, &staff, id).await {
        Err(e) => return internal(e),
        Ok(Err(p)) => return refused(p),
        Ok(Ok(c)) => c,
    };
    let o = match use_cases::outcome(&state, &staff, id).await {
        Err(e) => return internal(e),
        Ok(Err(p)) => return refused(p),
        Ok(Ok(o)) => o,
    };
    render(
        StatusCode::OK,
        "campaign_outcome.html",
        serde_json::json!({
            "console": who,
            "c": json(&c),
            "o": json(&o),
            "rows": rows(&o),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::campaigns::VersusControl;

    fn window(lo: i64, diff: i64, hi: i64) -> PaymentWindow {
        PaymentWindow {
            payers: 10,
            paid_rate: 0.3,
            paid_pence: 10_000,
            versus_control: Some(VersusControl {
                paid_rate_difference: 0.1,
                paid_rate_ci_low: -0.05,
                paid_rate_ci_high: 0.25,
                mean_paid_difference_pence: diff,
                mean_paid_ci_low_pence: lo,
                mean_paid_ci_high_pence: hi,
            }),
        }
    }

    #[test]
    fn the_verdict_says_what_the_interval_allows() {
        assert_eq!(
            verdict(&window(-80, 410, 900), 14, true).unwrap(),
            "+£4.10 per recipient within 14 days, 95% CI −£0.80 to +£9.00: not yet conclusive \
             (share who paid +10.0 points, CI −5.0 points to +25.0 points)"
        );
        assert!(
            verdict(&window(120, 410, 900), 7, true)
                .unwrap()
                .contains(": more paid than the control group")
        );
        assert!(
            verdict(&window(-900, -410, -120), 7, true)
                .unwrap()
                .contains(": less paid than the control group")
        );
        assert!(
            verdict(&window(120, 410, 900), 7, false)
                .unwrap()
                .contains(": the window has not closed yet")
        );
        assert_eq!(group_name("variant_1"), "Variant B");
        assert_eq!(group_name("control"), "Control group");
    }
}
