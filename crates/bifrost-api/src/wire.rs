//! How an operation travels over HTTP, both ways: path parameters fill the route's
//! placeholders, the other fields go to the query string or a JSON body ([`Carrier`]).
//! The client encodes with [`encode`], the server decodes with [`decode`]: one rule, so the
//! two cannot disagree.

use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::operation::{Carrier, Operation};

/// An operation ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// The route with every placeholder filled and percent-encoded (relative to `/api/v1`).
    pub path: String,
    /// Query parameters (for [`Carrier::Query`]).
    pub query: Vec<(String, String)>,
    /// The JSON body (for [`Carrier::Body`]).
    pub body: Option<Value>,
}

fn internal(what: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Internal, what.to_string())
}

/// The text a scalar takes in a path or a query string (`None` for null).
fn scalar_text(name: &str, value: &Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Array(_) | Value::Object(_) => Err(internal(format!(
            "`{name}` is not a scalar and cannot travel in a URL"
        ))),
    }
}

/// Percent-encodes one path segment (everything but RFC 3986's unreserved characters).
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Splits an operation into route, query and body.
pub fn encode<O: Operation>(op: &O) -> Result<Encoded, ApiError> {
    let Value::Object(mut fields) = serde_json::to_value(op).map_err(internal)? else {
        return Err(internal(format!("{} is not a JSON object", O::SPEC.name)));
    };
    let mut path = String::new();
    for segment in O::SPEC.path.split('/').skip(1) {
        path.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let value = fields.remove(name).unwrap_or(Value::Null);
                let text = scalar_text(name, &value)?
                    .ok_or_else(|| internal(format!("`{name}` is needed in the route")))?;
                path.push_str(&encode_segment(&text));
            }
            None => path.push_str(segment),
        }
    }
    let (query, body) = match O::SPEC.carrier {
        Carrier::Query => {
            let mut query = Vec::new();
            for (name, value) in &fields {
                if let Some(text) = scalar_text(name, value)? {
                    query.push((name.clone(), text));
                }
            }
            (query, None)
        }
        Carrier::Body => (Vec::new(), Some(Value::Object(fields))),
    };
    Ok(Encoded { path, query, body })
}

/// Builds an operation from its path parameters (decoded), its raw query string and its body.
/// Errors name the field and say where it was: `bad_path`, `bad_query` or `bad_json`.
pub fn decode<O: Operation>(
    path_params: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Result<O, ApiError> {
    let in_path = |field: &str| path_params.iter().any(|(name, _)| name == field);
    match O::SPEC.carrier {
        Carrier::Query => {
            let mut pairs: Vec<(String, String)> = path_params.to_vec();
            if let Some(query) = query {
                let given: Vec<(String, String)> = serde_urlencoded::from_str(query)
                    .map_err(|e| ApiError::new(ErrorCode::BadQuery, e.to_string()))?;
                if let Some((name, _)) = given.iter().find(|(name, _)| in_path(name)) {
                    return Err(ApiError::new(
                        ErrorCode::BadQuery,
                        format!("`{name}` is part of the path; leave it out of the query"),
                    ));
                }
                pairs.extend(given);
            }
            let text = serde_urlencoded::to_string(&pairs).map_err(internal)?;
            let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(&text));
            serde_path_to_error::deserialize(de).map_err(|e| {
                let field = e.path().to_string();
                let code = if in_path(&field) {
                    ErrorCode::BadPath
                } else {
                    ErrorCode::BadQuery
                };
                ApiError::new(code, describe(&field, e.inner()))
            })
        }
        Carrier::Body => {
            let mut fields: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
                Map::new()
            } else {
                let mut de = serde_json::Deserializer::from_slice(body);
                serde_path_to_error::deserialize(&mut de).map_err(|e| {
                    ApiError::new(
                        ErrorCode::BadJson,
                        describe(&e.path().to_string(), e.inner()),
                    )
                })?
            };
            for (name, value) in path_params {
                if fields.contains_key(name) {
                    return Err(ApiError::new(
                        ErrorCode::BadJson,
                        format!("`{name}` is part of the path; leave it out of the body"),
                    ));
                }
                fields.insert(name.clone(), Value::String(value.clone()));
            }
            serde_path_to_error::deserialize(Value::Object(fields)).map_err(|e| {
                let field = e.path().to_string();
                let code = if in_path(&field) {
                    ErrorCode::BadPath
                } else {
                    ErrorCode::BadJson
                };
                ApiError::new(code, describe(&field, e.inner()))
            })
        }
    }
}

fn form_urlencoded_parse(text: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(text.as_bytes())
}

fn describe(field: &str, error: &dyn std::fmt::Display) -> String {
    if field.is_empty() || field == "." {
        error.to_string()
    } else {
        format!("`{field}`: {error}")
    }
}

/// A deserialisation error of an operation built from JSON, naming the field.
pub(crate) fn field_error<O: Operation>(
    e: serde_path_to_error::Error<serde_json::Error>,
) -> ApiError {
    ApiError::new(
        ErrorCode::BadRequest,
        format!(
            "{}: {}",
            O::SPEC.snake_name(),
            describe(&e.path().to_string(), e.inner())
        ),
    )
}

#[cfg(test)]
mod tests {
    use bifrost_core::VersionSelector;
    use bifrost_core::production::ReviewStatus;

    use super::*;
    use crate::ops::{CreateAsset, GetVersion, ListAssets, Request, ReviewVersion};

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn path_parameters_fill_the_route_percent_encoded() {
        let op = GetVersion {
            project: "main".into(),
            asset: "a b/c".into(),
            version: VersionSelector::Number(3),
        };
        let encoded = encode(&op).unwrap();
        assert_eq!(encoded.path, "/projects/main/assets/a%20b%2Fc/versions/3");
        assert!(encoded.query.is_empty() && encoded.body.is_none());
        let back: GetVersion = decode(
            &params(&[("project", "main"), ("asset", "a b/c"), ("version", "3")]),
            None,
            b"",
        )
        .unwrap();
        assert_eq!(back, op);
    }

    #[test]
    fn query_operations_round_trip() {
        let op = ListAssets {
            project: "main".into(),
            asset_type: Some("prop".into()),
            tag: None,
            limit: Some(5),
            offset: None,
        };
        let encoded = encode(&op).unwrap();
        assert_eq!(encoded.path, "/projects/main/assets");
        let query = serde_urlencoded::to_string(&encoded.query).unwrap();
        assert_eq!(query, "limit=5&type=prop");
        let back: ListAssets = decode(&params(&[("project", "main")]), Some(&query), b"").unwrap();
        assert_eq!(back, op);
    }

    #[test]
    fn body_operations_take_path_parameters_as_text() {
        let back: ReviewVersion = decode(
            &params(&[("project", "p"), ("asset", "hero"), ("version", "v2")]),
            None,
            br#"{"status": "approved"}"#,
        )
        .unwrap();
        assert_eq!(back.version, VersionSelector::Number(2));
        assert_eq!(back.status, ReviewStatus::Approved);
        let encoded = encode(&back).unwrap();
        assert_eq!(encoded.path, "/projects/p/assets/hero/versions/2/review");
        assert_eq!(
            encoded.body.unwrap(),
            serde_json::json!({"status": "approved"})
        );
    }

    #[test]
    fn errors_name_the_field_and_where_it_was() {
        let e = decode::<ListAssets>(&params(&[("project", "p")]), Some("limit=many"), b"")
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadQuery);
        assert!(e.message.contains("limit"), "{}", e.message);
        let e = decode::<ListAssets>(&params(&[("project", "p")]), Some("colour=red"), b"")
            .unwrap_err();
        assert!(e.message.contains("colour"), "{}", e.message);
        let e = decode::<CreateAsset>(&params(&[("project", "p")]), None, br#"{"name": 7}"#)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadJson);
        assert!(e.message.contains("name"), "{}", e.message);
        let e = decode::<CreateAsset>(
            &params(&[("project", "p")]),
            None,
            br#"{"name": "a", "project": "q"}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("part of the path"), "{}", e.message);
        let e = decode::<GetVersion>(
            &params(&[("project", "p"), ("asset", "a"), ("version", "v0")]),
            None,
            b"",
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadPath);
        let e = decode::<CreateAsset>(&params(&[("project", "p")]), None, b"[1]").unwrap_err();
        assert_eq!(e.code, ErrorCode::BadJson);
    }

    #[test]
    fn operations_are_found_by_name() {
        let request = Request::from_json(
            "create_asset",
            serde_json::json!({"project": "p", "name": "hero", "type": "prop"}),
        )
        .unwrap();
        let Request::CreateAsset(op) = &request else {
            panic!("{request:?}")
        };
        assert_eq!(op.asset_type.as_deref(), Some("prop"));
        assert_eq!(request.spec().name, "CreateAsset");
        assert_eq!(request.project(), Some("p"));
        let e = Request::from_json(
            "create_asset",
            serde_json::json!({"project": "p", "nam": 1}),
        )
        .unwrap_err();
        assert!(e.message.contains("nam"), "{}", e.message);
        assert!(Request::from_json("fly", serde_json::json!({})).is_err());
    }
}
