//! Connecting to the database and bringing its schema up to date.

use rentdesk_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// Connect to PostgreSQL (`postgres://…`) or SQLite (`sqlite://file?mode=rwc`).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(
        url,
        max_connections,
        sea_orm::sqlx::sqlite::SqliteSynchronous::Full,
    ))
    .await
}

/// One SQLite connection that does not wait for the disk at each commit (`synchronous =
/// NORMAL`, safe in WAL mode against a crash of the process, not of the machine): for writing
/// the demo landlord's history on `rentdesk dev`'s first start, a thousand small use cases one
/// after the other, where waiting on each commit's fsync was most of the time. The server's
/// own connections keep the default (`FULL`).
pub async fn connect_for_demo(url: &str) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(
        url,
        1,
        sea_orm::sqlx::sqlite::SqliteSynchronous::Normal,
    ))
    .await
}

fn options(
    url: &str,
    max_connections: u32,
    synchronous: sea_orm::sqlx::sqlite::SqliteSynchronous,
) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        // SQLite: WAL lets the API read while the worker writes; a writer waits for the lock
        // instead of failing at once when the server and worker write together.
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .synchronous(synchronous)
        });
    options
}

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// Apply every pending migration. Safe to call from several processes at start: on PostgreSQL
/// the whole run holds a transaction-scoped advisory lock (and DDL is transactional there), so a
/// second server waits and then finds nothing to do. On SQLite the run is one write
/// transaction (`BEGIN IMMEDIATE`), which serialises it the same way.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = if db.get_database_backend() == DbBackend::Postgres {
        let txn = db.begin().await?;
        // Any fixed 64-bit number; it only has to be the same in every Rentdesk process.
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(72657464657368)")
            .await?;
        txn
    } else {
        begin_write(db).await?
    };
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Roll every migration back (used by the migration round-trip test and `rentdesk migrate down`).
pub async fn migrate_down_all(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::down(db, None).await
}

/// A trivial query proving the database answers (health check).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// A connection a use case can read and write through and begin its own transaction on: the
/// pool (`DatabaseConnection`), or a caller's transaction (`DatabaseTransaction`: the use
/// case's own transactions are then savepoints, and the caller commits or rolls back all).
pub trait Connection:
    ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>
{
}

impl<C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>> Connection for C {}

/// Begin a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first and writes later fails with "database is
/// locked" if anyone else wrote in between, instead of waiting its turn.
/// Inside a transaction (`db` a `DatabaseTransaction`) it is a savepoint: the caller's
/// transaction decides.
pub async fn begin_write<C: TransactionTrait<Transaction = DatabaseTransaction>>(
    db: &C,
) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
