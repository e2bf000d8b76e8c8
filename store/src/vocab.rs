//! The closed vocabularies of stored status columns, as sea-orm `DeriveActiveEnum`s with
//! string storage (the stored text is what it always was: no data migration), and the column
//! type that holds one: [`Stored`].
//!
//! Why not the `ActiveEnum` itself as the column's type: sea-orm then fails the whole query
//! on a row whose text is outside the list (a hand edit, a bug), and one bad row must never
//! take down a list or a report (issue 15). [`Stored`] is built only from its enum, so a
//! writer going through the entity cannot store a value outside the list (the compiler
//! refuses `Set("paused".into())`), while reading accepts any text, so the reader decides:
//! the API's `from_stored` leaves the row out of a list, logged, or answers 500 for a single
//! item, exactly as before.
//!
//! Why here and not in the domain: the domain stays free of sea-orm (its default build has no
//! database), and these statuses are the store's own bookkeeping (a task's `open`/`done`, an
//! import batch's `queued`…); the API has the same lists as poem-openapi `Enum`s, and a test
//! there checks that both list the same values.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{ActiveEnum, QueryResult, TryGetError, TryGetable};
use std::marker::PhantomData;

/// A closed-vocabulary text column: written only from its `ActiveEnum` `E`, read as whatever
/// text is stored ([`Stored::known`] says whether it is in the list).
pub struct Stored<E> {
    text: String,
    vocabulary: PhantomData<fn() -> E>,
}

impl<E: ActiveEnum<Value = String>> Stored<E> {
    /// The value, or `None` for stored text outside the list.
    pub fn known(&self) -> Option<E> {
        E::try_from_value(&self.text).ok()
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn read(text: String) -> Stored<E> {
        Stored {
            text,
            vocabulary: PhantomData,
        }
    }
}

impl<E: ActiveEnum<Value = String>> From<E> for Stored<E> {
    fn from(e: E) -> Stored<E> {
        Stored::read(e.to_value())
    }
}

impl<E> Clone for Stored<E> {
    fn clone(&self) -> Self {
        Stored {
            text: self.text.clone(),
            vocabulary: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for Stored<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.text, f)
    }
}

impl<E> std::fmt::Display for Stored<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl<E> PartialEq for Stored<E> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<E> Eq for Stored<E> {}

impl<E> PartialEq<str> for Stored<E> {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl<E> PartialEq<&str> for Stored<E> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl<E> std::ops::Deref for Stored<E> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl<E> serde::Serialize for Stored<E> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<E> From<Stored<E>> for Value {
    fn from(s: Stored<E>) -> Value {
        Value::String(Some(s.text))
    }
}

impl<E: ActiveEnum<Value = String>> TryGetable for Stored<E> {
    fn try_get_by<I: sea_orm::ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        String::try_get_by(res, idx).map(Stored::read)
    }
}

impl<E: ActiveEnum<Value = String>> ValueType for Stored<E> {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        <String as ValueType>::try_from(v).map(Stored::read)
    }

    fn type_name() -> String {
        format!("Stored<{}>", std::any::type_name::<E>())
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::String(StringLen::None)
    }
}

impl<E> Nullable for Stored<E> {
    fn null() -> Value {
        Value::String(None)
    }
}

impl<E> sea_orm::IntoActiveValue<Stored<E>> for Stored<E>
where
    Stored<E>: Into<Value>,
{
    fn into_active_value(self) -> sea_orm::ActiveValue<Stored<E>> {
        sea_orm::ActiveValue::Set(self)
    }
}

/// The stored spellings of a vocabulary, in declaration order.
pub fn names<E: ActiveEnum<Value = String> + sea_orm::Iterable>() -> Vec<String> {
    E::iter().map(|e| e.to_value()).collect()
}

/// Whether an officer's task is open or done (`tasks.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum TaskStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "done")]
    Done,
}

/// Where a planned visit stands (`visits.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum VisitStatus {
    #[sea_orm(string_value = "planned")]
    Planned,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "done")]
    Done,
}

/// Where a data export stands (`exports.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ExportStatus {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "done")]
    Done,
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// Where an import batch stands (`import_batches.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ImportBatchStatus {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// What a diary entry records (`actions.kind`): what an officer records (call, visit, note,
/// letter, referral); contact from the landlord's old system (sms, email, as history); the
/// tenant's texts (reply, sms_help, opt_in/opt_out, also an email opt-out); a message planned or
/// suppressed (message) or a rule's task for an officer (task); a task done (task_done); a
/// flag, a plan (arrangement, plan_proposed), a Universal Credit claim or a change of
/// circumstances the tenant reported; and the possession case: a protocol step, a stage, a
/// notice, a step after a postponed order (order_step). Every writer names one of these
/// (`crate::diary::Entry::kind`), so a misspelt kind does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ActionKind {
    #[sea_orm(string_value = "call")]
    Call,
    #[sea_orm(string_value = "visit")]
    Visit,
    #[sea_orm(string_value = "note")]
    Note,
    #[sea_orm(string_value = "letter")]
    Letter,
    #[sea_orm(string_value = "referral")]
    Referral,
    #[sea_orm(string_value = "sms")]
    Sms,
    #[sea_orm(string_value = "email")]
    Email,
    #[sea_orm(string_value = "reply")]
    Reply,
    #[sea_orm(string_value = "sms_help")]
    SmsHelp,
    #[sea_orm(string_value = "opt_in")]
    OptIn,
    #[sea_orm(string_value = "opt_out")]
    OptOut,
    #[sea_orm(string_value = "message")]
    Message,
    #[sea_orm(string_value = "task")]
    Task,
    #[sea_orm(string_value = "task_done")]
    TaskDone,
    #[sea_orm(string_value = "flag")]
    Flag,
    #[sea_orm(string_value = "arrangement")]
    Arrangement,
    #[sea_orm(string_value = "plan_proposed")]
    PlanProposed,
    #[sea_orm(string_value = "uc_claim")]
    UcClaim,
    #[sea_orm(string_value = "change_of_circumstances")]
    ChangeOfCircumstances,
    #[sea_orm(string_value = "protocol")]
    Protocol,
    #[sea_orm(string_value = "stage")]
    Stage,
    #[sea_orm(string_value = "notice")]
    Notice,
    #[sea_orm(string_value = "order_step")]
    OrderStep,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_vocabulary_is_the_list_its_module_publishes() {
        assert_eq!(names::<TaskStatus>(), crate::tasks::STATUSES);
        assert_eq!(names::<VisitStatus>(), crate::visits::STATUSES);
        assert_eq!(names::<ExportStatus>(), crate::subject_access::STATUSES);
        assert_eq!(names::<ImportBatchStatus>(), crate::imports::BATCH_STATUSES);
    }

    #[test]
    fn stored_text_outside_the_list_reads_and_says_so() {
        let good: Stored<TaskStatus> = TaskStatus::Done.into();
        assert_eq!(
            (good.as_str(), good.known()),
            ("done", Some(TaskStatus::Done))
        );
        let bad = <Stored<TaskStatus> as ValueType>::try_from(Value::from("teleported"))
            .expect("any text reads");
        assert_eq!((bad.as_str(), bad.known()), ("teleported", None));
        assert_eq!(Value::from(good), Value::from("done"));
    }
}
