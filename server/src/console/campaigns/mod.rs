//! The campaign pages: the list, the form that builds one (with its live preview), the
//! campaign with its live progress and its actions, and the outcome. Each calls
//! [`crate::api::campaigns::use_cases`], as `/manage/v1/campaigns` does.

pub mod list;
pub mod new;
pub mod outcome;
pub mod show;

use crate::problem::Problem;
use poem_openapi::types::ToJSON;
use std::collections::BTreeMap;

/// A use case's answer as the JSON the templates read (the same shape the API sends).
pub(crate) fn json(v: &impl ToJSON) -> serde_json::Value {
    v.to_json().unwrap_or_default()
}

/// A problem's field errors by field, and what is not about one field, for the page.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Faults {
    /// Form field name → reason, in words.
    pub fields: BTreeMap<String, String>,
    /// Everything, in order, each with the field's label, for the summary at the top.
    pub summary: Vec<(String, String, String)>,
    /// The problem's title and detail when it is not about fields (409, 404).
    pub general: Option<String>,
}

impl Faults {
    pub fn from_list(errors: Vec<(String, String)>) -> Faults {
        let mut f = Faults::default();
        for (field, reason) in errors {
            let slot = new::slot_for(&field);
            f.summary.push((
                slot.clone(),
                new::label_for(&slot).to_owned(),
                reason.clone(),
            ));
            f.fields
                .entry(slot)
                .and_modify(|r| {
                    r.push_str("; ");
                    r.push_str(&reason);
                })
                .or_insert(reason);
        }
        f
    }

    pub fn from_problem(p: &Problem) -> Faults {
        let mut f = Faults::from_list(
            p.errors
                .iter()
                .map(|e| (e.field.clone(), e.reason.clone()))
                .collect(),
        );
        if p.errors.is_empty() {
            f.general = Some(match &p.detail {
                Some(d) => format!("{}: {d}", p.title),
                None => p.title.clone(),
            });
        }
        f
    }
}
