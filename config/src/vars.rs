//! Where the sections read their variables: the environment (or a test's map), with each secret
//! given as `NAME_FILE` already read, and the published secrets refused outside dev.

use std::collections::HashMap;

use crate::secrets::{Mode, refuse_published, secret_files};
use crate::{ConfigError, err};

/// A source of variables: the environment, or a test's map.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

pub struct Vars<'a> {
    mode: Mode,
    files: HashMap<&'static str, String>,
    lookup: Lookup<'a>,
}

impl<'a> Vars<'a> {
    /// Read the `_FILE` secrets and, outside dev, refuse any published secret.
    pub fn new(
        mode: Mode,
        lookup: impl Fn(&str) -> Option<String> + 'a,
    ) -> Result<Vars<'a>, ConfigError> {
        let files = secret_files(&lookup)?;
        let vars = Vars {
            mode,
            files,
            lookup: Box::new(lookup),
        };
        if mode != Mode::Dev {
            refuse_published(&|name: &str| vars.get(name))?;
        }
        Ok(vars)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.files
            .get(name)
            .cloned()
            .or_else(|| (self.lookup)(name))
    }

    /// A whole number in `min..=max`, `default` when unset.
    pub fn number(
        &self,
        name: &'static str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(err(
                    name,
                    format!("must be a whole number from {min} to {max}"),
                )),
            },
        }
    }

    /// A decimal in `min..=max`, `default` when unset.
    pub fn decimal(
        &self,
        name: &'static str,
        min: f64,
        max: f64,
        default: f64,
    ) -> Result<f64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(x),
                _ => Err(err(name, format!("must be a number from {min} to {max}"))),
            },
        }
    }

    /// true/yes/1 or false/no/0, `default` when unset.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).as_deref().map(str::trim) {
            None => Ok(default),
            Some("true" | "yes" | "1") => Ok(true),
            Some("false" | "no" | "0") => Ok(false),
            Some(_) => Err(err(name, "must be true or false")),
        }
    }

    /// An http(s) URL, `default` when unset.
    pub fn http_url(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let url = self.get(name).unwrap_or_else(|| default.to_owned());
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(err(name, "must be an http(s) URL"));
        }
        Ok(url)
    }
}
