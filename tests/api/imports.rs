use crate::helpers::{example, fresh_database, spawn_app};
use rentdesk_store::entities::{tenancy, transaction};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn count_transactions(db: &sea_orm::DatabaseConnection) -> u64 {
    transaction::Entity::find().count(db).await.unwrap()
}

#[tokio::test]
async fn importing_the_same_files_twice_changes_nothing() {
    let app = spawn_app().await;
    let first = app.import("tenancies", example("tenancies.csv")).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["rows_written"], 4);
    let tx = app
        .import("transactions", example("transactions.csv"))
        .await;
    assert_eq!(tx["status"], "succeeded", "{tx}");
    assert_eq!(tx["rows_written"], 10);
    assert_eq!(count_transactions(&app.db).await, 10);

    let again = app.import("tenancies", example("tenancies.csv")).await;
    assert_eq!(again["status"], "succeeded");
    assert_eq!(again["rows_written"], 0);
    assert_eq!(again["rows_unchanged"], 4);
    let tx_again = app
        .import("transactions", example("transactions.csv"))
        .await;
    assert_eq!(tx_again["rows_written"], 0);
    assert_eq!(tx_again["rows_unchanged"], 10);
    assert_eq!(count_transactions(&app.db).await, 10);
    app.stop().await;
}

#[tokio::test]
async fn a_file_with_bad_rows_is_rejected_whole_with_every_bad_line_named() {
    let app = spawn_app().await;
    app.import_examples().await;
    let before = count_transactions(&app.db).await;

    let batch = app
        .import("transactions", example("transactions-bad.csv"))
        .await;
    assert_eq!(batch["status"], "rejected", "{batch}");
    let errors: Vec<(u64, String)> = batch["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        (3, "tenancy_reference"),
        (4, "posted_on"),
        (5, "amount"),
        (6, "amount"),
        (7, "external_ref"),
        (8, "kind"),
    ];
    for (line, column) in expected {
        assert!(
            errors.contains(&(line, column.to_owned())),
            "line {line} {column} missing from {errors:?}"
        );
    }
    assert_eq!(errors.len(), expected.len(), "{errors:?}");
    let reasons = batch["errors"].to_string();
    assert!(reasons.contains("unknown tenancy"), "{reasons}");
    assert!(
        reasons.contains("duplicate reference with different content"),
        "{reasons}"
    );
    // The good first line was not imported either.
    assert_eq!(count_transactions(&app.db).await, before);
    let good_row = transaction::Entity::find()
        .filter(transaction::Column::ExternalRef.eq("R-2026-11-16-HD1001"))
        .one(&app.db)
        .await
        .unwrap();
    assert!(good_row.is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_changed_tenancy_row_updates_the_tenancy() {
    let app = spawn_app().await;
    app.import("tenancies", example("tenancies.csv")).await;
    let changed = String::from_utf8(example("tenancies.csv"))
        .unwrap()
        .replace(",98.50,0.00,", ",101.75,0.00,");
    let batch = app.import("tenancies", changed.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    assert_eq!(batch["rows_written"], 1);
    assert_eq!(batch["rows_unchanged"], 3);
    let t = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1001"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.weekly_rent_pence, 10175);
    app.stop().await;
}

#[tokio::test]
async fn a_tenancy_file_with_bad_rows_imports_none_of_them() {
    let app = spawn_app().await;
    let header = "reference,tenure,address_line1,town,postcode,start_date,weekly_rent,payment_method,lead_tenant_name,lead_tenant_mobile\n";
    let body = format!(
        "{header}A1,secure,1 Road,Town,HD1 1AA,2020-04-06,95.00,direct_debit,Ann,07700900001\n\
         A2,castle,2 Road,Town,HD1 1AB,2020-04-06,95.00,direct_debit,Bob,\n\
         A3,secure,3 Road,Town,NOT A POSTCODE,2020-04-06,95.00,direct_debit,Cat,\n\
         A4,secure,4 Road,Town,HD1 1AD,2020-04-06,-5.00,direct_debit,Dan,01484 000000\n"
    );
    let batch = app.import("tenancies", body.into_bytes()).await;
    assert_eq!(batch["status"], "rejected", "{batch}");
    let errors = batch["errors"].as_array().unwrap();
    let at = |line: u64, column: &str| {
        errors
            .iter()
            .any(|e| e["line"] == line && e["column"] == column)
    };
    assert!(at(3, "tenure"), "{errors:?}");
    assert!(at(4, "postcode"), "{errors:?}");
    assert!(at(5, "weekly_rent"), "{errors:?}");
    assert!(at(5, "lead_tenant_mobile"), "{errors:?}");
    assert_eq!(tenancy::Entity::find().count(&app.db).await.unwrap(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_missing_or_unknown_column_is_named_on_line_one() {
    let app = spawn_app().await;
    let batch = app
        .import(
            "transactions",
            b"external_ref,tenancy_reference,posted_on,kind,amout\nX,Y,2026-01-01,payment,-1.00\n"
                .to_vec(),
        )
        .await;
    assert_eq!(batch["status"], "rejected");
    let errors = batch["errors"].to_string();
    assert!(
        errors.contains(r#""column":"amount","line":1,"reason":"missing column""#)
            || errors.contains("missing column"),
        "{errors}"
    );
    assert!(errors.contains("amout"), "{errors}");
    app.stop().await;
}

#[tokio::test]
async fn an_upload_of_an_unknown_kind_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    let resp = app.upload("landlords", "x.csv", b"a,b\n".to_vec()).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "kind");
    app.stop().await;
}

#[tokio::test]
async fn a_large_payment_file_imports_from_disk_in_one_transaction() {
    use rentdesk_domain::Pence;
    use rentdesk_store::imports::{ImportKind, import_file};
    let (url, sqlite) = fresh_database().await;
    let db = rentdesk_store::db::connect(&url, 4).await.unwrap();
    rentdesk_store::db::migrate(&db).await.unwrap();
    let dir = std::env::temp_dir().join(format!("rentdesk-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tenancies = dir.join("tenancies.csv");
    std::fs::write(&tenancies, example("tenancies.csv")).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let outcome = import_file(
        &db,
        ImportKind::Tenancies,
        tenancies,
        today,
        &crate::helpers::import_policy(Pence::DEFAULT_MAX_ROW_AMOUNT),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.status, "succeeded");

    let rows = 25_000;
    let mut csv = String::from("external_ref,tenancy_reference,posted_on,kind,amount,method\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "BULK-{i},HD100{},2026-0{}-1{},payment,-{}.{:02},card\n",
            1 + i % 4,
            1 + i % 9,
            i % 10,
            1 + i % 50,
            i % 100
        ));
    }
    let file = dir.join("payments.csv");
    std::fs::write(&file, csv).unwrap();
    let outcome = import_file(
        &db,
        ImportKind::Transactions,
        file.clone(),
        today,
        &crate::helpers::import_policy(Pence::DEFAULT_MAX_ROW_AMOUNT),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.status, "succeeded", "{:?}", outcome.errors);
    assert_eq!(outcome.rows_inserted, rows);
    assert_eq!(outcome.affected_tenancy_ids.len(), 4);
    assert_eq!(count_transactions(&db).await, rows);
    let again = import_file(
        &db,
        ImportKind::Transactions,
        file,
        today,
        &crate::helpers::import_policy(Pence::DEFAULT_MAX_ROW_AMOUNT),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(again.rows_inserted, 0);
    assert_eq!(again.rows_unchanged, rows);
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(f) = sqlite {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test]
async fn two_servers_and_two_workers_on_one_database_and_queue_import_each_file_once() {
    use crate::helpers::spawn_sibling;
    let a = spawn_app().await;
    let b = spawn_sibling(&a).await;
    let t = a.import("tenancies", example("tenancies.csv")).await;
    assert_eq!(t["status"], "succeeded", "{t}");
    // The same payment file uploaded at once through both servers, twice each.
    let uploads = futures::future::join_all([
        a.upload("transactions", "t.csv", example("transactions.csv")),
        b.upload("transactions", "t.csv", example("transactions.csv")),
        a.upload("transactions", "t.csv", example("transactions.csv")),
        b.upload("transactions", "t.csv", example("transactions.csv")),
    ])
    .await;
    let mut written = 0;
    for resp in uploads {
        assert_eq!(resp.status(), 202);
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        // Either server answers for any batch: they share the database.
        let batch = b.wait_for_batch(&location).await;
        assert_eq!(batch["status"], "succeeded", "{batch}");
        written += batch["rows_written"].as_i64().unwrap();
    }
    assert_eq!(written, 10, "the ten rows are written once between them");
    assert_eq!(count_transactions(&a.db).await, 10);
    let via_a: serde_json::Value = a
        .account("HD1001", "2026-11-16")
        .await
        .json()
        .await
        .unwrap();
    let via_b: serde_json::Value = b
        .account("HD1001", "2026-11-16")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(via_a, via_b);
    b.stop().await;
    a.stop().await;
}

/// Issue 16: flags from a landlord's old system. An imported flag is the flag an officer would
/// have set: the officer app shows it the same way (review deadline included), it holds back
/// enforcement on the account, it is in the diary as imported; importing again changes
/// nothing, a changed row under the same reference is refused, and a bad file names every bad
/// line and writes nothing.
#[tokio::test]
async fn imported_flags_act_as_flags_set_in_rentdesk_and_bad_files_write_nothing() {
    use crate::helpers::{call, staff, staff_sign_in, tenancy_id};
    use rentdesk_store::entities::{flag, patch};
    use sea_orm::sea_query::Expr;
    use serde_json::{Value, json};

    let app = spawn_app().await;
    app.import_examples().await;
    let officer = staff(&app, "north@council.example", "officer").await;
    patch::Entity::update_many()
        .col_expr(patch::Column::OfficerId, Expr::value(officer))
        .filter(patch::Column::Code.eq("HD-NORTH"))
        .exec(&app.db)
        .await
        .unwrap();
    let north = staff_sign_in(&app, "north@council.example").await;
    let today = crate::helpers::real_today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let header = "external_ref,tenancy_reference,kind,starts_on,ends_on,no_automated_contact,notified_on,note";
    let file = format!(
        "{header}\nOLD-BS-1,HD1001,breathing_space_standard,{},{},no,{},Debt adviser ref BS-1\n\
         OLD-V-2,HD1002,vulnerability,{},,yes,,Hearing impaired\n",
        day(-3),
        day(50),
        day(-1),
        day(-400),
    );
    let batch = app.import("flags", file.clone().into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    assert_eq!(batch["rows_written"], 2, "{batch}");

    // The same Breathing Space set in the officer app on the other account of the patch.
    let hd1001 = tenancy_id(&app, "HD1001").await;
    let hd1002 = tenancy_id(&app, "HD1002").await;
    let (s, set) = call(
        &app,
        reqwest::Method::POST,
        &format!("/officer/v1/accounts/{hd1002}/flags"),
        Some(&north),
        Some(
            json!({"kind": "breathing_space_standard", "starts_on": day(-3),
                    "ends_on": day(50), "notified_on": day(-1), "detail": "Debt adviser ref BS-1"}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{set}");
    let (_, imported_view) = call(
        &app,
        reqwest::Method::GET,
        &format!("/officer/v1/accounts/{hd1001}"),
        Some(&north),
        None,
    )
    .await;
    let flags = imported_view["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{imported_view}");
    let comparable = |f: &Value| {
        let mut f = f.clone();
        for key in [
            "id",
            "tenancy_id",
            "set_by",
            "created_at",
            "updated_at",
            "set_at",
        ] {
            f.as_object_mut().unwrap().remove(key);
        }
        f
    };
    assert_eq!(
        comparable(&flags[0]),
        comparable(&set),
        "imported vs set in the app"
    );
    assert!(!flags[0]["review_by"].is_null(), "{}", flags[0]);
    // It holds back enforcement as a flag set in the app does.
    for step in ["warrant", "eviction"] {
        let (s, p) = call(
            &app,
            reqwest::Method::POST,
            &format!("/officer/v1/accounts/{hd1001}/steps"),
            Some(&north),
            Some(json!({"step": step, "override_reason": "officer insists"})),
        )
        .await;
        assert_eq!(s, 409, "{step}: {p}");
        assert!(p.to_string().contains("breathing_space"), "{step}: {p}");
    }
    // The diary says where it came from.
    assert!(
        imported_view["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "flag" && a["body"].as_str().unwrap().contains("OLD-BS-1")),
        "{imported_view}"
    );
    // The vulnerability flag that stops automated contact is stored as such.
    let v = flag::Entity::find()
        .filter(flag::Column::ExternalRef.eq("OLD-V-2"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(v.no_automated_contact && v.ends_on.is_none() && v.tenancy_id == hd1002);

    // Again: nothing changes.
    let count = flag::Entity::find().count(&app.db).await.unwrap();
    let again = app.import("flags", file.clone().into_bytes()).await;
    assert_eq!(
        (
            again["status"].as_str(),
            again["rows_written"].as_u64(),
            again["rows_unchanged"].as_u64()
        ),
        (Some("succeeded"), Some(0), Some(2)),
        "{again}"
    );
    // The same reference saying something else is refused, and nothing is written.
    let changed = file.replace("Hearing impaired", "Partially sighted");
    let refused = app.import("flags", changed.into_bytes()).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert_eq!(refused["errors"][0]["line"], 3, "{refused}");
    assert_eq!(refused["errors"][0]["column"], "external_ref", "{refused}");
    assert_eq!(flag::Entity::find().count(&app.db).await.unwrap(), count);

    // The rejected example: every bad line named, nothing written.
    let bad = app.import("flags", example("flags-bad.csv")).await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    let errors: Vec<(u64, String)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(u64, String)> = [
        (2, "tenancy_reference"),
        (3, "kind"),
        (4, "ends_on"),
        (5, "ends_on"),
        (6, "ends_on"),
        (7, "notified_on"),
        (8, "no_automated_contact"),
        (9, "ends_on"),
    ]
    .into_iter()
    .map(|(l, c)| (l, c.to_owned()))
    .collect();
    let mut got = errors.clone();
    got.sort();
    assert_eq!(got, expected, "{bad}");
    assert_eq!(flag::Entity::find().count(&app.db).await.unwrap(), count);
    // The good example imports.
    let good = app.import("flags", example("flags.csv")).await;
    assert_eq!(good["status"], "succeeded", "{good}");
    assert_eq!(good["rows_written"], 4, "{good}");
    app.stop().await;
}

/// Issue 16: the contact and action history from a landlord's old system. Each row is the
/// diary entry Rentdesk would have written: the officer app shows it, an imported call reads as
/// one recorded in the app, and "last contact" (the caseload's figure and its no-contact
/// filter) counts it, a text we sent included. Importing again changes nothing; a bad file
/// names every bad line and writes nothing.
#[tokio::test]
async fn imported_history_is_the_diary_rentdesk_would_have_written() {
    use crate::helpers::{call, staff, staff_sign_in, tenancy_id};
    use rentdesk_store::entities::{action, patch};
    use sea_orm::sea_query::Expr;
    use serde_json::{Value, json};

    let app = spawn_app().await;
    app.import_examples().await;
    let officer = staff(&app, "north@council.example", "officer").await;
    patch::Entity::update_many()
        .col_expr(patch::Column::OfficerId, Expr::value(officer))
        .filter(patch::Column::Code.eq("HD-NORTH"))
        .exec(&app.db)
        .await
        .unwrap();
    let north = staff_sign_in(&app, "north@council.example").await;
    let today = crate::helpers::real_today();
    let day = |n: i64| today + chrono::Duration::days(n);
    // HD1001 owes enough to be on the caseload.
    let debit = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount\nR-HIST-1,HD1001,{},rent_debit,900.00\n",
        day(-1)
    );
    assert_eq!(
        app.import("transactions", debit.into_bytes()).await["status"],
        "succeeded"
    );
    let hd1001 = tenancy_id(&app, "HD1001").await;
    let caseload_item = |c: &Value| {
        c["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["tenancy_id"] == hd1001)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let get = |path: String| {
        let app = &app;
        let north = north.clone();
        async move { call(app, reqwest::Method::GET, &path, Some(&north), None).await }
    };
    let (_, before) = get("/officer/v1/caseload".into()).await;
    assert!(caseload_item(&before)["last_contact"].is_null(), "{before}");

    let file = format!(
        "external_ref,tenancy_reference,occurred_at,kind,direction,officer,outcome,note\n\
         OLD-C-1,HD1001,{} 10:15,call,out,North@Council.example,answered,Will pay Friday\n\
         OLD-S-2,HD1001,{} 18:30,sms,out,,,Reminder sent by the old system\n\
         OLD-R-3,HD1001,{} 19:00,sms,in,,,ok will do\n",
        day(-10),
        day(-3),
        day(-3),
    );
    let batch = app.import("history", file.clone().into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    assert_eq!(batch["rows_written"], 3, "{batch}");

    // The imported call reads as a call recorded in the app.
    let (s, recorded) = call(
        &app,
        reqwest::Method::POST,
        "/officer/v1/actions",
        Some(&north),
        Some(
            json!({"client_id": "hist-compare-0001", "tenancy_id": hd1001, "kind": "call",
                    "outcome": "answered", "body": "Will pay Friday",
                    "occurred_at": format!("{}T10:15:00Z", day(-20))}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{recorded}");
    let (_, view) = get(format!("/officer/v1/accounts/{hd1001}")).await;
    let diary = view["actions"].as_array().unwrap();
    let imported_call = diary
        .iter()
        .find(|a| a["facts"].as_str().is_some_and(|f| f.contains("OLD-C-1")))
        .unwrap_or_else(|| panic!("{view}"));
    for key in ["kind", "outcome", "body", "author_staff_id", "tenancy_id"] {
        assert_eq!(
            imported_call[key], recorded[key],
            "{key}: {imported_call} vs {recorded}"
        );
    }
    assert_eq!(imported_call["author_staff_id"], officer);
    let reply = diary
        .iter()
        .find(|a| a["facts"].as_str().is_some_and(|f| f.contains("OLD-R-3")))
        .unwrap();
    assert_eq!(
        reply["kind"], "reply",
        "a text from the tenant is a reply: {reply}"
    );

    // Last contact: the text we sent three days ago.
    let (_, after) = get("/officer/v1/caseload".into()).await;
    assert_eq!(
        caseload_item(&after)["last_contact"],
        json!(day(-3)),
        "{after}"
    );
    let (_, quiet) = get("/officer/v1/caseload?no_contact_days=5".into()).await;
    assert!(
        caseload_item(&quiet).is_null(),
        "contacted 3 days ago: {quiet}"
    );

    // Again: nothing changes; the same reference saying something else is refused.
    let count = action::Entity::find().count(&app.db).await.unwrap();
    let again = app.import("history", file.clone().into_bytes()).await;
    assert_eq!(
        (
            again["status"].as_str(),
            again["rows_written"].as_u64(),
            again["rows_unchanged"].as_u64()
        ),
        (Some("succeeded"), Some(0), Some(3)),
        "{again}"
    );
    let refused = app
        .import(
            "history",
            file.replace("Will pay Friday", "Will pay Monday")
                .into_bytes(),
        )
        .await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert_eq!(
        (
            refused["errors"][0]["line"].as_u64(),
            refused["errors"][0]["column"].as_str()
        ),
        (Some(2), Some("external_ref")),
        "{refused}"
    );
    assert_eq!(action::Entity::find().count(&app.db).await.unwrap(), count);

    // The rejected example: every bad line named, nothing written.
    let bad = app.import("history", example("history-bad.csv")).await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    let mut got: Vec<(u64, String)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let expected: Vec<(u64, String)> = [
        (2, "tenancy_reference"),
        (3, "kind"),
        (4, "occurred_at"),
        (5, "occurred_at"),
        (6, "outcome"),
        (7, "outcome"),
        (8, "direction"),
        (9, "direction"),
    ]
    .into_iter()
    .map(|(l, c)| (l, c.to_owned()))
    .collect();
    assert_eq!(got, expected, "{bad}");
    assert_eq!(action::Entity::find().count(&app.db).await.unwrap(), count);
    let good = app.import("history", example("history.csv")).await;
    assert_eq!(good["status"], "succeeded", "{good}");
    assert_eq!(good["rows_written"], 7, "{good}");
    app.stop().await;
}

/// Issue 16: an arrangement agreed in the old system is the record an officer's plan is, and is
/// judged from then on by the same rules. An imported active plan with the terms of one set up
/// through the officer API reads the same in the officer app, next-step and the caseload; one
/// whose instalments were not paid shows them missed and the plan broken, and a payment in the
/// ledger puts it back on track; importing again changes nothing, a changed row under the same
/// reference and a second current plan for a tenancy are refused, and a bad file names every
/// bad line and writes nothing.
#[tokio::test]
async fn imported_arrangements_are_judged_as_plans_made_in_rentdesk_and_bad_files_write_nothing() {
    use crate::helpers::{call, staff, staff_sign_in, tenancy_id};
    use rentdesk_store::entities::{arrangement, patch};
    use sea_orm::sea_query::Expr;
    use serde_json::json;

    let app = spawn_app().await;
    app.import_examples().await;
    let officer = staff(&app, "north@council.example", "officer").await;
    patch::Entity::update_many()
        .col_expr(patch::Column::OfficerId, Expr::value(officer))
        .filter(patch::Column::Code.eq("HD-NORTH"))
        .exec(&app.db)
        .await
        .unwrap();
    let north = staff_sign_in(&app, "north@council.example").await;
    let today = crate::helpers::real_today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let hd1001 = tenancy_id(&app, "HD1001").await;
    let hd1002 = tenancy_id(&app, "HD1002").await;
    let get = |path: String| {
        let app = &app;
        let north = north.clone();
        async move {
            let (s, v) = call(app, reqwest::Method::GET, &path, Some(&north), None).await;
            assert_eq!(s, 200, "{path}: {v}");
            v
        }
    };
    // What the officer sees of an account with a plan: the plan with its adherence, the next
    // step and where the caseload puts the account.
    let seen = |plan_id: i64| {
        let get = &get;
        async move {
            let mut plan = get(format!("/officer/v1/arrangements/{plan_id}")).await;
            for key in ["id", "agreement_text"] {
                plan.as_object_mut().unwrap().remove(key);
            }
            let upcoming = plan.as_object_mut().unwrap().remove("upcoming").unwrap();
            let next = get(format!("/officer/v1/accounts/{hd1001}/next-step")).await;
            let caseload = get("/officer/v1/caseload".to_owned()).await;
            let kept = get("/officer/v1/caseload?arrangement=active".to_owned()).await;
            (plan, upcoming, next, caseload, kept)
        }
    };

    // 1. An officer sets up a plan on HD1001 through the API; what it looks like is recorded,
    //    then the officer ends it.
    let statement = json!({
        "household": {"adults": 1},
        "income": {"earnings": 150000},
        "fixed_costs": {"rent": 42683, "council_tax": 9000},
        "flexible_costs": {"food_and_housekeeping": 30000},
    });
    let (s, made) = call(
        &app,
        reqwest::Method::POST,
        &format!("/officer/v1/accounts/{hd1001}/arrangements"),
        Some(&north),
        Some(
            json!({"statement": statement, "frequency": "weekly", "instalment_pence": 5_000,
                    "accept_agreement": true}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{made}");
    let made_id = made["id"].as_i64().unwrap();
    let row = arrangement::Entity::find_by_id(made_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let in_rentdesk = seen(made_id).await;
    assert_eq!(in_rentdesk.0["status"], "active", "{}", in_rentdesk.0);
    let (s, ended) = call(
        &app,
        reqwest::Method::POST,
        &format!("/officer/v1/arrangements/{made_id}/end"),
        Some(&north),
        Some(json!({"reason": "to compare with the import"})),
    )
    .await;
    assert_eq!(s, 200, "{ended}");

    // 2. The same terms, agreed in the old system, imported.
    let header = "external_ref,tenancy_reference,agreed_on,agreed_by,frequency,instalment,includes_rent,first_due_on,last_due_on,status,ended_on,end_reason,note";
    let same_terms = format!(
        "OLD-A-1,HD1001,{today},North@Council.example,weekly,{amount},{rent},{first},{last},active,,,Rent plus arrears\n",
        amount = rentdesk_domain::Pence(row.instalment_pence),
        rent = if row.includes_rent { "yes" } else { "no" },
        first = row.start_date,
        last = row.end_date.map(|d| d.to_string()).unwrap_or_default(),
    );
    let batch = app
        .import(
            "arrangements",
            format!("{header}\n{same_terms}").into_bytes(),
        )
        .await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    assert_eq!(batch["rows_written"], 1, "{batch}");
    let by_ref = |r: &'static str| {
        let db = app.db.clone();
        async move {
            arrangement::Entity::find()
                .filter(arrangement::Column::ExternalRef.eq(r))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let imported = by_ref("OLD-A-1").await;
    // Agreed by a member of staff (the email in any case): recorded as theirs.
    assert_eq!(
        (imported.created_by_staff_id, imported.agreed_on),
        (Some(officer), Some(today))
    );
    let from_import = seen(imported.id).await;
    assert_eq!(from_import.0, in_rentdesk.0, "the plan and its adherence");
    assert_eq!(from_import.1, in_rentdesk.1, "the payments to come");
    assert_eq!(from_import.2, in_rentdesk.2, "next-step");
    assert_eq!(from_import.3, in_rentdesk.3, "the caseload");
    assert_eq!(from_import.4, in_rentdesk.4, "the caseload's active filter");

    // 3. On HD1002 a plan agreed four weeks ago whose instalments were never paid, and an
    //    older one that broke and was replaced: missed by the same rule, the plan broken.
    let file = format!(
        "{header}\n{same_terms}\
         OLD-A-2,HD1002,{agreed},Sam (old user SA4),weekly,10.00,no,{due},,active,,,UC pays the rent\n\
         OLD-A-3,HD1002,{old},,monthly,25.00,no,{old_due},,cancelled,{old_end},broken: two missed,\n",
        agreed = day(-28),
        due = day(-21),
        old = day(-400),
        old_due = day(-390),
        old_end = day(-300),
    );
    let batch = app.import("arrangements", file.clone().into_bytes()).await;
    assert_eq!(
        (
            batch["rows_written"].as_u64(),
            batch["rows_unchanged"].as_u64()
        ),
        (Some(2), Some(1)),
        "{batch}"
    );
    let unpaid = by_ref("OLD-A-2").await;
    assert_eq!(
        (unpaid.created_by_staff_id, unpaid.agreed_by.as_deref()),
        (None, Some("Sam (old user SA4)"))
    );
    let plan = get(format!("/officer/v1/arrangements/{}", unpaid.id)).await;
    let statuses: Vec<&str> = plan["instalments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    let grace = 7;
    let expected: Vec<&str> = [-21i64, -14, -7, 0]
        .into_iter()
        .map(|d| if d + grace < 0 { "missed" } else { "pending" })
        .collect();
    assert_eq!(statuses, expected, "{plan}");
    assert_eq!(plan["progress"], "behind", "{plan}");
    let next = get(format!("/officer/v1/accounts/{hd1002}/next-step")).await;
    assert!(
        next.to_string().contains("arrangement broken"),
        "next-step sees the broken plan: {next}"
    );
    // The caseload lists it as broken, last in contact the day the plan was agreed.
    let broken = get("/officer/v1/caseload?arrangement=broken".to_owned()).await;
    let listed = &broken["accounts"][0];
    assert_eq!(
        (&listed["reference"], &listed["last_contact"]),
        (&json!("HD1002"), &json!(day(-28))),
        "{broken}"
    );
    assert!(
        listed["reasons"][0].as_str().unwrap().starts_with("missed"),
        "{broken}"
    );
    // A payment in the ledger covers what was missed: on track again.
    let pay = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         P-ARR-1,HD1002,{},payment,-30.00,card,Arrangement catch-up\n",
        day(0)
    );
    let paid = app.import("transactions", pay.into_bytes()).await;
    assert_eq!(paid["status"], "succeeded", "{paid}");
    let plan = get(format!("/officer/v1/arrangements/{}", unpaid.id)).await;
    assert_eq!(plan["progress"], "on_track", "{plan}");
    let next = get(format!("/officer/v1/accounts/{hd1002}/next-step")).await;
    assert!(!next.to_string().contains("arrangement broken"), "{next}");
    // The old broken plan is history: in the list, not current.
    let old = by_ref("OLD-A-3").await;
    assert_eq!(
        (
            old.status.as_str(),
            old.end_date,
            old.cancel_reason.as_deref()
        ),
        (
            "cancelled",
            Some(today - chrono::Duration::days(300)),
            Some("broken: two missed")
        )
    );
    let account = get(format!("/officer/v1/accounts/{hd1002}")).await;
    assert!(
        account["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "arrangement" && a["body"].as_str().unwrap().contains("OLD-A-2")),
        "the diary says it was imported: {account}"
    );

    // 4. Again: nothing changes (the officer-ended plan included).
    let count = arrangement::Entity::find().count(&app.db).await.unwrap();
    let again = app.import("arrangements", file.clone().into_bytes()).await;
    assert_eq!(
        (
            again["status"].as_str(),
            again["rows_written"].as_u64(),
            again["rows_unchanged"].as_u64()
        ),
        (Some("succeeded"), Some(0), Some(3)),
        "{again}"
    );
    // An officer ends the imported plan in Rentdesk: the old file is still the same plan, and
    // importing it again does not undo the officer's decision.
    let (s, ended) = call(
        &app,
        reqwest::Method::POST,
        &format!("/officer/v1/arrangements/{}/end", imported.id),
        Some(&north),
        Some(json!({"reason": "moved to a court order"})),
    )
    .await;
    assert_eq!(s, 200, "{ended}");
    let again = app.import("arrangements", file.clone().into_bytes()).await;
    assert_eq!(
        (again["status"].as_str(), again["rows_unchanged"].as_u64()),
        (Some("succeeded"), Some(3)),
        "{again}"
    );
    assert_eq!(by_ref("OLD-A-1").await.status, "cancelled");
    // The same reference saying something else is refused, and nothing is written.
    let changed = file.replace("UC pays the rent", "UC pays the rent direct");
    let refused = app.import("arrangements", changed.into_bytes()).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert_eq!(refused["errors"][0]["line"], 3, "{refused}");
    assert_eq!(refused["errors"][0]["column"], "external_ref", "{refused}");
    // A second current plan for a tenancy that has one is refused, naming the line.
    let second = format!(
        "{header}\nOLD-A-9,HD1002,{},,weekly,5.00,no,{},,active,,,\n",
        day(-1),
        day(3)
    );
    let refused = app.import("arrangements", second.into_bytes()).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert_eq!(
        (
            &refused["errors"][0]["line"],
            &refused["errors"][0]["column"]
        ),
        (&json!(2), &json!("status")),
        "{refused}"
    );
    assert_eq!(
        arrangement::Entity::find().count(&app.db).await.unwrap(),
        count
    );

    // 5. The rejected example: every bad line named, nothing written.
    let bad = app
        .import("arrangements", example("arrangements-bad.csv"))
        .await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    let mut got: Vec<(u64, String)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let expected: Vec<(u64, String)> = [
        (2, "tenancy_reference"),
        (3, "frequency"),
        (4, "instalment"),
        (5, "ended_on"),
        (6, "ended_on"),
        (7, "agreed_on"),
        (8, "ended_on"),
        (9, "status"),
        (11, "status"),
        (12, "instalment"),
    ]
    .into_iter()
    .map(|(l, c)| (l, c.to_owned()))
    .collect();
    assert_eq!(got, expected, "{bad}");
    assert_eq!(
        arrangement::Entity::find().count(&app.db).await.unwrap(),
        count
    );
    app.stop().await;

    // 6. The good example imports on its own (its tenancies and ledger from the examples).
    let app = spawn_app().await;
    app.import_examples().await;
    staff(&app, "j.barker@council.example", "officer").await;
    let good = app
        .import("arrangements", example("arrangements.csv"))
        .await;
    assert_eq!(good["status"], "succeeded", "{good}");
    assert_eq!(good["rows_written"], 4, "{good}");
    let cleared = arrangement::Entity::find()
        .filter(arrangement::Column::ExternalRef.eq("ARR-1001-A"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(cleared.created_by_staff_id.is_some() && cleared.status == "completed");
    app.stop().await;
}

/// Issue 16: the ledger kinds and payment method a housing system has beyond ours — ground
/// rent, a returned Direct Debit, a Discretionary Housing Payment, Housing Benefit recovered as
/// overpaid, cheque — import, and the account reads them as the rules say: a returned Direct
/// Debit undoes its payment, recovered HB is owed again, a DHP pays.
#[tokio::test]
async fn the_housing_system_ledger_kinds_import_and_count_as_the_rules_say() {
    let app = spawn_app().await;
    app.import_examples().await;
    let balance = |v: &serde_json::Value| v["balance_pence"].as_i64().unwrap();
    let account = |reference: &'static str| {
        let app = &app;
        async move {
            let r = app
                .get(&format!("/manage/v1/tenancies/{reference}/account"))
                .await;
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let before_1001 = balance(&account("HD1001").await);
    let before_1003 = balance(&account("HD1003").await);
    let before_1004 = balance(&account("HD1004").await);
    let today = crate::helpers::real_today();
    let day = |n: i64| today - chrono::Duration::days(n);
    let file = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         K-1,HD1001,{},payment,-50.00,direct_debit,Direct debit\n\
         K-2,HD1001,{},returned_direct_debit,50.00,direct_debit,DD returned: insufficient funds\n\
         K-3,HD1003,{},discretionary_housing_payment,-25.00,,DHP award\n\
         K-4,HD1003,{},hb_overpayment_recovery,40.00,,HB overpayment recovered\n\
         K-5,HD1004,{},ground_rent,125.00,,Ground rent half-year\n\
         K-6,HD1004,{},payment,-125.00,cheque,Cheque\n",
        day(5),
        day(2),
        day(4),
        day(3),
        day(6),
        day(1),
    );
    let batch = app.import("transactions", file.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let after_1001 = account("HD1001").await;
    assert_eq!(
        balance(&after_1001),
        before_1001,
        "the returned DD undid the payment"
    );
    assert_eq!(
        balance(&account("HD1003").await),
        before_1003 - 2_500 + 4_000
    );
    assert_eq!(balance(&account("HD1004").await), before_1004);
    // A sign against the kind is refused, naming the line and column.
    let wrong = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount\n\
         K-7,HD1001,{},returned_direct_debit,-50.00\n\
         K-8,HD1001,{},discretionary_housing_payment,25.00\n",
        day(1),
        day(1)
    );
    let refused = app.import("transactions", wrong.into_bytes()).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    let lines: Vec<(u64, &str)> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, [(2, "amount"), (3, "amount")], "{refused}");
    app.stop().await;
}

/// Issue 16: a folder of a landlord's files imports in dependency order, each file
/// all-or-nothing, reporting per file; at the first rejected file the rest are not tried (they
/// may name what it holds) and what was imported stays; a misnamed file stops it before
/// anything is written.
#[tokio::test]
async fn a_folder_imports_in_dependency_order_and_stops_at_the_first_rejected_file() {
    use rentdesk_store::entities::{action, flag};
    use rentdesk_store::imports::{ImportKind, import_folder};
    let app = spawn_app().await;
    let dir =
        std::env::temp_dir().join(format!("rentdesk-folder-{}", crate::helpers::unique_name()));
    std::fs::create_dir_all(&dir).unwrap();
    // Written in the "wrong" order and case: the folder decides the order, not the names.
    for (name, example_file) in [
        ("stages.csv", "stages.csv"),
        ("UC_Claims.csv", "uc_claims.csv"),
        ("Rent_Changes.csv", "rent_changes.csv"),
        ("History.csv", "history.csv"),
        ("flags.csv", "flags.csv"),
        ("arrangements.csv", "arrangements.csv"),
        ("transactions.csv", "transactions.csv"),
        ("tenancies.csv", "tenancies.csv"),
    ] {
        std::fs::write(dir.join(name), example(example_file)).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a CSV: left alone").unwrap();
    // The case stages' officers, on the example tenancies' patches.
    use sea_orm::ActiveModelTrait;
    for (code, email) in [
        ("HD-NORTH", "north@council.example"),
        ("HD-CENTRAL", "central@council.example"),
    ] {
        let id = crate::helpers::staff(&app, email, "officer").await;
        rentdesk_store::entities::patch::ActiveModel {
            code: sea_orm::Set(code.to_owned()),
            name: sea_orm::Set(code.to_owned()),
            officer_id: sea_orm::Set(Some(id)),
            created_at: sea_orm::Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let today = crate::helpers::real_today();
    let max = &crate::helpers::import_policy(rentdesk_domain::Pence(1_000_000_000));
    let mut seen = vec![];
    let files = import_folder(&app.db, &dir, today, max, |f| seen.push(f.kind), app.now())
        .await
        .unwrap();
    let order: Vec<ImportKind> = files.iter().map(|f| f.kind).collect();
    assert_eq!(
        order,
        ImportKind::ALL
            .iter()
            .copied()
            .filter(|k| order.contains(k))
            .collect::<Vec<_>>()
    );
    assert_eq!(order[0], ImportKind::Tenancies);
    assert_eq!(order.len(), 8);
    assert_eq!(order[7], ImportKind::Stages, "case stages last");
    assert_eq!(seen, order, "reported as each file finished");
    for f in &files {
        let o = f.outcome.as_ref().unwrap();
        assert_eq!(o.status, "succeeded", "{:?}: {o:?}", f.kind);
        assert!(o.rows_inserted > 0, "{:?}", f.kind);
    }
    // Again, with a bad flags file: tenancies and transactions are unchanged, flags rejected,
    // the rest not tried; nothing of the flags file is written.
    std::fs::write(dir.join("flags.csv"), example("flags-bad.csv")).unwrap();
    let flags_before = flag::Entity::find().count(&app.db).await.unwrap();
    let actions_before = action::Entity::find().count(&app.db).await.unwrap();
    let files = import_folder(&app.db, &dir, today, max, |_| {}, app.now())
        .await
        .unwrap();
    let status = |k: ImportKind| {
        files
            .iter()
            .find(|f| f.kind == k)
            .and_then(|f| f.outcome.as_ref())
            .map(|o| o.status.clone())
    };
    assert_eq!(status(ImportKind::Tenancies).as_deref(), Some("succeeded"));
    assert_eq!(status(ImportKind::Flags).as_deref(), Some("rejected"));
    let flags_at = order.iter().position(|k| *k == ImportKind::Flags).unwrap();
    assert!(
        files[flags_at + 1..].iter().all(|f| f.outcome.is_none()),
        "{files:?}"
    );
    assert_eq!(
        flag::Entity::find().count(&app.db).await.unwrap(),
        flags_before
    );
    assert_eq!(
        action::Entity::find().count(&app.db).await.unwrap(),
        actions_before
    );
    // A misnamed file: nothing is tried.
    std::fs::write(dir.join("tenancys.csv"), example("tenancies.csv")).unwrap();
    let err = import_folder(&app.db, &dir, today, max, |_| {}, app.now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("tenancys.csv"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    app.stop().await;
}

/// A ledger row written directly (the transactions import refuses dates after today; this
/// scenario's dates are fixed in 2026).
async fn post_tx(
    app: &crate::helpers::TestApp,
    tenancy_id: i64,
    (m, d): (u32, u32),
    kind: &str,
    pence: i64,
    r: &str,
) {
    use sea_orm::{ActiveModelTrait, Set};
    transaction::ActiveModel {
        tenancy_id: Set(tenancy_id),
        posted_on: Set(chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap()),
        kind: Set(kind.into()),
        amount_pence: Set(pence),
        method: Set(None),
        external_ref: Set(r.into()),
        description: Set(None),
        import_batch_id: Set(None),
        reverses_id: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// Issue 16: UC claims could not be imported, so on a UC account the housing costs due but not
/// yet received counted as real arrears (566 of 571 UC accounts disagreed). An imported claim is
/// the row a claim recorded in Rentdesk is, and the account's figures are the same.
#[tokio::test]
async fn imported_uc_claims_make_unreceived_housing_costs_technical_and_bad_files_write_nothing() {
    use rentdesk_store::entities::uc_claim;
    use sea_orm::{ActiveModelTrait, ModelTrait, Set};
    let app = spawn_app().await;
    app.import_examples().await;
    let t = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1002"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // Rent and service charge (£110.70) from the examples' 2 and 9 Nov, and 23 Nov to 7 Dec,
    // £50 paid: £503.50 owed, no UC credit yet.
    for (day, r) in [(23, "R-23"), (30, "R-30")] {
        post_tx(&app, t.id, (11, day), "rent_debit", 11_070, r).await;
    }
    post_tx(&app, t.id, (12, 7), "rent_debit", 11_070, "R-07").await;
    let account = |as_of: &'static str| {
        let app = &app;
        async move {
            let a: serde_json::Value = app.account("HD1002", as_of).await.json().await.unwrap();
            a
        }
    };
    // 1. No claim: all of it is real arrears.
    let before = account("2026-12-09").await;
    assert_eq!(before["arrears_pence"], 50_350, "{before}");
    assert_eq!(before["real_arrears_pence"], 50_350, "{before}");
    assert_eq!(before["arrears_status"], "in_arrears", "{before}");

    // 2. The same claim recorded in Rentdesk (an officer's claim with the APA in place, as
    // `accounts::an_apa_account_paid_two_weeks_after_the_uc_date…` records it).
    let recorded = uc_claim::ActiveModel {
        tenancy_id: Set(t.id),
        claim_start: Set(chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()),
        housing_costs_claimed: Set(true),
        monthly_housing_pence: Set(Some(47_970)),
        apa_status: Set("in_place".into()),
        paid_to_landlord: Set(true),
        reported_by: Set("officer".into()),
        ended_on: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let mut as_recorded = vec![];
    for as_of in ["2026-12-03", "2026-12-09"] {
        as_recorded.push(account(as_of).await);
    }
    // While it stands, the tenancy already has an open claim: the import refuses a second.
    let file = "external_ref,tenancy_reference,claim_start,assessment_period_day,housing_element,\
                apa_from,apa_to,learned_on,hb_run_on_until\n\
                UC-1002,HD1002,2026-10-20,20,479.70,2026-11-01,,2026-11-05,\n";
    let refused = app.import("uc_claims", file.as_bytes().to_vec()).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert_eq!(refused["errors"][0]["line"], 2, "{refused}");
    assert_eq!(
        refused["errors"][0]["column"], "tenancy_reference",
        "{refused}"
    );
    recorded.delete(&app.db).await.unwrap();

    // 3. Imported: the due-but-not-received managed payment is technical, not real, exactly as
    // for the claim recorded in Rentdesk.
    let batch = app.import("uc_claims", file.as_bytes().to_vec()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    assert_eq!(batch["rows_written"], 1, "{batch}");
    let claim = uc_claim::Entity::find()
        .filter(uc_claim::Column::ExternalRef.eq("UC-1002"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            claim.tenancy_id,
            claim.monthly_housing_pence,
            claim.apa_status.as_str(),
            claim.paid_to_landlord,
            claim.housing_costs_claimed,
            claim.ended_on,
            claim.reported_by.as_str()
        ),
        (t.id, Some(47_970), "in_place", true, true, None, "import")
    );
    for (as_of, recorded) in ["2026-12-03", "2026-12-09"].into_iter().zip(&as_recorded) {
        let a = account(as_of).await;
        assert_eq!(&a, recorded, "{as_of}");
        assert_eq!(a["real_arrears_pence"], 0, "{as_of}: {a}");
        // All of it is the managed payments due and not yet received (£392.80 on 3 Dec,
        // £503.50 on 9 Dec).
        assert_eq!(
            a["technical_arrears_pence"], a["arrears_pence"],
            "{as_of}: {a}"
        );
        assert_eq!(a["arrears_status"], "technical_only", "{as_of}: {a}");
        assert!(
            a["technical_reason"]
                .as_str()
                .unwrap()
                .contains("managed payment"),
            "{a}"
        );
        assert_eq!(a["next_benefit_due"]["date"], "2026-12-10", "{as_of}: {a}");
    }

    // 4. The managed payment arrives on 10 Dec: the first period's money is in; what is left is
    // the second period's, due on DWP's next run (10 Dec + 28 days).
    post_tx(&app, t.id, (12, 10), "universal_credit", -47_970, "APA-1").await;
    let after = account("2026-12-14").await;
    assert_eq!(after["arrears_pence"], 2_380, "{after}");
    assert_eq!(after["real_arrears_pence"], 0, "{after}");
    assert_eq!(after["next_benefit_due"]["date"], "2027-01-07", "{after}");

    // 5. The same file again changes nothing.
    let count = uc_claim::Entity::find().count(&app.db).await.unwrap();
    let again = app.import("uc_claims", file.as_bytes().to_vec()).await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(again["rows_written"], 0, "{again}");
    assert_eq!(again["rows_unchanged"], 1, "{again}");
    assert_eq!(
        uc_claim::Entity::find().count(&app.db).await.unwrap(),
        count
    );

    // 6. A changed row under the same reference is refused, naming it.
    let changed = file.replace("479.70", "480.00");
    let refused = app.import("uc_claims", changed.into_bytes()).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert_eq!(refused["errors"][0]["line"], 2, "{refused}");
    assert_eq!(refused["errors"][0]["column"], "external_ref", "{refused}");
    assert_eq!(
        uc_claim::Entity::find()
            .filter(uc_claim::Column::ExternalRef.eq("UC-1002"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .monthly_housing_pence,
        Some(47_970)
    );

    // 7. The rejected example: every bad line named, nothing written.
    let bad = app.import("uc_claims", example("uc_claims-bad.csv")).await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    let mut got: Vec<(u64, String)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let expected: Vec<(u64, String)> = [
        (2, "tenancy_reference"),
        (3, "assessment_period_day"),
        (4, "housing_element"),
        (5, "apa_from"),
        (6, "apa_to"),
        (7, "claim_start"),
        (8, "hb_run_on_until"),
        (9, "apa_to"),
        (10, "learned_on"),
        (12, "external_ref"),
        (13, "tenancy_reference"),
    ]
    .into_iter()
    .map(|(l, c)| (l, c.to_owned()))
    .collect();
    assert_eq!(got, expected, "{bad}");
    assert_eq!(
        uc_claim::Entity::find().count(&app.db).await.unwrap(),
        count
    );
    app.stop().await;

    // 8. The good example imports on its own (its tenancies from the examples).
    let app = spawn_app().await;
    app.import_examples().await;
    let good = app.import("uc_claims", example("uc_claims.csv")).await;
    assert_eq!(good["status"], "succeeded", "{good}");
    assert_eq!(good["rows_written"], 3, "{good}");
    let ended = uc_claim::Entity::find()
        .filter(uc_claim::Column::ExternalRef.eq("UC-1004"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // Its managed payment ended on 30 Sep 2026: paid to the tenant now, amount not known.
    assert_eq!(
        (
            ended.apa_status.as_str(),
            ended.paid_to_landlord,
            ended.monthly_housing_pence
        ),
        ("none", false, None)
    );
    app.stop().await;

    // 9. The managed payment's dates count as of the day asked about: paid to the landlord up to
    // `apa_to`, to the tenant after it (whose UC date, 26 Nov, + 3 days' grace has passed).
    let app = spawn_app().await;
    app.import_examples().await;
    for (day, r) in [(23, "R-23"), (30, "R-30")] {
        post_tx(&app, t.id, (11, day), "rent_debit", 11_070, r).await;
    }
    let ending = file.replace("2026-11-01,,", "2026-11-01,2026-12-05,");
    let batch = app.import("uc_claims", ending.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let account = |as_of: &'static str| {
        let app = &app;
        async move {
            let a: serde_json::Value = app.account("HD1002", as_of).await.json().await.unwrap();
            a
        }
    };
    let during = account("2026-12-03").await;
    assert_eq!(during["real_arrears_pence"], 0, "{during}");
    let after = account("2026-12-06").await;
    assert!(after["real_arrears_pence"].as_i64().unwrap() > 0, "{after}");
    assert!(
        !after["technical_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("managed payment"),
        "{after}"
    );
    app.stop().await;
}

/// Issue 16: an ended UC claim imports beside the tenancy's open one, and its money follows it
/// exactly: the last assessment period (the one `ended_on` falls in) is technical arrears until
/// its payment is late, and nothing is expected after it. HD1002's claim of 20 Oct 2026 (paid to
/// the tenant) ended on 10 Nov, in the period 20 Oct – 19 Nov paid on 26 Nov.
#[tokio::test]
async fn an_imported_ended_uc_claim_is_technical_only_until_its_last_payment_is_late() {
    use rentdesk_store::entities::uc_claim;
    let app = spawn_app().await;
    app.import_examples().await;
    let t = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1002"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for (day, r) in [(23, "R-23"), (30, "R-30")] {
        post_tx(&app, t.id, (11, day), "rent_debit", 11_070, r).await;
    }
    let header = "external_ref,tenancy_reference,claim_start,housing_element,learned_on,ended_on\n";
    // Bad: ended before it started; ended in the future. Nothing is written.
    let bad = format!(
        "{header}UC-E1,HD1002,2026-10-20,479.70,2026-10-25,2026-10-19\n\
         UC-E2,HD1003,2026-10-20,479.70,,2099-01-01\n"
    );
    let refused = app.import("uc_claims", bad.into_bytes()).await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    let got: Vec<(u64, &str)> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(2, "ended_on"), (3, "ended_on")], "{refused}");
    assert_eq!(uc_claim::Entity::find().count(&app.db).await.unwrap(), 0);

    let file = format!("{header}UC-E1,HD1002,2026-10-20,479.70,2026-10-25,2026-11-10\n");
    let batch = app.import("uc_claims", file.clone().into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let claim = uc_claim::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        claim.ended_on,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 10)
    );
    let account = |as_of: &'static str| {
        let app = &app;
        async move {
            let a: serde_json::Value = app.account("HD1002", as_of).await.json().await.unwrap();
            a
        }
    };
    // Fri 27 Nov: the last payment (26 Nov) is within its 3 days' grace: all technical.
    let a = account("2026-11-27").await;
    assert!(a["arrears_pence"].as_i64().unwrap() > 0, "{a}");
    assert_eq!(a["real_arrears_pence"], 0, "{a}");
    assert!(
        a["technical_reason"]
            .as_str()
            .unwrap()
            .contains("£479.70 due 26 Nov 2026"),
        "{a}"
    );
    // Thu 3 Dec: it is late, and the ended claim pays no later period (an open one would make
    // the period from 20 Nov technical): all real, nothing expected.
    let a = account("2026-12-03").await;
    assert_eq!(a["technical_arrears_pence"], 0, "{a}");
    assert_eq!(a["real_arrears_pence"], a["arrears_pence"], "{a}");
    assert!(a["next_benefit_due"].is_null(), "{a}");

    // The same file again changes nothing; a new open claim may sit beside the ended one, a
    // second open one may not.
    let again = app.import("uc_claims", file.into_bytes()).await;
    assert_eq!(again["rows_unchanged"], 1, "{again}");
    let open = format!("{header}UC-N1,HD1002,2026-12-01,479.70,,\n");
    let batch = app.import("uc_claims", open.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let second = format!("{header}UC-N2,HD1002,2026-12-02,479.70,,\n");
    let refused = app.import("uc_claims", second.into_bytes()).await;
    assert_eq!(
        refused["errors"][0]["column"], "tenancy_reference",
        "{refused}"
    );
    assert_eq!(uc_claim::Entity::find().count(&app.db).await.unwrap(), 2);
    app.stop().await;
}

/// Issue 16: an imported claim's Housing Benefit run-on counts in the figures. HD1003 has HB of
/// £84 a week paid four-weekly (2 Nov, 30 Nov); its UC claim of Mon 16 Nov 2026 (paid to the
/// tenant, first due 22 Dec) has the run-on to Sun 29 Nov, so the HB payment of 30 Nov
/// (2 – 29 Nov, £336) is still on its way beside the UC, and named, until it is late.
#[tokio::test]
async fn an_imported_hb_run_on_is_technical_beside_the_uc_claim_until_it_is_late() {
    let app = spawn_app().await;
    app.import_examples().await;
    let t = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1003"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for (day, r) in [(9, "R-09"), (16, "R-16"), (23, "R-23"), (30, "R-30")] {
        post_tx(&app, t.id, (11, day), "rent_debit", 11_200, r).await;
    }
    let file = "external_ref,tenancy_reference,claim_start,housing_element,hb_run_on_until\n\
                UC-R1,HD1003,2026-11-16,485.33,2026-11-29\n";
    let batch = app.import("uc_claims", file.as_bytes().to_vec()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let account = |as_of: &'static str| {
        let app = &app;
        async move {
            let a: serde_json::Value = app.account("HD1003", as_of).await.json().await.unwrap();
            a
        }
    };
    // (day, technical reason): £560 of rent less £336 of HB on 2 Nov, £224 owed.
    for (as_of, reason) in [
        (
            "2026-11-30",
            "Housing Benefit run-on payment of £336.00 due 30 Nov 2026",
        ),
        (
            "2026-12-03",
            "Housing Benefit run-on payment of £336.00 due 30 Nov 2026",
        ),
        // Late: only the UC is on its way.
        (
            "2026-12-04",
            "Universal Credit housing payment of £485.33 due 22 Dec 2026",
        ),
    ] {
        let a = account(as_of).await;
        assert_eq!(
            (
                a["arrears_pence"].as_i64(),
                a["real_arrears_pence"].as_i64(),
                a["technical_reason"].as_str()
            ),
            (Some(22_400), Some(0), Some(reason)),
            "{as_of}: {a}"
        );
    }
    app.stop().await;
}

/// The caseload leaves an account out as "technical arrears only" once its imported UC claim
/// shows that what it owes is housing costs on their way, as for a claim recorded in Rentdesk.
#[tokio::test]
async fn an_imported_uc_claim_takes_a_technical_only_account_off_the_caseload() {
    use crate::helpers::{call, staff, staff_sign_in, tenancy_id};
    use rentdesk_store::entities::patch;
    use sea_orm::sea_query::Expr;
    use serde_json::Value;

    let app = spawn_app().await;
    app.import_examples().await;
    let officer = staff(&app, "north@council.example", "officer").await;
    patch::Entity::update_many()
        .col_expr(patch::Column::OfficerId, Expr::value(officer))
        .filter(patch::Column::Code.eq("HD-NORTH"))
        .exec(&app.db)
        .await
        .unwrap();
    let north = staff_sign_in(&app, "north@council.example").await;
    let today = crate::helpers::real_today();
    // HD1002 owes £171.40 from the examples and £300 charged a week ago: £471.40, less than
    // the £600 a month of housing costs its UC claim (35 days old) has earned and not yet paid.
    let debit = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount\nR-UC-1,HD1002,{},rent_debit,300.00\n",
        today - chrono::Duration::days(7)
    );
    assert_eq!(
        app.import("transactions", debit.into_bytes()).await["status"],
        "succeeded"
    );
    let hd1002 = tenancy_id(&app, "HD1002").await;
    let caseload = || {
        let app = &app;
        let north = north.clone();
        async move {
            let (s, c) = call(
                app,
                reqwest::Method::GET,
                "/officer/v1/caseload",
                Some(&north),
                None,
            )
            .await;
            assert_eq!(s, 200, "{c}");
            let listed = c["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["tenancy_id"] == hd1002);
            let technical = c["left_out"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["key"] == "technical_only")
                .map_or(0, |l: &Value| l["count"].as_u64().unwrap());
            (listed, technical, c)
        }
    };
    let (_, technical, before) = caseload().await;
    assert_eq!(technical, 0, "{before}");
    let start = today - chrono::Duration::days(35);
    let file = format!(
        "external_ref,tenancy_reference,claim_start,housing_element,apa_from\n\
         UC-CL-1,HD1002,{start},600.00,{start}\n"
    );
    let batch = app.import("uc_claims", file.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let (listed, technical, after) = caseload().await;
    assert!(!listed, "{after}");
    assert_eq!(technical, 1, "{after}");
    app.stop().await;
}

/// Issue 21: a batch's job delivered twice at once (a long import whose worker was taken for
/// dead, say) runs the file twice side by side. The ledger gets each row once, and the batch
/// keeps the outcome of the run that committed: the other run's key clash (`failed`) or its
/// "every row unchanged" must not overwrite it.
#[tokio::test]
async fn a_batch_run_twice_at_once_imports_each_row_once_and_keeps_the_first_outcome() {
    use rentdesk_domain::Pence;
    use rentdesk_store::entities::import_batch;
    use rentdesk_store::imports::{ImportKind, import_file, queue_upload, run_stored_batch};
    let (url, sqlite) = fresh_database().await;
    let db = rentdesk_store::db::connect(&url, 4).await.unwrap();
    rentdesk_store::db::migrate(&db).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let policy = crate::helpers::import_policy(Pence::DEFAULT_MAX_ROW_AMOUNT);
    let dir = std::env::temp_dir().join(format!("rentdesk-twice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tenancies = dir.join("tenancies.csv");
    std::fs::write(&tenancies, example("tenancies.csv")).unwrap();
    let outcome = import_file(
        &db,
        ImportKind::Tenancies,
        tenancies,
        today,
        &policy,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.status, "succeeded");
    let _ = std::fs::remove_dir_all(&dir);

    let rows = 3_000u64;
    let mut csv = String::from("external_ref,tenancy_reference,posted_on,kind,amount,method\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "TWICE-{i},HD100{},2026-10-{:02},payment,-{}.{:02},card\n",
            1 + i % 4,
            1 + i % 28,
            1 + i % 50,
            i % 100
        ));
    }
    let batch = queue_upload(
        &db,
        ImportKind::Transactions,
        "twice.csv",
        csv.into_bytes(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();

    // Both runs read the batch as queued before either finishes.
    let (a, b) = tokio::join!(
        run_stored_batch(&db, batch, today, &policy, chrono::Utc::now()),
        run_stored_batch(&db, batch, today, &policy, chrono::Utc::now()),
    );
    let reported: Vec<String> = [&a, &b]
        .iter()
        .map(|r| match r {
            Ok(Some(o)) => format!("{} {}+{}", o.status, o.rows_inserted, o.rows_unchanged),
            Ok(None) => "skipped".into(),
            Err(e) => format!("error: {e}"),
        })
        .collect();
    assert_eq!(count_transactions(&db).await, rows, "{reported:?}");
    let stored = import_batch::Entity::find_by_id(batch)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored.status.as_str(),
            stored.rows_inserted,
            stored.rows_unchanged,
            stored.errors.is_none()
        ),
        ("succeeded", rows as i64, 0, true),
        "runs reported {reported:?}"
    );
    // What a run that lost reports is the batch's recorded outcome, never its own.
    for r in [&a, &b] {
        if let Ok(Some(o)) = r {
            assert_eq!(
                (o.status.as_str(), o.rows_inserted),
                ("succeeded", rows),
                "{reported:?}"
            );
        }
    }
    if let Some(f) = sqlite {
        let _ = std::fs::remove_file(f);
    }
}
