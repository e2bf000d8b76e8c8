use crate::helpers::fresh_database;
use rentdesk_store::entities::{account_summary, tenancy, transaction};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

async fn seeded(
    count: u64,
    seed: u64,
) -> (sea_orm::DatabaseConnection, Option<std::path::PathBuf>) {
    let (url, file) = fresh_database().await;
    let db = rentdesk_store::db::connect(&url, 4).await.unwrap();
    rentdesk_store::db::migrate(&db).await.unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    rentdesk_store::seed::seed(&db, count, seed, as_of)
        .await
        .unwrap();
    rentdesk_store::evaluation::evaluate_all(&db, as_of, chrono::Utc::now())
        .await
        .unwrap();
    (db, file)
}

async fn fingerprint(db: &sea_orm::DatabaseConnection) -> Vec<(String, String, i64, u64)> {
    let mut out = vec![];
    for t in tenancy::Entity::find()
        .order_by_asc(tenancy::Column::Id)
        .all(db)
        .await
        .unwrap()
    {
        let s = account_summary::Entity::find_by_id(t.id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        out.push((t.reference, t.postcode, s.balance_pence, 0));
    }
    out
}

#[tokio::test]
async fn demo_data_is_deterministic_and_has_every_kind_of_account() {
    let (a, fa) = seeded(150, 7).await;
    let (b, fb) = seeded(150, 7).await;
    assert_eq!(fingerprint(&a).await, fingerprint(&b).await);
    let tx = transaction::Entity::find().count(&a).await.unwrap();
    assert!(
        tx > 150 * 100,
        "two years of weekly history: {tx} transactions"
    );

    let summaries = account_summary::Entity::find().all(&a).await.unwrap();
    let count = |status: &str| summaries.iter().filter(|s| s.status == status).count();
    assert!(count("clear") > 0, "some accounts clear");
    assert!(count("in_arrears") > 0, "some accounts in real arrears");
    assert!(
        count("technical_only") > 0,
        "some in technical arrears only"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.weeks_in_arrears_hundredths.unwrap_or(0) >= 800),
        "some seriously behind (8+ weeks)"
    );
    for f in [fa, fb].into_iter().flatten() {
        let _ = std::fs::remove_file(f);
    }
}
