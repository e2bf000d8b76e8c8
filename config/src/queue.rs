//! The job queue: Redis when `REDIS_URL` is set, otherwise an embedded SQLite file
//! (`QUEUE_URL`); `QUEUE_NAMESPACE` prefixes the queue names.

use crate::{ConfigError, Vars, err};

pub const DEV_QUEUE_URL: &str = "sqlite://rentdesk-queue.sqlite?mode=rwc";

/// Where the job queue lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueBackend {
    /// apalis-sqlite: `sqlite://path?mode=rwc`, usually the application's own SQLite file.
    Sqlite { url: String },
    /// apalis-redis: `redis://host:6379`; needed when several worker processes run. Queue names
    /// are prefixed with `namespace`, so deployments (and test runs) can share one Redis.
    Redis { url: String, namespace: String },
}

#[derive(Debug, Clone)]
pub struct Queue {
    /// Redis for the job queue; `None` keeps the queue in SQLite (`url`).
    pub redis_url: Option<String>,
    /// SQLite URL of the embedded queue when Redis is not configured.
    pub url: String,
    /// Prefix of the queue names, so several deployments (or test runs) can share one Redis.
    pub namespace: String,
}

impl Queue {
    pub fn from_vars(v: &Vars) -> Result<Queue, ConfigError> {
        let redis_url = v.get("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(err("REDIS_URL", "must start with redis:// or rediss://"));
        }
        // The embedded queue gets its own file: its constant small writes would otherwise
        // contend for the main database's single write lock.
        let url = v
            .get("QUEUE_URL")
            .unwrap_or_else(|| DEV_QUEUE_URL.to_owned());
        if !url.starts_with("sqlite:") {
            return Err(err(
                "QUEUE_URL",
                "must be a sqlite: URL (set REDIS_URL to queue in Redis)",
            ));
        }
        let namespace = v
            .get("QUEUE_NAMESPACE")
            .unwrap_or_else(|| "rentdesk".to_owned());
        if !namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(err("QUEUE_NAMESPACE", "letters, digits, _ and - only"));
        }
        Ok(Queue {
            redis_url,
            url,
            namespace,
        })
    }

    pub fn backend(&self) -> QueueBackend {
        match &self.redis_url {
            Some(url) => QueueBackend::Redis {
                url: url.clone(),
                namespace: self.namespace.clone(),
            },
            None => QueueBackend::Sqlite {
                url: self.url.clone(),
            },
        }
    }
}
