//! The rules in `docs/` name the code that implements them, and the code points back to
//! `docs/`. This test keeps both directions true, so the references cannot rot silently:
//!
//! - every source file a page of `docs/` cites (`domain/src/….rs`, `store/src/….rs`, …) exists;
//! - every function, constant or type it cites (`` `fn name` ``, `` `const NAME` ``,
//!   `` `rentdesk_domain::module::name` ``) is defined in the file cited with it: `fn`/`const`
//!   in the file cited before it in the same paragraph, a `rentdesk_…::…` path in the file cited
//!   after it on the same line (or else the one before it);
//! - every `docs/<page>.md#<anchor>` reference anywhere in the repository, and every link
//!   between the pages, leads to a page and a heading that exist;
//! - no file in the repository mentions the product brief's old rules file, which is not in
//!   the repository (every reference points to `docs/`).
//!
//! Each broken reference is printed with its page (or file) and line.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The file name the code used to cite: kept out of this source as one literal so that the
/// repository-wide search below does not find this file.
const OLD_RULES: &str = concat!("domain", ".md");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the domain crate sits in the workspace")
        .to_path_buf()
}

fn pages() -> Vec<(String, String)> {
    let dir = repo().join("docs");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).expect("docs/ exists") {
        let path = entry.expect("a docs/ entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).expect("a docs page is UTF-8");
            out.push((name, text));
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no pages in docs/");
    out
}

/// The text between backticks on a line.
fn backticked(line: &str) -> Vec<&str> {
    line.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect()
}

fn is_source_path(token: &str) -> bool {
    token.ends_with(".rs")
        && token.contains('/')
        && !token.contains(char::is_whitespace)
        && !token.contains("::")
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Fn,
    Const,
    Type,
}

/// A cited item: `fn name`, `const NAME`, or a `rentdesk_…::…::name` path (its last segment:
/// SHOUTING_CASE a constant, CamelCase a type, anything else a function or method).
fn item(token: &str) -> Option<(Kind, &str, bool)> {
    if let Some(name) = token.strip_prefix("fn ") {
        return Some((Kind::Fn, name.trim(), false));
    }
    if let Some(name) = token.strip_prefix("const ") {
        return Some((Kind::Const, name.trim(), false));
    }
    if token.starts_with("rentdesk_") && token.contains("::") && !token.contains(' ') {
        let name = token.rsplit("::").next().unwrap();
        if name.is_empty() || !name.chars().all(is_ident_char) {
            return None; // a pattern such as `rentdesk_domain::<module>::<function>`
        }
        let kind = if name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            Kind::Const
        } else if name.starts_with(|c: char| c.is_ascii_uppercase()) {
            Kind::Type
        } else {
            Kind::Fn
        };
        return Some((kind, name, true));
    }
    None
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `keyword name` followed by something that cannot continue the name.
fn declares(source: &str, keyword: &str, name: &str) -> bool {
    let needle = format!("{keyword} {name}");
    source.match_indices(&needle).any(|(i, _)| {
        let before_ok = i == 0 || !is_ident_char(source[..i].chars().next_back().unwrap());
        let after = source[i + needle.len()..].chars().next();
        before_ok && !after.is_some_and(is_ident_char)
    })
}

fn defined(source: &str, kind: Kind, name: &str) -> bool {
    match kind {
        Kind::Fn => declares(source, "fn", name),
        Kind::Const => declares(source, "const", name) || declares(source, "static", name),
        Kind::Type => ["struct", "enum", "trait", "type"]
            .iter()
            .any(|k| declares(source, k, name)),
    }
}

/// GitHub's heading anchors: lower case, letters, digits, `-` and `_` kept, spaces to `-`,
/// everything else dropped; a repeated heading gets `-1`, `-2`, ….
fn anchors(page: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    let mut fenced = false;
    for line in page.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let n = seen.entry(slug.clone()).or_insert(0);
        out.push(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

#[test]
fn every_file_and_function_the_docs_cite_exists() {
    let root = repo();
    let mut broken = Vec::new();
    let mut cited_items = 0;
    for (page, text) in pages() {
        let mut current: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let at = format!("docs/{page}:{}", n + 1);
            if line.trim().is_empty() {
                current = None;
                continue;
            }
            let parts: Vec<&str> = line.split('`').collect();
            let tokens = backticked(line);
            for (i, token) in tokens.iter().enumerate() {
                // "`fn name` in `path`": the file named right after it.
                let named_after = parts
                    .get(2 * i + 2)
                    .is_some_and(|between| between.trim() == "in")
                    && tokens.get(i + 1).is_some_and(|t| is_source_path(t));
                if is_source_path(token) {
                    if !root.join(token).is_file() {
                        broken.push(format!("{at}: cites `{token}`, which does not exist"));
                    }
                    current = Some(token.to_string());
                    continue;
                }
                let Some((kind, name, path_form)) = item(token) else {
                    continue;
                };
                let file = if named_after {
                    Some(tokens[i + 1].to_string())
                } else if path_form {
                    tokens[i + 1..]
                        .iter()
                        .find(|t| is_source_path(t))
                        .map(|t| t.to_string())
                        .or_else(|| current.clone())
                } else {
                    current.clone()
                };
                let Some(file) = file else {
                    broken.push(format!(
                        "{at}: cites `{token}` without a file (cite the file first)"
                    ));
                    continue;
                };
                cited_items += 1;
                let Ok(source) = fs::read_to_string(root.join(&file)) else {
                    continue; // the missing file is reported already
                };
                if !defined(&source, kind, name) {
                    broken.push(format!(
                        "{at}: cites `{token}`, but `{file}` defines no {kind:?} `{name}`"
                    ));
                }
            }
        }
    }
    assert!(
        cited_items > 100,
        "only {cited_items} items cited: is the parser broken?"
    );
    assert!(
        broken.is_empty(),
        "{} broken reference(s) in docs/:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// Text files of the repository (not build output, not git's own).
fn repository_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | "node_modules") {
                repository_files(&path, out);
            }
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

/// Every `docs/<page>.md` or `docs/<page>.md#anchor` in `text`, with its line.
fn docs_references(text: &str) -> Vec<(usize, String, Option<String>)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("docs/") {
            let after = &rest[i + "docs/".len()..];
            let page: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
                .collect();
            rest = &after[page.len()..];
            let Some(page) = page.strip_suffix(".md").map(str::to_string).or_else(|| {
                // a reference ending a sentence keeps its full stop out of the page name
                page.strip_suffix(".md.").map(str::to_string)
            }) else {
                continue;
            };
            let anchor = rest.strip_prefix('#').map(|a| {
                a.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                    .collect::<String>()
            });
            out.push((n + 1, format!("{page}.md"), anchor));
        }
    }
    out
}

#[test]
fn the_code_points_to_docs_and_every_reference_leads_to_a_heading() {
    let root = repo();
    let pages: BTreeMap<String, Vec<String>> = pages()
        .into_iter()
        .map(|(name, text)| {
            let a = anchors(&text);
            (name, a)
        })
        .collect();
    let mut files = Vec::new();
    repository_files(&root, &mut files);
    files.sort();
    let mut broken = Vec::new();
    let mut references = 0;
    for path in &files {
        let Ok(bytes) = fs::read(path) else { continue };
        if bytes.contains(&0) {
            continue; // binary
        }
        let text = String::from_utf8_lossy(&bytes);
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            if line.to_lowercase().contains(OLD_RULES) {
                broken.push(format!(
                    "{shown}:{}: still cites {OLD_RULES}, which is not in the repository: \
                     point it to docs/ (run the docs-refs script)",
                    n + 1
                ));
            }
        }
        for (n, page, anchor) in docs_references(&text) {
            references += 1;
            let Some(headings) = pages.get(&page) else {
                broken.push(format!("{shown}:{n}: docs/{page} does not exist"));
                continue;
            };
            if let Some(anchor) = anchor
                && !anchor.is_empty()
                && !headings.contains(&anchor)
            {
                broken.push(format!("{shown}:{n}: docs/{page} has no heading #{anchor}"));
            }
        }
    }
    // Links between the pages: [text](page.md#anchor), [text](#anchor).
    for (page, text) in pages_text() {
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("](") {
                let after = &rest[i + 2..];
                let end = after.find(')').unwrap_or(after.len());
                let target = &after[..end];
                rest = &after[end..];
                if target.starts_with("http") || target.starts_with("mailto:") {
                    continue;
                }
                let (file, anchor) = match target.split_once('#') {
                    Some((f, a)) => (f, Some(a)),
                    None => (target, None),
                };
                let at = format!("docs/{page}:{}", n + 1);
                if file.is_empty() || !file.contains('/') {
                    let file = if file.is_empty() { page.as_str() } else { file };
                    match pages.get(file) {
                        None => broken.push(format!("{at}: links to {file}, not a page in docs/")),
                        Some(h) => {
                            if let Some(a) = anchor
                                && !h.iter().any(|x| x == a)
                            {
                                broken.push(format!("{at}: {file} has no heading #{a}"));
                            }
                        }
                    }
                } else if !root.join("docs").join(file).exists() {
                    broken.push(format!("{at}: links to {file}, which does not exist"));
                }
            }
        }
    }
    assert!(
        references > 0,
        "no docs/ reference found: is the search broken?"
    );
    assert!(
        broken.is_empty(),
        "{} broken reference(s):\n{}",
        broken.len(),
        broken.join("\n")
    );
}

fn pages_text() -> Vec<(String, String)> {
    pages()
}
