//! The application database: `DATABASE_URL`, `DB_MAX_CONNECTIONS`.

use crate::{ConfigError, Vars, err};

pub const DEV_DATABASE_URL: &str = "sqlite://rentdesk.sqlite?mode=rwc";

#[derive(Debug, Clone)]
pub struct Database {
    pub url: String,
    pub max_connections: u32,
}

impl Database {
    pub fn from_vars(v: &Vars) -> Result<Database, ConfigError> {
        let url = v
            .get("DATABASE_URL")
            .unwrap_or_else(|| DEV_DATABASE_URL.to_owned());
        if !(url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.starts_with("sqlite:"))
        {
            return Err(err(
                "DATABASE_URL",
                "must start with postgres://, postgresql:// or sqlite:",
            ));
        }
        Ok(Database {
            url,
            max_connections: v.number("DB_MAX_CONNECTIONS", 10, 1, 1000)? as u32,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}
