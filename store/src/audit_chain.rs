//! Tamper-evidence for the audit log (issue 19): a hash chain over its entries, so that an
//! entry edited or removed by someone who can write to the database directly (a database
//! administrator disabling the append-only triggers) is found.
//!
//! Each entry gets one seal (`audit_seals`): seal `n` holds the hash of seal `n - 1` and
//! `SHA-256(domain tag, previous hash, n, the entry's every column)`. [`seal`] chains the
//! entries written since the last run, in id order; the worker calls it on every dispatch tick
//! (about a minute), so an entry is sealed within a minute or two of its commit. [`verify`]
//! walks the whole chain and names what does not hold.
//!
//! Why sealing happens after the commit rather than as each entry is inserted: a chain written
//! at insert needs one lock held from each audited write to its transaction's commit, so every
//! audited transaction in the deployment would queue behind the others (a stages import holds
//! its transaction for minutes). Sealing after the commit keeps writers independent; an entry
//! whose transaction commits after a later entry was sealed is simply sealed on the next run.
//!
//! What a chain cannot prove on its own: someone who can edit the database can also recompute
//! every later seal. The sealer therefore logs the chain head (`seq` and `hash`) each time it
//! moves, into the application log, which a database administrator does not control;
//! `rentdesk audit verify --expect SEQ:HASH` checks the chain still holds that head. And an
//! entry edited in the minute before it is sealed is not detectable (SECURITY.md says so).

use chrono::{Duration, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr,
};
use sha2::{Digest, Sha256};

use crate::entities::{audit_entry, audit_seal};

/// `prev_hash` of the first seal.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How late an entry may commit after it was written (its `at`) and still be sealed: an
/// audited transaction lasting longer than this is not expected (the longest, an import, takes
/// minutes). An entry older than this when first seen is reported by [`verify`], not sealed.
pub const LATE_COMMIT_WINDOW: Duration = Duration::hours(24);

/// Entries sealed per transaction.
const BATCH: u64 = 1_000;

/// The newest seal: where the chain ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;
    fn from_str(s: &str) -> Result<Head, String> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?}: expected SEQ:HASH, e.g. 42:9f86d08…"))?;
        let seq = seq
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("{seq:?}: the sequence number is a whole number from 1"))?;
        let valid = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(format!("{hash:?}: the hash is 64 hexadecimal characters"));
        }
        Ok(Head {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// The seal hash of `entry` at position `seq` after `prev_hash`. Every column goes in, each
/// length-prefixed and with absence distinct from an empty value, so no two different entries
/// hash alike by shifting text between columns.
pub fn seal_hash(prev_hash: &str, seq: i64, entry: &audit_entry::Model) -> String {
    fn put(h: &mut Sha256, value: Option<&str>) {
        match value {
            None => h.update([0u8]),
            Some(v) => {
                h.update([1u8]);
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"rentdesk audit seal v1\0");
    put(&mut h, Some(prev_hash));
    put(&mut h, Some(&seq.to_string()));
    put(&mut h, Some(&entry.id.to_string()));
    put(
        &mut h,
        Some(&entry.at.to_rfc3339_opts(SecondsFormat::Nanos, true)),
    );
    put(&mut h, Some(&entry.actor_kind));
    put(&mut h, entry.actor_id.as_deref());
    put(&mut h, Some(&entry.action));
    put(&mut h, Some(&entry.subject_kind));
    put(&mut h, entry.subject_id.as_deref());
    put(&mut h, entry.detail.as_deref());
    put(&mut h, entry.client_addr.as_deref());
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

/// What a [`seal`] run did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sealed {
    /// Entries sealed by this run.
    pub count: u64,
    /// The chain's head after the run (`None`: nothing sealed yet).
    pub head: Option<Head>,
    /// Another sealer took the same positions first; this run stopped and left the rest to it.
    pub raced: bool,
}

pub async fn head<C: ConnectionTrait>(db: &C) -> Result<Option<Head>, DbErr> {
    Ok(audit_seal::Entity::find()
        .order_by_desc(audit_seal::Column::Seq)
        .one(db)
        .await?
        .map(|s| Head {
            seq: s.seq,
            hash: s.hash,
        }))
}

/// Seal every committed entry not yet sealed, in id order, a batch per transaction. Safe to
/// run in every worker at once: two runs that pick the same next position collide on its
/// primary key, and the loser stops (`raced`) with nothing written.
pub async fn seal<C: crate::db::Connection>(db: &C) -> Result<Sealed, DbErr> {
    // Evidence, like the entries' own `at`: the real time, never the rules' clock.
    let now = Utc::now();
    let mut out = Sealed::default();
    loop {
        let txn = crate::db::begin_write(db).await?;
        let (mut seq, mut prev, newest) = match audit_seal::Entity::find()
            .order_by_desc(audit_seal::Column::Seq)
            .one(&txn)
            .await?
        {
            Some(s) => (s.seq, s.hash, Some(s.sealed_at)),
            None => (0, GENESIS.to_owned(), None),
        };
        let mut unsealed = unsealed()
            .order_by_asc(audit_entry::Column::Id)
            .limit(BATCH);
        if let Some(newest) = newest {
            // Entries written long before the last run were visible to it: one still unsealed
            // was not written by the application (verify reports it).
            unsealed = unsealed.filter(audit_entry::Column::At.gte(newest - LATE_COMMIT_WINDOW));
        }
        let entries = unsealed.all(&txn).await?;
        if entries.is_empty() {
            txn.rollback().await?;
            break;
        }
        let mut seals = Vec::with_capacity(entries.len());
        for e in &entries {
            seq += 1;
            let hash = seal_hash(&prev, seq, e);
            seals.push(audit_seal::ActiveModel {
                seq: Set(seq),
                entry_id: Set(e.id),
                prev_hash: Set(std::mem::replace(&mut prev, hash.clone())),
                hash: Set(hash),
                sealed_at: Set(now),
            });
        }
        let written = async {
            audit_seal::Entity::insert_many(seals).exec(&txn).await?;
            txn.commit().await
        }
        .await;
        match written {
            Ok(()) => {
                out.count += entries.len() as u64;
                out.head = Some(Head { seq, hash: prev });
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                out.raced = true;
                break;
            }
            Err(e) => return Err(e),
        }
        if (entries.len() as u64) < BATCH {
            break;
        }
    }
    if out.head.is_none() {
        out.head = head(db).await?;
    }
    Ok(out)
}

/// The audit entries no seal covers yet.
fn unsealed() -> sea_orm::Select<audit_entry::Entity> {
    audit_entry::Entity::find().filter(
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(audit_seal::Entity)
                .and_where(
                    Expr::col((audit_seal::Entity, audit_seal::Column::EntryId))
                        .equals((audit_entry::Entity, audit_entry::Column::Id)),
                )
                .take(),
        )
        .not(),
    )
}

/// One thing about the chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Seal `expected` is missing: the chain jumps to `found`.
    Gap { expected: i64, found: i64 },
    /// Seal `seq` does not follow the seal before it (its `prev_hash` differs).
    Unlinked { seq: i64 },
    /// The entry seal `seq` covers is gone.
    Removed { seq: i64, entry_id: i64 },
    /// The entry seal `seq` covers was changed after it was sealed (or the seal was).
    Changed { seq: i64, entry_id: i64 },
    /// The chain does not hold the head recorded earlier.
    HeadMismatch { expected: Head, found: Option<Head> },
    /// Entries older than [`LATE_COMMIT_WINDOW`] before the newest seal that are not sealed:
    /// written behind the application's back (or a worker that never ran).
    NotSealed { count: u64, first_id: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Gap { expected, found } => {
                write!(f, "seal {expected} is missing (the chain jumps to {found})")
            }
            Break::Unlinked { seq } => write!(
                f,
                "seal {seq} does not follow seal {}: a seal was replaced",
                seq - 1
            ),
            Break::Removed { seq, entry_id } => write!(
                f,
                "audit entry {entry_id} (seal {seq}) has been removed from the log"
            ),
            Break::Changed { seq, entry_id } => write!(
                f,
                "audit entry {entry_id} (seal {seq}) has been changed since it was sealed"
            ),
            Break::HeadMismatch { expected, found } => match found {
                Some(found) if found.seq >= expected.seq => write!(
                    f,
                    "seal {} is not the one recorded ({}): the chain was rewritten",
                    expected.seq, expected.hash
                ),
                Some(found) => write!(
                    f,
                    "the chain ends at seal {} but seal {} was recorded: seals were removed",
                    found.seq, expected.seq
                ),
                None => write!(
                    f,
                    "the chain is empty but seal {} was recorded",
                    expected.seq
                ),
            },
            Break::NotSealed { count, first_id } => write!(
                f,
                "{count} audit entries (the first, id {first_id}) were never sealed although \
                 they are older than the newest seal by more than {} hours: written outside \
                 the application, or no worker has run",
                LATE_COMMIT_WINDOW.num_hours()
            ),
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verified {
    /// Seals checked.
    pub seals: u64,
    pub head: Option<Head>,
    /// Entries not (yet) sealed, recent enough to be waiting for the next run.
    pub waiting: u64,
    /// Up to [`MAX_BREAKS`] problems, in chain order.
    pub breaks: Vec<Break>,
}

impl Verified {
    pub fn holds(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// Problems reported before [`verify`] stops looking.
pub const MAX_BREAKS: usize = 20;

/// Walk the whole chain from seal 1: every seal follows the one before, every sealed entry is
/// still there and unchanged; optionally, the chain still holds a head recorded earlier.
pub async fn verify<C: ConnectionTrait>(db: &C, expect: Option<&Head>) -> Result<Verified, DbErr> {
    let mut out = Verified::default();
    let mut prev = GENESIS.to_owned();
    let mut next_seq = 1_i64;
    let mut recorded: Option<String> = None;
    'pages: loop {
        let seals = audit_seal::Entity::find()
            .filter(audit_seal::Column::Seq.gte(next_seq))
            .order_by_asc(audit_seal::Column::Seq)
            .limit(BATCH)
            .all(db)
            .await?;
        if seals.is_empty() {
            break;
        }
        let ids: Vec<i64> = seals.iter().map(|s| s.entry_id).collect();
        let entries: std::collections::HashMap<i64, audit_entry::Model> =
            audit_entry::Entity::find()
                .filter(audit_entry::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|e| (e.id, e))
                .collect();
        for s in &seals {
            if out.breaks.len() >= MAX_BREAKS {
                break 'pages;
            }
            if s.seq != next_seq {
                out.breaks.push(Break::Gap {
                    expected: next_seq,
                    found: s.seq,
                });
            }
            if s.prev_hash != prev {
                out.breaks.push(Break::Unlinked { seq: s.seq });
            }
            match entries.get(&s.entry_id) {
                None => out.breaks.push(Break::Removed {
                    seq: s.seq,
                    entry_id: s.entry_id,
                }),
                Some(e) if seal_hash(&s.prev_hash, s.seq, e) != s.hash => {
                    out.breaks.push(Break::Changed {
                        seq: s.seq,
                        entry_id: s.entry_id,
                    })
                }
                Some(_) => {}
            }
            if expect.is_some_and(|h| h.seq == s.seq) {
                recorded = Some(s.hash.clone());
            }
            out.seals += 1;
            prev = s.hash.clone();
            next_seq = s.seq + 1;
            out.head = Some(Head {
                seq: s.seq,
                hash: s.hash.clone(),
            });
        }
    }
    if let Some(expected) = expect
        && recorded.as_deref() != Some(expected.hash.as_str())
    {
        out.breaks.push(Break::HeadMismatch {
            expected: expected.clone(),
            found: out.head.clone(),
        });
    }
    let unsealed = unsealed();
    let newest = audit_seal::Entity::find()
        .order_by_desc(audit_seal::Column::Seq)
        .one(db)
        .await?
        .map(|s| s.sealed_at);
    match newest {
        Some(newest) => {
            let cutoff = newest - LATE_COMMIT_WINDOW;
            let stale = unsealed
                .clone()
                .filter(audit_entry::Column::At.lt(cutoff))
                .order_by_asc(audit_entry::Column::Id);
            let count = stale.clone().count(db).await?;
            if count > 0
                && let Some(first) = stale.one(db).await?
            {
                out.breaks.push(Break::NotSealed {
                    count,
                    first_id: first.id,
                });
            }
            out.waiting = unsealed
                .filter(audit_entry::Column::At.gte(cutoff))
                .count(db)
                .await?;
        }
        None => out.waiting = unsealed.count(db).await?,
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> audit_entry::Model {
        audit_entry::Model {
            id: 7,
            at: "2026-12-07T10:00:00.123456Z".parse().unwrap(),
            actor_kind: "staff".into(),
            actor_id: Some("3".into()),
            action: "action.recorded".into(),
            subject_kind: "tenancy".into(),
            subject_id: Some("12".into()),
            detail: None,
            client_addr: Some("10.0.0.1".into()),
        }
    }

    #[test]
    fn every_column_and_the_link_change_the_hash() {
        let base = seal_hash(GENESIS, 1, &entry());
        assert_eq!(base.len(), 64);
        assert_eq!(base, seal_hash(GENESIS, 1, &entry()), "deterministic");
        let mut changed = vec![seal_hash(&"1".repeat(64), 1, &entry())];
        changed.push(seal_hash(GENESIS, 2, &entry()));
        let edits: [fn(&mut audit_entry::Model); 9] = [
            |e| e.id = 8,
            |e| e.at += Duration::microseconds(1),
            |e| e.actor_kind = "system".into(),
            |e| e.actor_id = None,
            |e| e.action = "account.viewed".into(),
            |e| e.subject_kind = "tenant".into(),
            |e| e.subject_id = Some("13".into()),
            |e| e.detail = Some(String::new()),
            |e| e.client_addr = None,
        ];
        for edit in edits {
            let mut e = entry();
            edit(&mut e);
            changed.push(seal_hash(GENESIS, 1, &e));
        }
        for h in &changed {
            assert_ne!(h, &base);
        }
    }

    #[test]
    fn text_moved_between_columns_changes_the_hash() {
        let mut a = entry();
        a.subject_kind = "tenancy1".into();
        a.subject_id = Some("2".into());
        assert_ne!(seal_hash(GENESIS, 1, &a), seal_hash(GENESIS, 1, &entry()));
    }

    #[test]
    fn a_recorded_head_is_read_strictly() {
        let h: Head = format!("42:{}", "AB".repeat(32)).parse().unwrap();
        assert_eq!(h.seq, 42);
        assert_eq!(h.hash, "ab".repeat(32));
        for bad in [
            "42",
            "x:ab",
            "0:00",
            &format!("1:{}", "g".repeat(64)),
            "1:abc",
        ] {
            assert!(bad.parse::<Head>().is_err(), "{bad}");
        }
    }
}
