//! A tenant's rent statement: the ledger newest first with the running balance after each
//! line, a page at a time, and the rent-year summary.

use crate::entities::transaction;
use chrono::NaiveDate;
use rentdesk_domain::Pence;
use rentdesk_domain::calendar::RentYear;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Where a page ends: the last line's date and id. Lines strictly older follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub posted_on: NaiveDate,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.posted_on, self.id)
    }

    pub fn decode(s: &str) -> Result<Cursor, String> {
        let bad = || "not a cursor this API gave out".to_owned();
        let (d, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            posted_on: NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: i64,
    pub posted_on: NaiveDate,
    pub kind: String,
    pub description: Option<String>,
    /// Debit positive.
    pub amount: Pence,
    /// The balance after this line.
    pub balance_after: Pence,
}

pub struct Page {
    pub lines: Vec<Line>,
    pub next: Option<Cursor>,
}

/// Lines of `tenancy_id` posted in [from, to], newest first, after `cursor`.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    cursor: Option<Cursor>,
    limit: u64,
) -> Result<Page, sea_orm::DbErr> {
    let mut q = transaction::Entity::find().filter(transaction::Column::TenancyId.eq(tenancy_id));
    if let Some(from) = from {
        q = q.filter(transaction::Column::PostedOn.gte(from));
    }
    if let Some(to) = to {
        q = q.filter(transaction::Column::PostedOn.lte(to));
    }
    if let Some(c) = cursor {
        q = q.filter(before(c));
    }
    let mut rows = q
        .order_by_desc(transaction::Column::PostedOn)
        .order_by_desc(transaction::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let Some(newest) = rows.first() else {
        return Ok(Page {
            lines: vec![],
            next: None,
        });
    };
    // The balance after the newest line on the page: everything up to and including it.
    let upto = Cursor {
        posted_on: newest.posted_on,
        id: newest.id,
    };
    let mut balance = sum(
        db,
        tenancy_id,
        Condition::any().add(before(upto)).add(
            Condition::all()
                .add(transaction::Column::PostedOn.eq(upto.posted_on))
                .add(transaction::Column::Id.eq(upto.id)),
        ),
    )
    .await?;
    let next = more.then(|| {
        let last = rows.last().expect("non-empty");
        Cursor {
            posted_on: last.posted_on,
            id: last.id,
        }
    });
    let lines = rows
        .into_iter()
        .map(|r| {
            let line = Line {
                id: r.id,
                posted_on: r.posted_on,
                kind: r.kind,
                description: r.description,
                amount: Pence(r.amount_pence),
                balance_after: balance,
            };
            balance -= Pence(r.amount_pence);
            line
        })
        .collect();
    Ok(Page { lines, next })
}

/// Lines strictly older than `c` in (date, id) order.
fn before(c: Cursor) -> Condition {
    Condition::any()
        .add(transaction::Column::PostedOn.lt(c.posted_on))
        .add(
            Condition::all()
                .add(transaction::Column::PostedOn.eq(c.posted_on))
                .add(transaction::Column::Id.lt(c.id)),
        )
}

/// The total of one account's lines matching `cond`. Added up here, not by SQL `SUM()`: over a
/// stored amount near `i64::MAX` SQLite's `sum()` fails with "integer overflow" and
/// PostgreSQL's cast back to BIGINT with "out of range", and the statement would be a 500.
/// `Pence`'s sum saturates instead (issue 15). One account's ledger is small.
async fn sum<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    cond: Condition,
) -> Result<Pence, sea_orm::DbErr> {
    let amounts: Vec<i64> = transaction::Entity::find()
        .select_only()
        .column(transaction::Column::AmountPence)
        .filter(transaction::Column::TenancyId.eq(tenancy_id))
        .filter(cond)
        .into_tuple()
        .all(db)
        .await?;
    Ok(amounts.into_iter().map(Pence).sum())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearSummary {
    pub year: RentYear,
    pub opening_balance: Pence,
    /// Rent and service charges (and court costs) debited in the year.
    pub charged: Pence,
    /// Paid by the tenant (positive).
    pub paid_by_tenant: Pence,
    pub housing_benefit: Pence,
    pub universal_credit: Pence,
    /// Everything else: adjustments, write-offs, refunds, deductions (debit positive).
    pub other: Pence,
    pub closing_balance: Pence,
}

/// The rent year containing `date`, up to `date` (the year so far).
pub async fn year_summary<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    date: NaiveDate,
) -> Result<YearSummary, sea_orm::DbErr> {
    let year = RentYear::containing(date);
    let opening = sum(
        db,
        tenancy_id,
        Condition::all().add(transaction::Column::PostedOn.lt(year.start)),
    )
    .await?;
    // Per kind, added up here for the reason `sum` gives.
    let rows: Vec<(String, i64)> = transaction::Entity::find()
        .select_only()
        .column(transaction::Column::Kind)
        .column(transaction::Column::AmountPence)
        .filter(transaction::Column::TenancyId.eq(tenancy_id))
        .filter(transaction::Column::PostedOn.gte(year.start))
        .filter(transaction::Column::PostedOn.lte(date))
        .into_tuple()
        .all(db)
        .await?;
    let mut by_kind: std::collections::BTreeMap<String, Vec<Pence>> = Default::default();
    for (kind, amount) in rows {
        by_kind.entry(kind).or_default().push(Pence(amount));
    }
    let mut s = YearSummary {
        year,
        opening_balance: opening,
        charged: Pence::ZERO,
        paid_by_tenant: Pence::ZERO,
        housing_benefit: Pence::ZERO,
        universal_credit: Pence::ZERO,
        other: Pence::ZERO,
        closing_balance: opening,
    };
    for (kind, amounts) in by_kind {
        let total: Pence = amounts.into_iter().sum();
        s.closing_balance += total;
        match kind.as_str() {
            "rent_debit" | "service_charge" | "court_costs" => s.charged += total,
            "payment" => s.paid_by_tenant -= total,
            "housing_benefit" => s.housing_benefit -= total,
            "universal_credit" => s.universal_credit -= total,
            _ => s.other += total,
        }
    }
    Ok(s)
}
