//! The audit log's hash chain (issue 19): entries written through the API are sealed, the
//! chain verifies, and what a database administrator does behind the application's back (edit
//! an entry, remove one, rebuild the seals after an edit) is found.

use crate::helpers::*;
use rentdesk_store::audit_chain::{self, Break, Head};
use rentdesk_store::entities::audit_entry;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder};

/// Run SQL as a database administrator would: with the append-only triggers out of the way.
async fn as_dba(app: &TestApp, sql: &str) {
    let lift: &[&str] = match backend() {
        Backend::Sqlite => &[
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            "DROP TRIGGER IF EXISTS audit_seals_no_update",
            "DROP TRIGGER IF EXISTS audit_seals_no_delete",
        ],
        Backend::Postgres => &[
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "ALTER TABLE audit_seals DISABLE TRIGGER USER",
        ],
    };
    for s in lift {
        app.db.execute_unprepared(s).await.unwrap();
    }
    app.db.execute_unprepared(sql).await.unwrap();
}

/// Audit entries written the way the application writes them: an administrator reading the
/// audit log is itself audited (`audit.queried`).
async fn audited_requests(app: &TestApp, n: usize) {
    for _ in 0..n {
        let r = app.get("/manage/v1/audit").await;
        assert_eq!(r.status(), 200);
    }
}

async fn entry_ids(app: &TestApp) -> Vec<i64> {
    audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

#[tokio::test]
async fn the_sealed_chain_holds_and_names_an_entry_edited_behind_the_application() {
    let app = spawn_app().await;
    audited_requests(&app, 4).await;
    let ids = entry_ids(&app).await;
    assert!(ids.len() >= 4, "{ids:?}");

    let sealed = audit_chain::seal(&app.db).await.unwrap();
    let head = sealed.head.clone().expect("a head");
    assert_eq!(head.seq, ids.len() as i64, "one seal per entry");
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert!(v.holds(), "{:?}", v.breaks);
    assert_eq!(v.seals, ids.len() as u64);
    assert_eq!(v.head, Some(head.clone()));
    assert_eq!(v.waiting, 0);

    // Sealing again changes nothing; a new entry waits for the next run, then is sealed.
    let again = audit_chain::seal(&app.db).await.unwrap();
    assert_eq!((again.count, again.head), (0, Some(head.clone())));
    audited_requests(&app, 1).await;
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert!(v.holds(), "{:?}", v.breaks);
    assert_eq!(v.waiting, 1);
    let sealed = audit_chain::seal(&app.db).await.unwrap();
    assert_eq!(sealed.head.as_ref().unwrap().seq, head.seq + 1);
    let v = audit_chain::verify(&app.db, Some(&head)).await.unwrap();
    assert!(v.holds(), "an earlier head is still held: {:?}", v.breaks);

    // A database administrator edits the second entry: the chain names it, and only it.
    let edited = ids[1];
    as_dba(
        &app,
        &format!("UPDATE audit_log SET detail = 'nothing to see' WHERE id = {edited}"),
    )
    .await;
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert_eq!(
        v.breaks,
        [Break::Changed {
            seq: 2,
            entry_id: edited
        }]
    );
    assert!(
        v.breaks[0]
            .to_string()
            .contains(&format!("audit entry {edited}")),
        "{}",
        v.breaks[0]
    );
}

#[tokio::test]
async fn a_removed_entry_and_a_chain_rebuilt_after_an_edit_are_found() {
    let app = spawn_app().await;
    audited_requests(&app, 5).await;
    let ids = entry_ids(&app).await;
    let head = audit_chain::seal(&app.db).await.unwrap().head.unwrap();

    // Removing an entry leaves its seal pointing at nothing.
    as_dba(
        &app,
        &format!("DELETE FROM audit_log WHERE id = {}", ids[2]),
    )
    .await;
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert_eq!(
        v.breaks,
        [Break::Removed {
            seq: 3,
            entry_id: ids[2]
        }]
    );

    // Removing the seals too and sealing again makes a chain that holds on its own; the head
    // the worker logged before (`--expect`) shows it was rebuilt.
    as_dba(&app, "DELETE FROM audit_seals").await;
    let rebuilt = audit_chain::seal(&app.db).await.unwrap().head.unwrap();
    assert_eq!(rebuilt.seq, head.seq - 1);
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert!(v.holds(), "{:?}", v.breaks);
    let v = audit_chain::verify(&app.db, Some(&head)).await.unwrap();
    assert_eq!(
        v.breaks,
        [Break::HeadMismatch {
            expected: head.clone(),
            found: Some(rebuilt.clone()),
        }]
    );
    // A head the chain never reached is refused too; one it holds passes.
    let ahead = Head {
        seq: rebuilt.seq + 10,
        hash: rebuilt.hash.clone(),
    };
    assert!(
        !audit_chain::verify(&app.db, Some(&ahead))
            .await
            .unwrap()
            .holds()
    );
    assert!(
        audit_chain::verify(&app.db, Some(&rebuilt))
            .await
            .unwrap()
            .holds()
    );

    // A seal replaced by hand (its hash rewritten) breaks the link to the next one.
    as_dba(
        &app,
        &format!(
            "UPDATE audit_seals SET hash = '{}' WHERE seq = 1",
            "f".repeat(64)
        ),
    )
    .await;
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert!(
        v.breaks.contains(&Break::Unlinked { seq: 2 }),
        "{:?}",
        v.breaks
    );
}

#[tokio::test]
async fn sealers_running_at_once_never_fork_the_chain() {
    let app = spawn_app().await;
    for i in 0..60 {
        rentdesk_store::audit::record(
            &app.db,
            rentdesk_store::audit::Entry {
                actor: rentdesk_store::audit::Actor::System,
                action: "test.recorded",
                subject_kind: "tenancy",
                subject_id: Some(i.to_string()),
                detail: None,
                client_addr: None,
            },
        )
        .await
        .unwrap();
    }
    let entries = audit_entry::Entity::find().count(&app.db).await.unwrap();
    let runs = futures::future::join_all((0..4).map(|_| audit_chain::seal(&app.db))).await;
    for r in &runs {
        assert!(r.is_ok(), "{r:?}");
    }
    // A run that lost a race leaves the rest to the winner; one more run finishes the job.
    audit_chain::seal(&app.db).await.unwrap();
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert!(v.holds(), "{:?}", v.breaks);
    assert_eq!(v.seals, entries, "every entry sealed exactly once");
}

#[tokio::test]
async fn the_worker_seals_new_entries_on_its_own() {
    let app = spawn_app_with(&[("DISPATCH_CRON", "* * * * * *")]).await;
    audited_requests(&app, 2).await;
    let entries = audit_entry::Entity::find().count(&app.db).await.unwrap() as i64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let head = audit_chain::head(&app.db).await.unwrap();
        if head.as_ref().is_some_and(|h| h.seq >= entries) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker sealed nothing in 30 s (head {head:?}, {entries} entries)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let v = audit_chain::verify(&app.db, None).await.unwrap();
    assert!(v.holds(), "{:?}", v.breaks);
}
