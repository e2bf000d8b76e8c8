//! Stage letters (issue 7): `domain::letters::compose` worded with the account's figures as of the day,
//! rendered to PDF (`crate::pdf`), and kept with the diary entry of the step they went with —
//! written in the same transaction as the step, so a step is never recorded without its letter.

use crate::entities::{arrangement, letter, tenant};
use chrono::NaiveDate;
use rentdesk_domain::letters::blocks::Block;
use rentdesk_domain::letters::compose::{
    LetterFacts, LetterFor, StatementLine, compose_for, statement_from,
};
use rentdesk_domain::letters::templates::LetterTemplates;
use rentdesk_domain::possession::order::{CourtOrder, Hearing};
use rentdesk_domain::possession::protocol::NoticeDates;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// A letter ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The stage or protocol step it goes with.
    pub stage: LetterFor,
    pub title: String,
    pub pdf: Vec<u8>,
}

/// Lines of recent statement printed on a letter.
const STATEMENT_LINES: u64 = 8;

/// What the step itself records, for its letter: a notice's dates, a hearing, an order, a
/// protocol letter's time limit. Whatever is not given is read from the diary (the latest
/// recorded), so a later letter can refer back to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepDetails<'a> {
    pub notice: Option<&'a NoticeDates>,
    pub hearing: Option<Hearing>,
    pub order: Option<&'a CourtOrder>,
    pub time_limit_ends_on: Option<NaiveDate>,
    /// A former tenant's letter of claim: what is claimed and what is statute-barred.
    pub claim: Option<rentdesk_domain::limitation::Limitation>,
}

/// Who a letter is from and in whose wording.
#[derive(Debug, Clone, Copy)]
pub struct Letterhead<'a> {
    pub landlord: &'a str,
    /// The officer who took the step: the letter is signed by them.
    pub officer_name: &'a str,
    /// The landlord's wording (`LETTER_TEMPLATES_DIR`).
    pub templates: &'a LetterTemplates,
}

/// The letter for moving `tenancy_id` to a stage, or for a protocol step that is a letter
/// (para 2.9's warning, Part 3's letter), on `today`, in the landlord's wording (`templates`);
/// `None`: it has none.
pub async fn render<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    what: LetterFor,
    step: StepDetails<'_>,
    from: Letterhead<'_>,
    today: NaiveDate,
) -> anyhow::Result<Option<Rendered>> {
    if !what.has_letter() {
        return Ok(None);
    }
    let Some(account) = crate::accounts::full_account(db, tenancy_id, today).await? else {
        return Ok(None);
    };
    render_for(db, &account, what, step, from, today).await
}

/// [`render`] for an account the caller has already loaded as of `today` (a step's checks
/// read it first: loading it again was half of a step's reads).
pub async fn render_for<C: ConnectionTrait>(
    db: &C,
    account: &crate::accounts::FullAccount,
    what: LetterFor,
    step: StepDetails<'_>,
    from: Letterhead<'_>,
    today: NaiveDate,
) -> anyhow::Result<Option<Rendered>> {
    let Letterhead {
        landlord,
        officer_name,
        templates,
    } = from;
    if !what.has_letter() {
        return Ok(None);
    }
    let tenancy_id = account.view.tenancy.id;
    let v = &account.view;
    let t = &v.tenancy;
    let s = &v.summary;
    // The notice a later letter refers back to, when this step is not itself the notice.
    let notice = match step.notice {
        Some(n) => Some(n.clone()),
        None => crate::steps::current_notice(db, tenancy_id).await?,
    };
    let (recorded_hearing, recorded_order) = crate::cases::recorded_court(db, tenancy_id).await?;
    let hearing = step.hearing.or(recorded_hearing);
    let order = step.order.cloned().or(recorded_order);
    let arrangement = arrangement::Entity::find()
        .filter(arrangement::Column::TenancyId.eq(tenancy_id))
        .filter(arrangement::Column::Status.eq("active"))
        .order_by_desc(arrangement::Column::StartDate)
        .one(db)
        .await?
        .map(|a| {
            format!(
                "{} {} from {} towards the arrears, on top of the rent",
                rentdesk_domain::Pence(a.instalment_pence),
                a.frequency,
                a.start_date.format("%-d %B %Y")
            )
        });
    // The hearing letter's full schedule (every line since `from`), else the latest few.
    let from = match what {
        LetterFor::Stage(stage) => statement_from(stage, today),
        LetterFor::Protocol(_) => None,
    };
    let mut lines = vec![];
    let mut cursor = None;
    loop {
        let limit = if from.is_some() { 500 } else { STATEMENT_LINES };
        let page = crate::statement::page(db, tenancy_id, from, Some(today), cursor, limit).await?;
        lines.extend(page.lines);
        match page.next {
            Some(next) if from.is_some() => cursor = Some(next),
            _ => break,
        }
    }
    let mut statement: Vec<StatementLine> = lines
        .into_iter()
        .map(|l| StatementLine {
            date: l.posted_on,
            description: l.description.unwrap_or_else(|| l.kind.replace('_', " ")),
            amount: l.amount,
            balance: l.balance_after,
        })
        .collect();
    statement.reverse();
    // Every named tenant gets their own copy, lead first (docs/possession.md#letters: letters go separately
    // to each named tenant; a notice names them all).
    let mut tenants: Vec<String> = tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(tenancy_id))
        .order_by_desc(tenant::Column::IsLead)
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.full_name)
        .filter(|n| !n.trim().is_empty())
        .collect();
    if tenants.is_empty() {
        tenants.push("Tenant".to_owned());
    }
    let mut facts = LetterFacts {
        today,
        landlord: landlord.to_owned(),
        officer_name: officer_name.to_owned(),
        tenant_name: tenants[0].clone(),
        tenants: tenants.clone(),
        address: [
            Some(t.address_line1.clone()),
            t.address_line2.clone(),
            Some(format!("{} {}", t.town, t.postcode)),
        ]
        .into_iter()
        .flatten()
        .filter(|l| !l.trim().is_empty())
        .collect(),
        reference: t.reference.clone(),
        balance: s.balance,
        real_arrears: s.real_arrears,
        technical_arrears: s.technical_arrears,
        technical_reason: s.technical_reason.clone(),
        weekly_charge: s.weekly_charge,
        weeks_in_arrears: s
            .weeks_in_arrears_hundredths
            .map(|h| format!("{}.{:02}", h / 100, h % 100)),
        arrangement,
        notice,
        hearing,
        order,
        statement,
        statement_from: from,
        time_limit_ends_on: step.time_limit_ends_on,
        claim: step.claim,
    };
    let Some(first) = compose_for(templates, what, &facts) else {
        return Ok(None);
    };
    let title = first.title.clone();
    let mut doc = crate::pdf::Document::new(title.clone());
    for (k, name) in tenants.iter().enumerate() {
        let letter = if k == 0 {
            first.clone()
        } else {
            facts.tenant_name = name.clone();
            doc = doc.page_break().heading(title.clone());
            match compose_for(templates, what, &facts) {
                Some(l) => l,
                None => continue,
            }
        };
        for block in letter.blocks {
            doc = match block {
                Block::Heading(h) => doc.heading(h),
                Block::Para(p) => doc.para(p),
                Block::Table { headers, rows } => {
                    let mut table = crate::pdf::Table::new(headers);
                    for r in rows {
                        table.push(r);
                    }
                    doc.table(table)
                }
            };
        }
    }
    Ok(Some(Rendered {
        stage: what,
        title,
        pdf: doc.render(),
    }))
}

/// Keep `letter` with the diary action of its step.
pub async fn store<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    letter: Rendered,
    action_id: i64,
    staff_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<letter::Model, sea_orm::DbErr> {
    letter::ActiveModel {
        tenancy_id: Set(tenancy_id),
        stage: Set(letter.stage.as_str().to_owned()),
        title: Set(letter.title),
        pdf: Set(letter.pdf),
        action_id: Set(Some(action_id)),
        created_by_staff_id: Set(Some(staff_id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The letters of a tenancy, newest first (without their PDFs' bytes being needed).
/// The id of the letter a step (`action_id`) wrote on `tenancy_id`, without reading the PDFs.
pub async fn id_of_action<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    action_id: i64,
) -> Result<Option<i64>, sea_orm::DbErr> {
    letter::Entity::find()
        .select_only()
        .column(letter::Column::Id)
        .filter(letter::Column::TenancyId.eq(tenancy_id))
        .filter(letter::Column::ActionId.eq(action_id))
        .order_by_desc(letter::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await
}

pub async fn of_tenancy<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<Vec<letter::Model>, sea_orm::DbErr> {
    letter::Entity::find()
        .filter(letter::Column::TenancyId.eq(tenancy_id))
        .order_by_desc(letter::Column::Id)
        .all(db)
        .await
}
