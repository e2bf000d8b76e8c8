//! The stage letters' wording: `LETTER_TEMPLATES_DIR` (the landlord's `<letter>.txt` files
//! replacing the shipped ones, checked at start); unset = the shipped wording.

use std::sync::Arc;

use rentdesk_domain::letters::templates::LetterTemplates;

use crate::{ConfigError, Vars, err};

#[derive(Debug, Clone)]
pub struct Letters {
    pub templates: Arc<LetterTemplates>,
}

impl Letters {
    pub fn from_vars(v: &Vars) -> Result<Letters, ConfigError> {
        Ok(Letters {
            templates: Arc::new(match v.get("LETTER_TEMPLATES_DIR") {
                None => LetterTemplates::builtin().clone(),
                Some(dir) => read_dir(&dir)?,
            }),
        })
    }
}

/// Read and check every `*.txt` in `dir` (the letter wording is checked here, at start, so a
/// typo stops the process instead of reaching a tenant).
fn read_dir(dir: &str) -> Result<LetterTemplates, ConfigError> {
    let var = "LETTER_TEMPLATES_DIR";
    let entries = std::fs::read_dir(dir)
        .map_err(|e| err(var, format!("cannot read the directory {dir}: {e}")))?;
    let mut files = vec![];
    for entry in entries {
        let entry = entry.map_err(|e| err(var, format!("cannot read the directory {dir}: {e}")))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| err(var, format!("cannot read {}: {e}", path.display())))?;
        files.push((name, text));
    }
    files.sort();
    LetterTemplates::with_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|e| {
        err(
            var,
            format!(
                "{}: {}",
                std::path::Path::new(dir).join(&e.file).display(),
                e.problem
            ),
        )
    })
}
