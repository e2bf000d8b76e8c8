//! Offline sync scope: which patches came into, or went out of, what a member of staff sees
//! between two syncs. Scope changes without any row being written (a cover whose start date
//! arrives, or whose end date passes), so the app's last sync carries the patches it saw then
//! and the next sync compares them with the patches seen now.
//!
//! A scope is `None` for "every patch" (admin) or the set of patch ids.

use std::collections::BTreeSet;

/// A selection of patches: the listed ones, or every patch except the listed ones (and
/// accounts without a patch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patches {
    Only(BTreeSet<i64>),
    AllBut(BTreeSet<i64>),
}

impl Patches {
    pub fn none() -> Patches {
        Patches::Only(BTreeSet::new())
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Patches::Only(s) if s.is_empty())
    }
}

/// What changed between the scope the app saw (`before`) and the scope now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeChange {
    /// The app has none of these patches' accounts: send them in full.
    pub entered: Patches,
    /// The app must drop these patches' accounts.
    pub left: Patches,
}

pub fn scope_change(before: Option<&BTreeSet<i64>>, now: Option<&BTreeSet<i64>>) -> ScopeChange {
    match (before, now) {
        (None, None) => ScopeChange {
            entered: Patches::none(),
            left: Patches::none(),
        },
        (Some(b), None) => ScopeChange {
            entered: Patches::AllBut(b.clone()),
            left: Patches::none(),
        },
        (None, Some(n)) => ScopeChange {
            entered: Patches::none(),
            left: Patches::AllBut(n.clone()),
        },
        (Some(b), Some(n)) => ScopeChange {
            entered: Patches::Only(n.difference(b).copied().collect()),
            left: Patches::Only(b.difference(n).copied().collect()),
        },
    }
}

/// An offline edit that records what is already recorded (an outcome and note on a visit done
/// already) is a retry: nothing to do. Anything else would overwrite it, so it is a conflict.
/// A retry without a note (the app resending only the outcome) loses nothing.
pub fn repeats_recorded(
    recorded_outcome: Option<&str>,
    recorded_note: &str,
    outcome: &str,
    note: &str,
) -> bool {
    recorded_outcome == Some(outcome)
        && (note.trim().is_empty() || note.trim() == recorded_note.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[i64]) -> BTreeSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn the_same_scope_changes_nothing() {
        let c = scope_change(Some(&set(&[1, 2])), Some(&set(&[2, 1])));
        assert!(c.entered.is_empty() && c.left.is_empty());
        let c = scope_change(None, None);
        assert!(c.entered.is_empty() && c.left.is_empty());
    }

    #[test]
    fn cover_starting_brings_its_patch_and_ending_drops_it() {
        let own = set(&[1]);
        let covering = set(&[1, 3]);
        let start = scope_change(Some(&own), Some(&covering));
        assert_eq!(start.entered, Patches::Only(set(&[3])));
        assert!(start.left.is_empty());
        let end = scope_change(Some(&covering), Some(&own));
        assert!(end.entered.is_empty());
        assert_eq!(end.left, Patches::Only(set(&[3])));
    }

    #[test]
    fn a_patch_handed_over_is_dropped_and_its_replacement_brought() {
        let c = scope_change(Some(&set(&[1, 2])), Some(&set(&[2, 4])));
        assert_eq!(c.entered, Patches::Only(set(&[4])));
        assert_eq!(c.left, Patches::Only(set(&[1])));
    }

    #[test]
    fn becoming_or_ceasing_to_be_admin_covers_every_other_patch() {
        let c = scope_change(Some(&set(&[1])), None);
        assert_eq!(c.entered, Patches::AllBut(set(&[1])));
        assert!(c.left.is_empty());
        let c = scope_change(None, Some(&set(&[1])));
        assert!(c.entered.is_empty());
        assert_eq!(c.left, Patches::AllBut(set(&[1])));
    }

    #[test]
    fn a_visit_done_again_with_what_it_recorded_is_a_retry_anything_else_a_conflict() {
        let outcome = Some("promise_to_pay");
        let note = "Will pay £40 on Friday.";
        assert!(repeats_recorded(outcome, note, "promise_to_pay", note));
        assert!(repeats_recorded(
            outcome,
            note,
            "promise_to_pay",
            " Will pay £40 on Friday. "
        ));
        assert!(repeats_recorded(outcome, note, "promise_to_pay", ""));
        assert!(!repeats_recorded(outcome, note, "no_access", note));
        assert!(!repeats_recorded(
            outcome,
            note,
            "promise_to_pay",
            "Paid £40 on the doorstep"
        ));
        assert!(!repeats_recorded(None, "", "no_access", ""));
    }
}
