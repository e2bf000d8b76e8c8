//! Small builders every migration uses, so the naming of keys and indexes stays uniform.

use sea_orm_migration::{prelude::*, schema::*};

pub fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
        .default(Expr::current_timestamp())
        .take()
}

pub fn fk(
    table: &str,
    column: &str,
    to: &str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(on_delete)
        .take()
}

pub fn index(table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_")))
        .table(table.to_owned());
    for column in columns {
        stmt.col(String::from(*column));
    }
    if unique {
        stmt.unique();
    }
    stmt.take()
}
