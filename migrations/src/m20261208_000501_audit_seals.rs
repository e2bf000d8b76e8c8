//! The audit log's tamper-evidence (issue 19): `audit_seals` chains the audit entries, one seal
//! per entry, each seal's `hash` covering the previous seal's hash and its entry's content. A
//! worker seals new entries every tick (`store::audit_chain::seal`); `rentdesk audit verify`
//! walks the chain and names the first entry that was edited, removed or sealed out of order.
//!
//! Seals are a table of their own rather than columns on `audit_log`: the log stays exactly
//! as written (its append-only triggers are untouched), and sealing after the commit means no
//! transaction that writes an audit entry ever waits for another one's (a chain written at
//! insert would serialise every audited transaction, an import's minutes included).
//! `seq` is the chain position, assigned by the sealer (1, 2, 3, … without gaps), and its
//! primary key is what keeps two sealers from forking the chain: the second one's insert fails.
//! Seals are append-only too, by the same kind of triggers as the log.

use crate::common::{append_only, drop_append_only};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_seals")
                    .col(big_integer("seq").primary_key())
                    .col(big_integer_uniq("entry_id"))
                    .col(string("prev_hash"))
                    .col(string("hash"))
                    .col(timestamp_with_time_zone("sealed_at"))
                    .take(),
            )
            .await?;
        append_only(manager, "audit_seals").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_append_only(manager, "audit_seals").await?;
        manager
            .drop_table(Table::drop().table("audit_seals").take())
            .await
    }
}
