//! An account's whole record is within an officer's reach: the account view shows the first
//! page of the ledger, diary and messages with the cursor to the rest, and the case's stage
//! history; the paging endpoints walk everything once, newest first, and only in the
//! officer's own patches.

use crate::helpers::{TestApp, call, tenancy_id};
use rentdesk_store::entities::{action, audit_entry, transaction};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

/// Every page from `first` on, following `next_cursor`; the items under `key`.
async fn walk(
    app: &TestApp,
    path: &str,
    key: &str,
    token: &str,
    mut cursor: Option<String>,
) -> Vec<Value> {
    let mut all = vec![];
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=7&cursor={c}"),
            None => format!("{path}?limit=7"),
        };
        let (s, page) = get(app, &url, token).await;
        assert_eq!(s, 200, "{page}");
        all.extend(page[key].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

#[tokio::test]
async fn the_account_reaches_its_whole_diary_ledger_and_case_history_a_page_at_a_time() {
    // The examples with an officer for HD-NORTH and one for HD-CENTRAL, signed in.
    let crate::routes::Team {
        app,
        north,
        central,
        ..
    } = crate::routes::team().await;
    let hd1001 = tenancy_id(&app, "HD1001").await;

    // Sixty diary entries, two of them at the same moment, and forty more ledger lines.
    let start = chrono::Utc::now() - chrono::Duration::days(90);
    for k in 0..60i64 {
        let at = start + chrono::Duration::hours(k.min(58));
        let (s, a) = call(
            &app,
            reqwest::Method::POST,
            "/officer/v1/actions",
            Some(&north),
            Some(json!({"client_id": format!("history-note-{k:04}"), "tenancy_id": hd1001, "kind": "note", "body": format!("note {k}"), "occurred_at": at})),
        )
        .await;
        assert_eq!(s, 201, "{a}");
    }
    let mut tx =
        String::from("external_ref,tenancy_reference,posted_on,kind,amount,method,description\n");
    let monday = rentdesk_domain::calendar::monday_on_or_before(crate::helpers::real_today());
    for k in 0..40 {
        let d = monday - chrono::Duration::weeks(60 + k);
        tx += &format!("HIST-{k},HD1001,{d},rent_debit,100.00,,Rent\n");
    }
    assert_eq!(
        app.import("transactions", tx.into_bytes()).await["status"],
        "succeeded"
    );
    // Two pre-action protocol steps make the case's history.
    for step in ["contact_made", "rent_statement_sent"] {
        let (s, r) = call(
            &app,
            reqwest::Method::POST,
            &format!("/officer/v1/accounts/{hd1001}/steps"),
            Some(&north),
            Some(json!({"step": "protocol", "protocol_step": step})),
        )
        .await;
        assert_eq!(s, 201, "{r}");
    }

    let (s, a) = get(&app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(s, 200, "{a}");
    let history: Vec<&str> = a["case"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["contact_made", "rent_statement_sent"], "{a}");
    assert!(a["case"]["stage"].is_string() && a["case"]["stage_since"].is_string());

    // The diary: the first 50 in the view, the rest by cursor; every entry once, newest first.
    let in_db = action::Entity::find()
        .filter(action::Column::TenancyId.eq(hd1001))
        .count(&app.db)
        .await
        .unwrap() as usize;
    assert!(in_db >= 62);
    assert_eq!(a["actions"].as_array().unwrap().len(), 50);
    let rest = walk(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/diary"),
        "actions",
        &north,
        a["actions_next_cursor"].as_str().map(str::to_owned),
    )
    .await;
    let mut ids: Vec<i64> = a["actions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(&rest)
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), in_db);
    let whole = walk(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/diary"),
        "actions",
        &north,
        None,
    )
    .await;
    let times: Vec<&str> = whole
        .iter()
        .map(|x| x["occurred_at"].as_str().unwrap())
        .collect();
    assert_eq!(whole.len(), in_db);
    let when = |x: &Value| {
        x["occurred_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert!(
        whole.windows(2).all(|w| when(&w[0]) >= when(&w[1])),
        "{times:?}"
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), in_db, "no entry twice");

    // The ledger the same way.
    let lines = transaction::Entity::find()
        .filter(transaction::Column::TenancyId.eq(hd1001))
        .count(&app.db)
        .await
        .unwrap() as usize;
    assert_eq!(a["ledger"].as_array().unwrap().len(), 20);
    let older = walk(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/ledger"),
        "lines",
        &north,
        a["ledger_next_cursor"].as_str().map(str::to_owned),
    )
    .await;
    assert_eq!(20 + older.len(), lines);
    let messages = walk(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/messages"),
        "messages",
        &north,
        None,
    )
    .await;
    assert_eq!(messages.len(), a["messages"].as_array().unwrap().len());

    // Another patch's officer: the account does not exist for them, whatever the cursor.
    for what in ["diary", "ledger", "messages"] {
        let (s, p) = get(
            &app,
            &format!("/officer/v1/accounts/{hd1001}/{what}"),
            &central,
        )
        .await;
        assert_eq!(s, 404, "{what}: {p}");
    }
    let (s, p) = get(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/diary?cursor=yesterday"),
        &north,
    )
    .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "cursor");
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("diary.read"))
        .filter(audit_entry::Column::SubjectId.eq(hd1001.to_string()))
        .count(&app.db)
        .await
        .unwrap();
    assert!(audited >= 2);
    app.stop().await;
}

/// Issue 15: the columns stay text, and a value outside its vocabulary (a hand edit, a bug)
/// leaves that one row out of a list, logged; the list and the account view still answer.
#[tokio::test]
async fn a_stored_value_outside_its_vocabulary_leaves_only_its_row_out_of_a_list() {
    use rentdesk_store::entities::message;
    use sea_orm::{ActiveModelTrait, Set};
    let crate::routes::Team { app, north, .. } = crate::routes::team().await;
    let hd1001 = tenancy_id(&app, "HD1001").await;
    let now = chrono::Utc::now();
    let mut ids = vec![];
    for (key, status) in [
        ("good-1", "delivered"),
        ("bad", "teleported"),
        ("good-2", "sent"),
    ] {
        let m = message::ActiveModel {
            idempotency_key: Set(format!("vocab-{key}")),
            tenancy_id: Set(hd1001),
            channel: Set("sms".into()),
            template: Set("reminder".into()),
            body: Set(format!("message {key}")),
            status: Set(status.into()),
            attempts: Set(0),
            language: Set("en".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        ids.push(m.id);
    }
    let listed = |v: &Value, key: &str| -> Vec<i64> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {v}"))
            .iter()
            .filter_map(|m| m["id"].as_i64())
            .filter(|id| ids.contains(id))
            .collect()
    };
    let (s, page) = get(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/messages"),
        &north,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(listed(&page, "messages"), [ids[2], ids[0]], "{page}");
    let (s, account) = get(&app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(s, 200, "{account}");
    assert_eq!(listed(&account, "messages"), [ids[2], ids[0]]);
    app.stop().await;
}

/// Issue 15, with the status columns typed (`rentdesk_store::vocab::Stored`, an `ActiveEnum`
/// underneath): a writer going through the entity can only store a value of the list, but a
/// value put there by hand (here in SQL, as a hand edit would) still reads, so a query over
/// the table does not fail and the reader decides; the task list still answers with the
/// good row.
#[tokio::test]
async fn a_hand_edited_status_outside_its_list_reads_without_failing_the_query() {
    use rentdesk_store::entities::task;
    use rentdesk_store::vocab::TaskStatus;
    use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
    let crate::routes::Team { app, north, .. } = crate::routes::team().await;
    let hd1001 = tenancy_id(&app, "HD1001").await;
    let officer = crate::helpers::staff_id(&app, "north@council.example").await;
    let mut ids = vec![];
    for title in ["good", "edited by hand"] {
        let t = task::ActiveModel {
            tenancy_id: Set(hd1001),
            kind: Set("reply".into()),
            title: Set(title.into()),
            detail: Set(String::new()),
            due_on: Set(crate::helpers::real_today()),
            status: Set(TaskStatus::Open.into()),
            assigned_staff_id: Set(Some(officer)),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        ids.push(t.id);
    }
    app.db
        .execute_unprepared(&format!(
            "UPDATE tasks SET status = 'teleported' WHERE id = {}",
            ids[1]
        ))
        .await
        .unwrap();
    let rows = task::Entity::find()
        .filter(task::Column::TenancyId.eq(hd1001))
        .all(&app.db)
        .await
        .expect("a bad stored value does not fail the query");
    let status = |id: i64| {
        rows.iter()
            .find(|t| t.id == id)
            .map(|t| (t.status.as_str().to_owned(), t.status.known()))
    };
    assert_eq!(
        status(ids[0]),
        Some(("open".into(), Some(TaskStatus::Open)))
    );
    assert_eq!(status(ids[1]), Some(("teleported".into(), None)));
    let (s, list) = get(&app, "/officer/v1/tasks", &north).await;
    assert_eq!(s, 200, "{list}");
    let listed: Vec<i64> = list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .filter(|id| ids.contains(id))
        .collect();
    assert_eq!(listed, [ids[0]], "{list}");
    app.stop().await;
}

/// Issue 15, the diary (`actions.kind`, typed `Stored<ActionKind>`): every writer names a
/// kind of the list, but a kind put there by hand still reads, the query over the diary does
/// not fail, and the officer's diary page and account view answer with that entry left out.
#[tokio::test]
async fn a_hand_edited_diary_kind_outside_its_list_leaves_only_that_entry_out() {
    use rentdesk_store::diary::{Entry, write};
    use rentdesk_store::vocab::ActionKind;
    use sea_orm::ConnectionTrait;
    let crate::routes::Team { app, north, .. } = crate::routes::team().await;
    let hd1001 = tenancy_id(&app, "HD1001").await;
    let now = chrono::Utc::now();
    let mut ids = vec![];
    for (kind, body) in [
        (ActionKind::Note, "vocab good note"),
        (ActionKind::Note, "vocab edited by hand"),
        (ActionKind::Letter, "vocab good letter"),
    ] {
        let a = write(
            &app.db,
            Entry {
                tenancy_id: hd1001,
                kind,
                outcome: None,
                body,
                author_staff_id: None,
                rule_id: None,
                facts: None,
                client_id: None,
                occurred_at: None,
                purpose: None,
            },
            now,
        )
        .await
        .unwrap();
        ids.push(a.id);
    }
    app.db
        .execute_unprepared(&format!(
            "UPDATE actions SET kind = 'teleported' WHERE id = {}",
            ids[1]
        ))
        .await
        .unwrap();
    let rows = action::Entity::find()
        .filter(action::Column::TenancyId.eq(hd1001))
        .all(&app.db)
        .await
        .expect("a bad stored kind does not fail the query");
    let kind = |id: i64| {
        rows.iter()
            .find(|a| a.id == id)
            .map(|a| (a.kind.as_str().to_owned(), a.kind.known()))
    };
    assert_eq!(kind(ids[0]), Some(("note".into(), Some(ActionKind::Note))));
    assert_eq!(kind(ids[1]), Some(("teleported".into(), None)));
    let listed = |v: &Value, key: &str| -> Vec<(i64, String)> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {v}"))
            .iter()
            .filter(|a| a["id"].as_i64().is_some_and(|id| ids.contains(&id)))
            .map(|a| {
                (
                    a["id"].as_i64().unwrap(),
                    a["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (s, page) = get(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/diary"),
        &north,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    let mut got = listed(&page, "actions");
    got.sort();
    assert_eq!(
        got,
        [(ids[0], "note".to_owned()), (ids[2], "letter".to_owned())],
        "{page}"
    );
    let (s, account) = get(&app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(s, 200, "{account}");
    let mut got = listed(&account, "actions");
    got.sort();
    assert_eq!(
        got,
        [(ids[0], "note".to_owned()), (ids[2], "letter".to_owned())]
    );
    app.stop().await;
}
