//! Requests are checked against the published OpenAPI document before any handler sees them,
//! so a bad value is refused naming the field at fault (`income.earnings`,
//! `payments[2].date`, the query parameter `as_of`) instead of poem-openapi's "body" or
//! `param0`, and the document is exactly what the server accepts: strict ISO 8601 dates
//! (`2026-12-7` and `2026-02-30` are not dates), integers within their format's range, enums,
//! lengths, patterns, required fields.
//!
//! What the document cannot say (business rules) is still checked by the handlers.

use crate::problem::{FieldError, Problem};
use poem::http::{Method, StatusCode};
use serde_json::Value;
use std::collections::HashMap;

/// The operations of the document, ready to check requests against.
pub struct Contract {
    ops: Vec<Operation>,
    schemas: Value,
    patterns: HashMap<String, regex::Regex>,
}

struct Operation {
    method: Method,
    segments: Vec<Segment>,
    params: Vec<Param>,
    /// The JSON body's schema, when the operation takes one.
    body: Option<Value>,
    body_required: bool,
    /// `GET /officer/v1/me`, for messages.
    label: String,
    /// The statuses the document declares for it.
    statuses: Vec<u16>,
}

enum Segment {
    Literal(String),
    Param(String),
}

struct Param {
    name: String,
    location: Location,
    required: bool,
    schema: Value,
}

#[derive(PartialEq, Eq)]
enum Location {
    Path,
    Query,
}

/// Why a request does not match the document.
#[derive(Debug)]
pub enum Refusal {
    /// Parameters at fault (400, as poem-openapi answers for a parameter it cannot parse).
    Parameters(Vec<FieldError>),
    /// The body is not JSON at all.
    NotJson(String),
    /// Body fields at fault (422).
    Fields(Vec<FieldError>),
}

impl Refusal {
    pub fn into_problem(self) -> Problem {
        match self {
            Refusal::Parameters(errors) => {
                let mut p = Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-parameter",
                    "A parameter is invalid",
                );
                p.errors = errors;
                p
            }
            Refusal::NotJson(reason) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-body",
                "The request body could not be read",
            )
            .field("body", reason),
            Refusal::Fields(errors) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    "The request has invalid fields",
                );
                p.errors = errors;
                p
            }
        }
    }
}

impl Contract {
    /// Read the operations of an (exact) OpenAPI document.
    pub fn new(doc: &Value) -> Contract {
        let mut ops = Vec::new();
        let mut patterns = HashMap::new();
        collect_patterns(doc, &mut patterns);
        if let Some(paths) = doc["paths"].as_object() {
            for (template, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, op) in item {
                    let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                    else {
                        continue;
                    };
                    ops.push(operation(method, template, op));
                }
            }
        }
        Contract {
            ops,
            schemas: doc["components"]["schemas"].clone(),
            patterns,
        }
    }

    /// Check one request. `body` is `None` when the request has no JSON body to check.
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<(), Refusal> {
        let Some((op, path_values)) = self.find(method, path) else {
            return Ok(());
        };
        let mut errors = Vec::new();
        let query: Vec<(String, String)> = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        for p in &op.params {
            let value = match p.location {
                Location::Path => path_values.get(p.name.as_str()).cloned(),
                Location::Query => query
                    .iter()
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| v.clone()),
            };
            match value {
                None if p.required => errors.push(field(&p.name, "is required")),
                None => {}
                Some(v) => {
                    if let Err(reason) = self.parameter(&p.schema, &v) {
                        errors.push(field(&p.name, reason));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(Refusal::Parameters(errors));
        }
        let (Some(schema), Some(bytes)) = (&op.body, body) else {
            return Ok(());
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            if op.body_required {
                return Err(Refusal::NotJson("a JSON body is required".into()));
            }
            return Ok(());
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Refusal::NotJson(format!("not valid JSON: {e}")))?;
        self.value(schema, &value, "", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Fields(errors))
        }
    }

    /// The operation a request to `method path` is, when its answer's `status` is one the
    /// document does not declare for it: `GET /officer/v1/me`. A server error (5xx) is never
    /// declared and is reported as what it is, so it is not counted here; neither is a request
    /// that matches no operation (an unknown path, a method the path does not take).
    pub fn undeclared<'a>(
        &'a self,
        method: &Method,
        path: &'a str,
        status: StatusCode,
    ) -> Option<&'a str> {
        // Not this operation's answer: a 5xx, or a method the path does not take (`GET
        // /campaigns/preview` is not `GET /campaigns/{id}`; it gets 405).
        if status.is_server_error()
            || !self
                .allowed_methods(path)
                .is_some_and(|allowed| allowed.contains(method))
        {
            return None;
        }
        let (op, _) = self.find(method, path)?;
        (!op.statuses.contains(&status.as_u16())).then_some(op.label.as_str())
    }

    /// The methods the document declares at `path` (for a 405's `Allow`), or `None` when no
    /// operation of the document has this path.
    pub fn allowed_methods(&self, path: &str) -> Option<Vec<Method>> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        // The operations whose template fits, scored by literal segments: `/campaigns/preview`
        // is its own path, not `/campaigns/{id}`.
        let fitting: Vec<(usize, &Operation)> = self
            .ops
            .iter()
            .filter(|op| {
                op.segments.len() == parts.len()
                    && op.segments.iter().zip(&parts).all(|(s, p)| match s {
                        Segment::Literal(l) => l == p,
                        Segment::Param(_) => true,
                    })
            })
            .map(|op| {
                let literals = op
                    .segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count();
                (literals, op)
            })
            .collect();
        let best = fitting.iter().map(|(n, _)| *n).max()?;
        let mut methods: Vec<Method> = fitting
            .iter()
            .filter(|(n, _)| *n == best)
            .map(|(_, op)| op.method.clone())
            .collect();
        if methods.is_empty() {
            return None;
        }
        if methods.contains(&Method::GET) {
            methods.push(Method::HEAD);
        }
        methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        methods.dedup();
        Some(methods)
    }

    /// `uri` with the named parameters' values replaced by one their type cannot parse, so
    /// the operation's own extractors refuse the request (after authentication).
    pub fn unreadable_parameters(
        &self,
        method: &Method,
        uri: &poem::http::Uri,
        names: &[&str],
    ) -> poem::http::Uri {
        // Unreadable for a typed parameter; a string one is dropped from the query (a
        // required one is then missing) or, in the path, replaced by a harmless `-`.
        const UNREADABLE: &str = "x";
        let path = uri.path();
        let mut new_path = path.to_owned();
        if let Some((op, _)) = self.find(method, path) {
            let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
            let rebuilt: Vec<String> = op
                .segments
                .iter()
                .zip(&parts)
                .map(|(s, p)| match s {
                    Segment::Param(n) if names.contains(&n.as_str()) => {
                        let string = op
                            .params
                            .iter()
                            .find(|p| p.name == *n)
                            .is_some_and(|p| self.resolve(&p.schema)["type"] == "string");
                        if string { "-" } else { UNREADABLE }.to_owned()
                    }
                    _ => (*p).to_owned(),
                })
                .collect();
            new_path = format!("/{}", rebuilt.join("/"));
        }
        let string_param = |name: &str| {
            self.find(method, path).is_some_and(|(op, _)| {
                op.params
                    .iter()
                    .find(|p| p.name == name)
                    .is_some_and(|p| self.resolve(&p.schema)["type"] == "string")
            })
        };
        let query = uri.query().map(|q| {
            q.split('&')
                .filter_map(|pair| {
                    let key = pair.split('=').next().unwrap_or("");
                    let decoded = percent_decode(key);
                    if !names.contains(&decoded.as_str()) {
                        Some(pair.to_owned())
                    } else if string_param(&decoded) {
                        None
                    } else {
                        Some(format!("{key}={UNREADABLE}"))
                    }
                })
                .collect::<Vec<_>>()
                .join("&")
        });
        let pq = match query {
            Some(q) => format!("{new_path}?{q}"),
            None => new_path,
        };
        pq.parse().unwrap_or_else(|_| uri.clone())
    }

    /// Every `example` of a component schema checked against its schema: what it gets wrong,
    /// as `Schema: field: reason`.
    pub fn example_faults(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(schemas) = self.schemas.as_object() {
            for (name, schema) in schemas {
                if let Some(example) = schema.get("example") {
                    let mut errors = Vec::new();
                    self.value(schema, example, "", &mut errors);
                    out.extend(
                        errors
                            .into_iter()
                            .map(|e| format!("{name}: {}: {}", e.field, e.reason)),
                    );
                }
            }
        }
        out
    }

    fn find<'a>(
        &'a self,
        method: &Method,
        path: &'a str,
    ) -> Option<(&'a Operation, HashMap<&'a str, String>)> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        // A literal segment beats a parameter (`/plans/quote` before `/plans/{id}`).
        let mut best: Option<(usize, &Operation, HashMap<&str, String>)> = None;
        for op in self.ops.iter().filter(|o| o.method == *method) {
            if op.segments.len() != parts.len() {
                continue;
            }
            let mut values = HashMap::new();
            let mut literals = 0;
            let fits = op.segments.iter().zip(&parts).all(|(s, p)| match s {
                Segment::Literal(l) => {
                    literals += 1;
                    l == p
                }
                Segment::Param(name) => {
                    let decoded = percent_decode(p);
                    values.insert(name.as_str(), decoded);
                    true
                }
            });
            if fits && best.as_ref().is_none_or(|(n, _, _)| literals > *n) {
                best = Some((literals, op, values));
            }
        }
        best.map(|(_, op, v)| (op, v))
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut s = schema;
        for _ in 0..16 {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix("#/components/schemas/") {
                    Some(name) => s = &self.schemas[name],
                    None => return s,
                },
                None => return s,
            }
        }
        s
    }

    /// A parameter's text against its schema.
    fn parameter(&self, schema: &Value, text: &str) -> Result<(), String> {
        let schema = self.resolve(schema);
        let value = match schema["type"].as_str() {
            Some("integer") => match text.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => match text.parse::<u64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => return Err(format!("expected an integer, got {text:?}")),
                },
            },
            Some("number") => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Value::from(n),
                _ => return Err(format!("expected a number, got {text:?}")),
            },
            Some("boolean") => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("expected true or false, got {text:?}")),
            },
            _ => Value::String(text.to_owned()),
        };
        let mut errors = Vec::new();
        self.value(schema, &value, "", &mut errors);
        match errors.into_iter().next() {
            Some(e) => Err(e.reason),
            None => Ok(()),
        }
    }

    /// `value` at JSON path `at` against `schema`; every fault goes into `errors`.
    fn value(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<FieldError>) {
        let schema = self.resolve(schema);
        let name = if at.is_empty() { "body" } else { at };
        if value.is_null() {
            if schema["nullable"] != Value::Bool(true) && !schema_is_any(schema) {
                errors.push(field(name, "must not be null"));
            }
            return;
        }
        if let Some(all) = schema["allOf"].as_array() {
            for s in all {
                self.value(s, value, at, errors);
            }
        }
        if let Some(choices) = schema["enum"].as_array()
            && !choices.contains(value)
        {
            let names: Vec<String> = choices
                .iter()
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned))
                .collect();
            errors.push(field(name, format!("must be one of: {}", names.join(", "))));
            return;
        }
        match schema["type"].as_str() {
            Some("object") => self.object(schema, value, at, errors),
            Some("array") => {
                let Some(items) = value.as_array() else {
                    return errors.push(field(name, "expected an array"));
                };
                if let Some(max) = schema["maxItems"].as_u64()
                    && items.len() as u64 > max
                {
                    errors.push(field(name, format!("at most {max} items")));
                }
                if let Some(min) = schema["minItems"].as_u64()
                    && (items.len() as u64) < min
                {
                    errors.push(field(name, format!("at least {min} items")));
                }
                if let Some(item) = schema.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        self.value(item, v, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            Some("string") => {
                let Some(s) = value.as_str() else {
                    return errors.push(field(name, "expected a string"));
                };
                if let Err(reason) = self.string(schema, s) {
                    errors.push(field(name, reason));
                }
            }
            Some("integer") => {
                if let Err(reason) = integer(schema, value) {
                    errors.push(field(name, reason));
                }
            }
            Some("number") => match value.as_f64() {
                Some(n) => {
                    if let Some(min) = schema["minimum"].as_f64()
                        && n < min
                    {
                        errors.push(field(name, format!("must be at least {min}")));
                    }
                    if let Some(max) = schema["maximum"].as_f64()
                        && n > max
                    {
                        errors.push(field(name, format!("must be at most {max}")));
                    }
                }
                None => errors.push(field(name, "expected a number")),
            },
            Some("boolean") if !value.is_boolean() => {
                errors.push(field(name, "expected true or false"));
            }
            _ => {}
        }
    }

    fn object(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<FieldError>) {
        let name = if at.is_empty() { "body" } else { at };
        let Some(obj) = value.as_object() else {
            return errors.push(field(name, "expected an object"));
        };
        let join = |k: &str| {
            if at.is_empty() {
                k.to_owned()
            } else {
                format!("{at}.{k}")
            }
        };
        if let Some(required) = schema["required"].as_array() {
            for r in required.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    errors.push(field(&join(r), "is required"));
                }
            }
        }
        let props = schema["properties"].as_object();
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => self.value(s, v, &join(k), errors),
                None => {
                    if let Some(extra) = schema.get("additionalProperties")
                        && extra.is_object()
                    {
                        self.value(extra, v, &join(k), errors);
                    }
                }
            }
        }
    }

    fn string(&self, schema: &Value, s: &str) -> Result<(), String> {
        // PostgreSQL cannot store a NUL character in text; nothing a person types has one.
        if s.contains('\0') {
            return Err("must not contain a NUL character".into());
        }
        let chars = s.chars().count() as u64;
        if let Some(max) = schema["maxLength"].as_u64()
            && chars > max
        {
            return Err(format!("at most {max} characters"));
        }
        if let Some(min) = schema["minLength"].as_u64()
            && chars < min
        {
            return Err(format!("at least {min} characters"));
        }
        if let Some(p) = schema["pattern"].as_str()
            && let Some(re) = self.patterns.get(p)
            && !re.is_match(s)
        {
            return Err(format!("must match {p}"));
        }
        match schema["format"].as_str() {
            Some("date") => strict_date(s).map(|_| ()),
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(s)
                .map(|_| ())
                .map_err(|_| format!("expected an RFC 3339 date-time, got {s:?}")),
            _ => Ok(()),
        }
    }
}

pub use rentdesk_domain::time::parse_iso_date as strict_date;

fn integer(schema: &Value, value: &Value) -> Result<(), String> {
    let (lo, hi): (i128, i128) = match schema["format"].as_str() {
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint8") => (0, u8::MAX.into()),
        Some("uint16") => (0, u16::MAX.into()),
        Some("uint32") => (0, u32::MAX.into()),
        Some("uint64") => (0, u64::MAX.into()),
        _ => (i64::MIN.into(), i64::MAX.into()),
    };
    let n: i128 = match (value.as_i64(), value.as_u64()) {
        (Some(n), _) => n.into(),
        (None, Some(n)) => n.into(),
        _ if value.is_number() => {
            return Err(format!(
                "expected a whole number between {lo} and {hi}, got {value}"
            ));
        }
        _ => return Err("expected an integer".into()),
    };
    if n < lo || n > hi {
        return Err(format!("must be between {lo} and {hi}"));
    }
    if let Some(min) = schema["minimum"].as_f64()
        && (n as f64) < min
    {
        return Err(format!("must be at least {min}"));
    }
    if let Some(max) = schema["maximum"].as_f64()
        && (n as f64) > max
    {
        return Err(format!("must be at most {max}"));
    }
    Ok(())
}

fn schema_is_any(schema: &Value) -> bool {
    schema.get("type").is_none() && schema.get("allOf").is_none() && schema.get("$ref").is_none()
}

fn field(name: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: name.to_owned(),
        reason: reason.into(),
    }
}

fn operation(method: Method, template: &str, op: &Value) -> Operation {
    let segments = template
        .trim_end_matches('/')
        .split('/')
        .skip(1)
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect();
    let params = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    let location = match p["in"].as_str()? {
                        "path" => Location::Path,
                        "query" => Location::Query,
                        _ => return None,
                    };
                    Some(Param {
                        name: p["name"].as_str()?.to_owned(),
                        required: p["required"] == Value::Bool(true) || location == Location::Path,
                        location,
                        schema: p["schema"].clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let content = &op["requestBody"]["content"];
    let body = content.as_object().and_then(|c| {
        c.iter()
            .find(|(k, _)| k.starts_with("application/json"))
            .map(|(_, v)| v["schema"].clone())
    });
    let statuses = op["responses"]
        .as_object()
        .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default();
    Operation {
        label: format!("{method} {template}"),
        method,
        segments,
        params,
        body,
        body_required: op["requestBody"]["required"] == Value::Bool(true),
        statuses,
    }
}

fn collect_patterns(v: &Value, out: &mut HashMap<String, regex::Regex>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(p)) = map.get("pattern")
                && let Ok(re) = regex::Regex::new(p)
            {
                out.insert(p.clone(), re);
            }
            map.values().for_each(|c| collect_patterns(c, out));
        }
        Value::Array(items) => items.iter().for_each(|c| collect_patterns(c, out)),
        _ => {}
    }
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract() -> Contract {
        Contract::new(&json!({
            "paths": {
                "/plans/quote": {"post": {
                    "requestBody": {"required": true, "content": {"application/json; charset=utf-8": {
                        "schema": {"$ref": "#/components/schemas/Quote"}}}}
                }},
                "/plans/{id}": {"get": {"parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}},
                    {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}}
                ]}}
            },
            "components": {"schemas": {
                "Quote": {"type": "object", "required": ["income", "frequency"], "properties": {
                    "income": {"$ref": "#/components/schemas/Income"},
                    "frequency": {"type": "string", "enum": ["weekly", "monthly"]},
                    "first_due": {"type": "string", "format": "date", "nullable": true},
                    "payments": {"type": "array", "items": {"type": "integer", "format": "uint32"}}
                }},
                "Income": {"type": "object", "required": ["earnings"], "properties": {
                    "earnings": {"type": "integer", "format": "int64", "maximum": 1000000000}
                }}
            }}
        }))
    }

    fn fields(r: Result<(), Refusal>) -> Vec<String> {
        match r {
            Err(Refusal::Fields(e)) | Err(Refusal::Parameters(e)) => {
                e.into_iter().map(|e| e.field).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn body_faults_name_their_json_path() {
        let c = contract();
        let post = |b: Value| {
            c.check(
                &Method::POST,
                "/plans/quote",
                None,
                Some(b.to_string().as_bytes()),
            )
        };
        assert!(post(json!({"income": {"earnings": 100}, "frequency": "weekly"})).is_ok());
        assert_eq!(
            fields(post(
                json!({"income": {"earnings": 9223372036854775807i64}, "frequency": "weekly"})
            )),
            ["income.earnings"]
        );
        assert_eq!(
            fields(post(
                json!({"income": {"earnings": "x"}, "frequency": "yearly", "first_due": "2026-12-7", "payments": [1, -1]})
            )),
            ["first_due", "frequency", "income.earnings", "payments[1]"]
        );
        assert_eq!(fields(post(json!({}))), ["income", "frequency"]);
        assert!(matches!(
            c.check(&Method::POST, "/plans/quote", None, Some(b"{")),
            Err(Refusal::NotJson(_))
        ));
    }

    #[test]
    fn parameters_are_named_and_dates_are_strict() {
        let c = contract();
        let get = |p: &str, q: Option<&str>| c.check(&Method::GET, p, q, None);
        assert!(get("/plans/12", Some("as_of=2026-12-07")).is_ok());
        assert_eq!(fields(get("/plans/x", None)), ["id"]);
        assert_eq!(fields(get("/plans/99999999999999999999", None)), ["id"]);
        for bad in ["2026-12-7", "2026-02-30", "26-12-07", "2026-12-07T00:00"] {
            assert_eq!(
                fields(get("/plans/1", Some(&format!("as_of={bad}")))),
                ["as_of"],
                "{bad}"
            );
        }
        // A NUL character is refused wherever it comes (PostgreSQL cannot store one).
        assert_eq!(fields(get("/plans/1", Some("as_of=%00"))), ["as_of"]);
        // Not an operation of the document: not ours to judge.
        assert!(get("/elsewhere", None).is_ok());
    }

    #[test]
    fn strict_dates() {
        assert!(strict_date("2028-02-29").is_ok());
        for bad in [
            "2027-02-29",
            "2026-12-7",
            "2026-1-07",
            "+2026-12-07",
            "2026/12/07",
            "",
        ] {
            assert!(strict_date(bad).is_err(), "{bad}");
        }
    }
}
