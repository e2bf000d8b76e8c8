//! The OpenAPI document as clients get it (style.md §10): poem-openapi's output made exact for
//! OpenAPI 3.0 tools and third-party generators.
//!
//! - `openapi: 3.0.3`, and nothing 3.1-only (`info.summary` is folded into the description);
//! - dates are `format: date` (poem-openapi says `naive-date`, which no generator knows);
//! - one rule for absent values across the API: a property that is not `required` (and has no
//!   `default`, which fills it in) may be sent as `null`, so it is `nullable: true` (a `$ref` is wrapped in `allOf` for that, as
//!   3.0 ignores siblings of `$ref`);
//! - a property typed by a named `enum` that carries its own description or may be `null` has
//!   the enum written in place (`type: string`, `enum: [...]`, with `null` among the values when
//!   nullable), as generators do not resolve an enum `$ref` inside `allOf`;
//! - YAML that every parser reads the same: keys and values YAML 1.1 reads as booleans or
//!   null (`on`, `yes`, `n`, …) are quoted. `openapi.json` is published beside it.

use serde_yaml::{Mapping, Value};

/// Make poem-openapi's document exact (see the module docs). Works on YAML values, whose
/// mappings keep poem-openapi's order (the committed document reads in declaration order).
pub fn exact(mut doc: Value) -> Value {
    if let Some(root) = doc.as_mapping_mut() {
        root.insert("openapi".into(), Value::String("3.0.3".into()));
        if let Some(info) = root.get_mut("info").and_then(Value::as_mapping_mut)
            && let Some(Value::String(summary)) = info.remove("summary")
        {
            let description = match info.get("description").and_then(Value::as_str) {
                Some(d) => format!("{summary}.\n\n{d}"),
                None => summary,
            };
            info.insert("description".into(), Value::String(description));
        }
    }
    let enums: std::collections::HashMap<String, Value> = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_mapping)
        .map(|schemas| {
            schemas
                .iter()
                .filter(|(_, s)| s.get("enum").is_some())
                .filter_map(|(k, s)| Some((k.as_str()?.to_owned(), s.clone())))
                .collect()
        })
        .unwrap_or_default();
    walk(&mut doc, &enums);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_mapping_mut) {
        for (_, item) in paths.iter_mut() {
            let Some(item) = item.as_mapping_mut() else {
                continue;
            };
            for (_, op) in item.iter_mut() {
                if let Some(op) = op.as_mapping_mut() {
                    document_refusals(op);
                }
            }
        }
    }
    doc
}

/// The answers every operation can give before its handler runs, which poem-openapi leaves
/// out: 401 where a token is needed, 400 for a parameter or body that cannot be read, 413 for
/// a body over the limit, 415 for a body of another media type, 422 for a body that breaks the
/// document ([`crate::contract`]).
fn document_refusals(op: &mut Mapping) {
    let secured = op
        .get("security")
        .and_then(Value::as_sequence)
        .is_some_and(|s| !s.is_empty());
    let has_params = op
        .get("parameters")
        .and_then(Value::as_sequence)
        .is_some_and(|s| !s.is_empty());
    let body = op.get("requestBody").cloned();
    let json_body = body
        .as_ref()
        .and_then(|b| b.get("content"))
        .and_then(Value::as_mapping)
        .is_some_and(|c| {
            c.keys()
                .filter_map(Value::as_str)
                .any(|k| k.starts_with("application/json"))
        });
    let Some(responses) = op.get_mut("responses").and_then(Value::as_mapping_mut) else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        if responses.contains_key(status) {
            return;
        }
        let mut schema = Mapping::new();
        schema.insert("$ref".into(), "#/components/schemas/Problem".into());
        let mut media = Mapping::new();
        media.insert("schema".into(), Value::Mapping(schema));
        let mut content = Mapping::new();
        content.insert("application/problem+json".into(), Value::Mapping(media));
        let mut response = Mapping::new();
        response.insert("description".into(), description.into());
        response.insert("content".into(), Value::Mapping(content));
        responses.insert(status.into(), Value::Mapping(response));
    };
    if secured {
        add("401", "Missing, invalid, expired or revoked credentials.");
    }
    if has_params || body.is_some() {
        add(
            "400",
            "A parameter or the body could not be read; `errors` names each one.",
        );
    }
    if body.is_some() {
        add("413", "The body is larger than this operation takes.");
        add(
            "415",
            "The body is not of the media type this operation takes.",
        );
    }
    if json_body {
        add(
            "422",
            "The body breaks the document; `errors` names each field by its JSON path.",
        );
    }
    // Keep the statuses in order, as poem-openapi writes them.
    let mut sorted: Vec<(Value, Value)> = std::mem::take(responses).into_iter().collect();
    sorted.sort_by_key(|(k, _)| k.as_str().unwrap_or_default().to_owned());
    responses.extend(sorted);
}

/// A server-sent event stream's schema describes one event (what clients and schemathesis
/// check each event against): its `data` is the JSON of the item poem-openapi names.
fn event_stream(map: &mut Mapping) {
    let Some(Value::Mapping(media)) = map.get_mut("text/event-stream") else {
        return;
    };
    let item = media
        .get("schema")
        .and_then(|s| s.get("items"))
        .and_then(|i| i.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or("the item")
        .to_owned();
    let mut data = Mapping::new();
    data.insert("type".into(), "string".into());
    data.insert("description".into(), format!("A `{item}` as JSON.").into());
    let mut props = Mapping::new();
    props.insert("data".into(), Value::Mapping(data));
    let mut schema = Mapping::new();
    schema.insert("type".into(), "object".into());
    schema.insert("description".into(), "One server-sent event.".into());
    schema.insert("properties".into(), Value::Mapping(props));
    media.insert("schema".into(), Value::Mapping(schema));
}

fn walk(v: &mut Value, enums: &std::collections::HashMap<String, Value>) {
    match v {
        Value::Mapping(map) => {
            event_stream(map);
            if let Some(Value::String(f)) = map.get_mut("format") {
                match f.as_str() {
                    "naive-date" => *f = "date".into(),
                    "naive-date-time" => *f = "date-time".into(),
                    _ => {}
                }
            }
            inline_enums(map, enums);
            nullable_optionals(map);
            for (_, child) in map.iter_mut() {
                walk(child, enums);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|i| walk(i, enums)),
        _ => {}
    }
}

/// In an object schema, a property that refers to a named enum through `allOf` (poem-openapi's
/// way of giving a `$ref` a description) or may be null gets the enum written in place.
fn inline_enums(schema: &mut Mapping, enums: &std::collections::HashMap<String, Value>) {
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return;
    }
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_sequence)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Mapping(props)) = schema.get_mut("properties") else {
        return;
    };
    let target = |v: &Value| {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|name| enums.get(name))
            .cloned()
    };
    for (name, prop) in props.iter_mut() {
        let Value::Mapping(p) = prop else { continue };
        let optional = !name
            .as_str()
            .is_some_and(|n| required.iter().any(|r| r == n));
        let via_all_of = p
            .get("allOf")
            .and_then(Value::as_sequence)
            .and_then(|all| all.iter().find_map(target));
        let direct = if optional && !p.contains_key("default") {
            target(&Value::Mapping(p.clone()))
        } else {
            None
        };
        let Some(Value::Mapping(found)) = via_all_of.or(direct) else {
            continue;
        };
        let mut inline = Mapping::new();
        for key in ["type", "enum"] {
            if let Some(v) = found.get(key) {
                inline.insert(key.into(), v.clone());
            }
        }
        let description = p
            .get("description")
            .or_else(|| found.get("description"))
            .cloned();
        for (k, v) in std::mem::take(p) {
            if !matches!(k.as_str(), Some("allOf" | "$ref" | "description")) {
                inline.insert(k, v);
            }
        }
        if let Some(d) = description {
            inline.insert("description".into(), d);
        }
        *p = inline;
    }
}

/// In an object schema, every property outside `required` becomes nullable (an `enum` then
/// lists `null` among its values, as OpenAPI 3.0.3 asks).
fn nullable_optionals(schema: &mut Mapping) {
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return;
    }
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_sequence)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Mapping(props)) = schema.get_mut("properties") else {
        return;
    };
    for (name, prop) in props.iter_mut() {
        if name
            .as_str()
            .is_some_and(|n| required.iter().any(|r| r == n))
        {
            continue;
        }
        let Value::Mapping(p) = prop else { continue };
        // A property with a default is filled in when absent and never sent as null.
        if p.contains_key("default") {
            continue;
        }
        if let Some(target) = p.remove("$ref") {
            let mut reference = Mapping::new();
            reference.insert("$ref".into(), target);
            let mut wrapped = Mapping::new();
            wrapped.insert(
                "allOf".into(),
                Value::Sequence(vec![Value::Mapping(reference)]),
            );
            wrapped.insert("nullable".into(), Value::Bool(true));
            for (k, v) in std::mem::take(p) {
                wrapped.insert(k, v);
            }
            *p = wrapped;
        } else {
            p.insert("nullable".into(), Value::Bool(true));
            if let Some(Value::Sequence(values)) = p.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        }
    }
}

/// Words YAML 1.1 parsers read as booleans when unquoted, where YAML 1.2 reads strings
/// (`true`, `false` and `null` mean the same in both).
const YAML11_SPECIAL: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Whether YAML 1.1 reads this plain scalar as something other than the string YAML 1.2 reads:
/// a boolean word, a timestamp (`2026-10-20`) or a base-60 number (`12:30`).
fn misread_by_yaml11(s: &str) -> bool {
    if YAML11_SPECIAL.contains(&s) {
        return true;
    }
    let b = s.as_bytes();
    let timestamp = b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    let digits_and_colons = !s.is_empty()
        && s.contains(':')
        && s.split(':')
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    timestamp || digits_and_colons
}

/// The document as YAML that YAML 1.1 and 1.2 parsers read alike.
pub fn to_yaml(doc: &Value) -> String {
    let yaml = serde_yaml::to_string(doc).unwrap_or_default();
    let mut out = String::with_capacity(yaml.len() + 256);
    // Inside a block scalar (`key: |-` and the lines indented under it) text is text.
    let mut block: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(b) = block {
            if line.trim().is_empty() || indent > b {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            block = None;
        }
        let t = line.trim_end();
        if [" |", " |-", " |+", " >", " >-", " >+"]
            .iter()
            .any(|m| t.ends_with(m))
        {
            block = Some(indent);
        }
        out.push_str(&quote_line(line));
        out.push('\n');
    }
    out
}

/// Quote a plain scalar that YAML 1.1 would misread, as a mapping key (`on:`), a value
/// (`key: on`) or a sequence item (`- on`).
fn quote_line(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let (lead, rest) = line.split_at(indent);
    let (dash, rest) = match rest.strip_prefix("- ") {
        Some(r) => ("- ", r),
        None => ("", rest),
    };
    let quoted = |w: &str| format!("'{w}'");
    // `key: value`, `key:` (nested block follows), or a plain scalar item.
    let (key, value) = match rest.split_once(": ") {
        Some((k, v)) => (k, Some(v)),
        None => match rest.strip_suffix(':') {
            Some(k) => (k, None),
            None if !dash.is_empty() => {
                return if misread_by_yaml11(rest) {
                    format!("{lead}{dash}{}", quoted(rest))
                } else {
                    line.to_owned()
                };
            }
            None => return line.to_owned(),
        },
    };
    let key = if YAML11_SPECIAL.contains(&key) {
        quoted(key)
    } else {
        key.to_owned()
    };
    match value {
        Some(v) if misread_by_yaml11(v) => format!("{lead}{dash}{key}: {}", quoted(v)),
        Some(v) => format!("{lead}{dash}{key}: {v}"),
        None => format!("{lead}{dash}{key}:"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(v: serde_json::Value) -> Value {
        serde_yaml::to_value(v).unwrap()
    }

    #[test]
    fn optional_properties_are_nullable_and_refs_are_wrapped() {
        let doc = exact(yaml(json!({
            "openapi": "3.0.0",
            "info": {"title": "T", "summary": "S", "description": "D", "version": "1"},
            "components": {"schemas": {"A": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer"},
                    "on": {"type": "string", "format": "naive-date"},
                    "plan": {"$ref": "#/components/schemas/P"}
                }
            }}}
        })));
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc["info"].get("summary").is_none());
        assert_eq!(doc["info"]["description"], "S.\n\nD");
        let a = &doc["components"]["schemas"]["A"]["properties"];
        assert!(a["id"].get("nullable").is_none());
        assert_eq!(a["on"]["format"], "date");
        assert_eq!(a["on"]["nullable"], true);
        assert_eq!(a["plan"]["allOf"][0]["$ref"], "#/components/schemas/P");
        assert_eq!(a["plan"]["nullable"], true);
    }

    #[test]
    fn yaml_quotes_what_yaml_1_1_reads_as_booleans() {
        let yaml = to_yaml(&yaml(
            json!({"on": {"type": "string"}, "e": ["on", "x"], "k": "no", "d": "2026-10-20", "t": "12:30"}),
        ));
        assert!(yaml.contains("d: '2026-10-20'\n"), "{yaml}");
        assert!(yaml.contains("t: '12:30'\n"), "{yaml}");
        assert!(yaml.contains("'on':\n"), "{yaml}");
        assert!(yaml.contains("- 'on'\n"), "{yaml}");
        assert!(yaml.contains("k: 'no'\n"), "{yaml}");
        let back: Value = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(back["on"]["type"], "string");
        assert_eq!(back["k"], "no");
    }
}
