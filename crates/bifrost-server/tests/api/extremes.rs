//! Every route of the served OpenAPI document, with extreme values in every path parameter,
//! query parameter and body field, chosen by the field's schema type: zero, -1, the ends of
//! i64 and u64 and one past them, huge and tiny floats, empty, very long and unusual text,
//! dates at the ends of what any date type holds, wrong types and nulls. Nothing a client
//! sends may yield a 5xx or a dropped connection (a panicking handler drops it). A seeded
//! repository (an asset with a version, a sequence with a shot, a user) lets requests reach
//! past "not found". Runs on SQLite and PostgreSQL.

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::support::{Server, each_backend};

/// A JSON value as text, so numbers beyond what `serde_json::Value` holds can be sent.
type Raw = String;

/// Requests in flight at once: enough to be quick, few enough that SQLite's writers queue
/// within their busy timeout.
const IN_FLIGHT: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_yields_a_5xx_or_a_dropped_connection() {
    each_backend(|backend| async move {
        let s = Server::start(backend).await;
        seed(&s).await;
        let (status, document) = s.get("/openapi.json", &s.admin).await;
        assert_eq!(status, StatusCode::OK, "{document}");
        let requests = requests_of(&document);
        assert!(
            requests.len() > 1000,
            "the walk covers every route: {} requests",
            requests.len()
        );
        let total = requests.len();
        let failures: Vec<String> = futures::stream::iter(requests)
            .map(|r| {
                let s = &s;
                async move { r.send(s).await.err() }
            })
            .buffered(IN_FLIGHT)
            .filter_map(|f| async move { f })
            .collect()
            .await;
        s.stop().await;
        assert!(
            failures.is_empty(),
            "{backend}: {} of {total} requests failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    })
    .await;
}

/// What the walk needs to find: an asset with a version, a sequence with a shot, a user.
async fn seed(s: &Server) {
    for (path, body) in [
        (
            "/projects/main/assets",
            json!({"name": "hero", "type": "prop"}),
        ),
        ("/projects/main/sequences", json!({"name": "SQ010"})),
        (
            "/projects/main/shots",
            json!({"sequence": "SQ010", "name": "SH010", "frame_start": 1001, "frame_end": 1096}),
        ),
        (
            "/users",
            json!({"name": "ana", "role": "artist", "password": "a long password"}),
        ),
    ] {
        let (status, body) = s.post(path, &s.admin, body).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
    }
    let (_, status, body) = s
        .publish(
            &s.admin,
            "hero",
            "hero.bin",
            &crate::support::noise(5000, 1),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// One request of the walk.
struct Walk {
    method: reqwest::Method,
    /// The route with its parameters filled in (percent-encoded).
    path: String,
    query: Vec<(String, String)>,
    body: Option<(&'static str, Vec<u8>)>,
    /// What was extreme, for the failure message.
    what: String,
}

impl Walk {
    async fn send(self, s: &Server) -> Result<(), String> {
        let mut request = s
            .http
            .request(self.method.clone(), s.api(&self.path))
            .bearer_auth(&s.admin)
            .timeout(Duration::from_secs(60))
            .query(&self.query);
        if let Some((content_type, body)) = self.body {
            request = request.header("content-type", content_type).body(body);
        }
        let describe = || format!("{} {} ({})", self.method, self.path, self.what);
        let response = request
            .send()
            .await
            .map_err(|e| format!("{}: no answer: {e}", describe()))?;
        let status = response.status();
        let streaming = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
        if streaming {
            // Server-Sent Events never end: the headers are the answer.
            return check(status, "(an event stream)", describe);
        }
        let text = response
            .text()
            .await
            .map_err(|e| format!("{}: {status}, then the answer broke: {e}", describe()))?;
        check(status, &text, describe)
    }
}

fn check(status: StatusCode, text: &str, describe: impl Fn() -> String) -> Result<(), String> {
    if status.is_server_error() {
        let text: String = text.chars().take(300).collect();
        return Err(format!("{}: {status} {text}", describe()));
    }
    Ok(())
}

/// Every request of the walk, from the served document.
fn requests_of(document: &Value) -> Vec<Walk> {
    let mut walks = Vec::new();
    let mut deletions = Vec::new();
    for (route, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let method = match method.as_str() {
                "get" => reqwest::Method::GET,
                "post" => reqwest::Method::POST,
                "put" => reqwest::Method::PUT,
                "patch" => reqwest::Method::PATCH,
                "delete" => reqwest::Method::DELETE,
                _ => continue,
            };
            let into = if method == reqwest::Method::DELETE {
                &mut deletions
            } else {
                &mut walks
            };
            into.extend(requests_of_operation(document, route, &method, operation));
        }
    }
    // Deletions last, so that what the others need is still there.
    walks.extend(deletions);
    walks
}

/// A parameter or body field: its name and schema.
struct Field<'a> {
    name: &'a str,
    schema: &'a Value,
    required: bool,
}

fn requests_of_operation<'a>(
    document: &'a Value,
    route: &str,
    method: &reqwest::Method,
    operation: &'a Value,
) -> Vec<Walk> {
    let parameters: Vec<&'a Value> = operation["parameters"]
        .as_array()
        .map(|p| p.iter().map(|p| resolve(document, p)).collect())
        .unwrap_or_default();
    let field_of = |p: &&'a Value| Field {
        name: p["name"].as_str().expect("a parameter name"),
        schema: &p["schema"],
        required: p["required"].as_bool().unwrap_or(false),
    };
    let path_params: Vec<Field> = parameters
        .iter()
        .filter(|p| p["in"] == "path")
        .map(field_of)
        .collect();
    let query_params: Vec<Field> = parameters
        .iter()
        .filter(|p| p["in"] == "query")
        .map(field_of)
        .collect();
    let content = &operation["requestBody"]["content"];
    let json_body = content
        .get("application/json")
        .map(|c| resolve(document, &c["schema"]));
    let bytes_body = content.get("application/octet-stream").is_some();
    let body_fields: Vec<Field> = json_body
        .map(|schema| fields_of(document, schema))
        .unwrap_or_default();

    // The plausible request every variation starts from.
    let base_path: Vec<(&str, String)> = path_params
        .iter()
        .map(|f| (f.name, plausible_text(f.name)))
        .collect();
    let base_query: Vec<(String, String)> = query_params
        .iter()
        .filter(|f| f.required)
        .map(|f| {
            let value = plausible(document, f.name, f.schema);
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (f.name.to_owned(), text)
        })
        .collect();
    let base_body: Map<String, Value> = body_fields
        .iter()
        .filter(|f| f.required)
        .map(|f| (f.name.to_owned(), plausible(document, f.name, f.schema)))
        .collect();

    let build = |path: &[(&str, String)],
                 query: Vec<(String, String)>,
                 body: Option<(&'static str, Vec<u8>)>,
                 what: String| {
        let mut filled = route.to_owned();
        for (name, value) in path {
            filled = filled.replace(&format!("{{{name}}}"), &percent_encode(value));
        }
        Walk {
            method: method.clone(),
            path: filled,
            query,
            body,
            what,
        }
    };
    let json_of = |object: &Map<String, Value>, raw: Option<(&str, &Raw)>| -> Vec<u8> {
        let mut parts: Vec<String> = object
            .iter()
            .filter(|(k, _)| raw.is_none_or(|(name, _)| name != k.as_str()))
            .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
            .collect();
        if let Some((name, raw)) = raw {
            parts.push(format!("{}:{raw}", Value::String(name.to_owned())));
        }
        format!("{{{}}}", parts.join(",")).into_bytes()
    };
    let base_body_bytes = || -> Option<(&'static str, Vec<u8>)> {
        if json_body.is_some() {
            Some(("application/json", json_of(&base_body, None)))
        } else if bytes_body {
            Some(("application/octet-stream", Vec::new()))
        } else {
            None
        }
    };

    let mut walks = vec![build(
        &base_path,
        base_query.clone(),
        base_body_bytes(),
        "plausible values".into(),
    )];
    for (i, field) in path_params.iter().enumerate() {
        for value in extreme_texts(document, field.schema) {
            let mut path = base_path.clone();
            path[i].1 = value.clone();
            let what = format!("path {} = {}", field.name, shorten(&value));
            walks.push(build(&path, base_query.clone(), base_body_bytes(), what));
        }
    }
    for field in &query_params {
        for value in extreme_texts(document, field.schema) {
            let mut query: Vec<(String, String)> = base_query
                .iter()
                .filter(|(name, _)| name != field.name)
                .cloned()
                .collect();
            query.push((field.name.to_owned(), value.clone()));
            let what = format!("query {} = {}", field.name, shorten(&value));
            walks.push(build(&base_path, query, base_body_bytes(), what));
        }
    }
    for field in &body_fields {
        for raw in extreme_json(document, field.schema, 0) {
            let body = json_of(&base_body, Some((field.name, &raw)));
            let what = format!("body {} = {}", field.name, shorten(&raw));
            walks.push(build(
                &base_path,
                base_query.clone(),
                Some(("application/json", body)),
                what,
            ));
        }
    }
    if json_body.is_some() {
        let deep = "[".repeat(10_000);
        for raw in ["", "null", "[]", "\"x\"", "{", deep.as_str()] {
            walks.push(build(
                &base_path,
                base_query.clone(),
                Some(("application/json", raw.as_bytes().to_vec())),
                format!("the whole body = {}", shorten(raw)),
            ));
        }
    }
    if bytes_body {
        for body in [
            vec![0u8; 1],
            vec![0xff; 40],
            crate::support::noise(70_000, 7),
        ] {
            let what = format!("{} bytes of octet-stream", body.len());
            walks.push(build(
                &base_path,
                base_query.clone(),
                Some(("application/octet-stream", body)),
                what,
            ));
        }
    }
    walks
}

/// `$ref`s followed to what they name.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                document,
                document.pointer(pointer).expect("a $ref resolves"),
            )
        }
        None => schema,
    }
}

/// An object schema's properties (through `allOf`).
fn fields_of<'a>(document: &'a Value, schema: &'a Value) -> Vec<Field<'a>> {
    let schema = resolve(document, schema);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<Field> = schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(name, s)| Field {
                    name,
                    schema: s,
                    required: required.contains(&name.as_str()),
                })
                .collect()
        })
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        fields.extend(fields_of(document, part));
    }
    fields
}

/// The JSON types a schema allows (through `oneOf`, `anyOf`, `allOf` and type lists).
fn types_of(document: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(document, schema);
    let mut types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    for key in ["oneOf", "anyOf", "allOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            types.extend(types_of(document, part));
        }
    }
    if types.is_empty() && schema.get("properties").is_some() {
        types.push("object".into());
    }
    types.sort();
    types.dedup();
    types
}

fn format_of<'a>(document: &'a Value, schema: &'a Value) -> Option<&'a str> {
    let schema = resolve(document, schema);
    schema["format"].as_str().or_else(|| {
        ["oneOf", "anyOf", "allOf"].iter().find_map(|key| {
            schema[*key]
                .as_array()?
                .iter()
                .find_map(|part| format_of(document, part))
        })
    })
}

fn enum_of<'a>(document: &'a Value, schema: &'a Value) -> Option<&'a Vec<Value>> {
    let schema = resolve(document, schema);
    schema["enum"].as_array().or_else(|| {
        ["oneOf", "anyOf", "allOf"].iter().find_map(|key| {
            schema[*key]
                .as_array()?
                .iter()
                .find_map(|part| enum_of(document, part))
        })
    })
}

/// Names of what the seeded repository holds, by the parameter that names it.
fn plausible_text(name: &str) -> String {
    match name {
        "project" => "main",
        "asset" | "name" => "hero",
        "sequence" => "SQ010",
        "shot" => "SH010",
        "version" | "id" | "number" => "1",
        "user" => "ana",
        "role" => "artist",
        "department" => "anim",
        "status" => "wip",
        _ => "hero",
    }
    .to_owned()
}

/// A value of the schema's type that a request could well carry.
fn plausible(document: &Value, name: &str, schema: &Value) -> Value {
    if let Some(first) = enum_of(document, schema).and_then(|e| e.first()) {
        return first.clone();
    }
    let types = types_of(document, schema);
    let is = |t: &str| types.iter().any(|x| x == t);
    if is("string") {
        if format_of(document, schema) == Some("date-time") {
            return json!("2026-01-01T00:00:00Z");
        }
        return json!(plausible_text(name));
    }
    if is("integer") {
        return json!(1);
    }
    if is("number") {
        return json!(1.5);
    }
    if is("boolean") {
        return json!(false);
    }
    if is("array") {
        return json!([]);
    }
    if is("object") {
        let schema = resolve(document, schema);
        let object: Map<String, Value> = fields_of(document, schema)
            .into_iter()
            .filter(|f| f.required)
            .map(|f| (f.name.to_owned(), plausible(document, f.name, f.schema)))
            .collect();
        return Value::Object(object);
    }
    Value::Null
}

/// A long string: under the 65,535 bytes an HTTP client accepts for a whole URL.
const LONG: usize = 60_000;

/// Numbers at and past the ends of every integer type, as text.
fn extreme_numbers() -> Vec<String> {
    [
        "0",
        "-1",
        "1",
        "2147483648",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "-18446744073709551616",
        "99999999999999999999999999999999",
        "1e308",
        "-1e308",
        "1e400",
        "0.5",
        "5e-324",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Dates at the ends of what RFC 3339, chrono and the databases hold.
fn extreme_dates() -> Vec<String> {
    [
        "9999-12-31T23:59:59Z",
        "+262142-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999999999Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T00:00:00+23:59",
        "2026-01-01",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Text for a path or query parameter.
fn extreme_texts(document: &Value, schema: &Value) -> Vec<String> {
    let mut texts: Vec<String> = vec![
        String::new(),
        " ".into(),
        ".".into(),
        "..".into(),
        "a/b".into(),
        "x".repeat(LONG),
        "ünï😀\u{202e}\u{fffd}".into(),
        "%00".into(),
        "\u{0}".into(),
        "hero@v99999999999999999999".into(),
        "SQ010/SH010".into(),
        "true".into(),
    ];
    texts.extend(extreme_numbers());
    if format_of(document, schema) == Some("date-time") {
        texts.extend(extreme_dates());
    }
    texts
}

/// JSON values for a body field, by its schema's types; `depth` bounds the nesting.
fn extreme_json(document: &Value, schema: &Value, depth: usize) -> Vec<Raw> {
    let types = types_of(document, schema);
    let is = |t: &str| types.iter().any(|x| x == t);
    let mut raws: Vec<Raw> = vec!["null".into(), "{}".into(), "[]".into(), "true".into()];
    raws.extend(extreme_numbers());
    let text = |s: &str| Value::String(s.to_owned()).to_string();
    raws.extend(
        [
            String::new(),
            " ".into(),
            "..".into(),
            "x".repeat(LONG),
            "ünï😀\u{202e}".into(),
            "\u{0}".into(),
            "hero@v99999999999999999999".into(),
            "SQ010/SH010".into(),
            "1001-1096".into(),
            "18446744073709551616".into(),
            "99999999999999d".into(),
        ]
        .iter()
        .map(|s| text(s)),
    );
    if is("string") && format_of(document, schema) == Some("date-time") {
        raws.extend(extreme_dates().iter().map(|d| text(d)));
    }
    if let Some(variants) = enum_of(document, schema) {
        raws.extend(variants.iter().map(Value::to_string));
        raws.push(text("no-such-variant"));
    }
    if depth < 1 {
        let schema = resolve(document, schema);
        if is("array") {
            let items = &schema["items"];
            let item = plausible(document, "item", items);
            raws.push(format!("[{}]", vec![item.to_string(); 10_000].join(",")));
            raws.extend(
                extreme_json(document, items, depth + 1)
                    .into_iter()
                    .map(|raw| format!("[{raw}]")),
            );
        }
        if is("object") {
            for field in fields_of(document, schema) {
                let base = plausible(document, "object", schema);
                for raw in extreme_json(document, field.schema, depth + 1) {
                    let mut parts: Vec<String> = base
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| k.as_str() != field.name)
                        .map(|(k, v)| format!("{}:{v}", text(k)))
                        .collect();
                    parts.push(format!("{}:{raw}", text(field.name)));
                    raws.push(format!("{{{}}}", parts.join(",")));
                }
            }
            raws.push(r#"{"a":{"b":{"c":[1,[2,[3]]]}}}"#.into());
        }
    }
    raws
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 60 {
        let head: String = text.chars().take(40).collect();
        format!("{head}… ({} chars)", text.chars().count())
    } else {
        text.to_owned()
    }
}

/// RFC 3986 path-segment encoding: everything but unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
