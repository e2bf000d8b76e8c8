//! Logs: `LOG_FORMAT` (pretty or JSON lines) and `RUST_LOG` (the filter, default info).

use crate::{ConfigError, Mode, Vars, err};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`; unset = pretty in dev, JSON lines elsewhere.
    pub fn from_vars(v: &Vars) -> Result<LogFormat, ConfigError> {
        match v.get("LOG_FORMAT").as_deref() {
            None if v.mode() == Mode::Dev => Ok(LogFormat::Pretty),
            None => Ok(LogFormat::Json),
            Some("pretty") => Ok(LogFormat::Pretty),
            Some("json") => Ok(LogFormat::Json),
            Some(_) => Err(err("LOG_FORMAT", "must be pretty or json")),
        }
    }
}

/// Logs: `RUST_LOG` filters (default info), pretty or JSON lines.
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,poem=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second call (tests start several apps in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
