//! What an operation is: a request type that knows its route, permission, journal action and
//! response type.

use bifrost_core::access::Permission;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::ops::{Request, Response};

/// HTTP methods the table uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Reads.
    Get,
    /// Creations and actions.
    Post,
    /// Replacements.
    Put,
    /// Partial changes.
    Patch,
    /// Deletions.
    Delete,
}

impl Method {
    /// The method's name as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Where the request's fields that are not path parameters travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Carrier {
    /// In the query string (scalars only).
    Query,
    /// In a JSON object body.
    Body,
}

/// Everything the table says about one operation besides its types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpSpec {
    /// The operation's name (`CreateAsset`); [`OpSpec::snake_name`] gives `create_asset`.
    pub name: &'static str,
    /// One line for people (the first line of the table entry's doc).
    pub summary: &'static str,
    /// The group it is documented under (`assets`, `production`, `access`, `events`…).
    pub tag: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Route under `/api/v1`, with `{field}` placeholders naming request fields.
    pub path: &'static str,
    /// Where the other fields travel.
    pub carrier: Carrier,
    /// The HTTP status of a success (200 or 201).
    pub success: u16,
    /// The permission a caller's role must allow (`None`: any signed-in user; the facade may
    /// ask for more depending on the arguments, e.g. another user's tokens).
    pub permission: Option<Permission>,
    /// The journal actions a success may record (none for reads).
    pub actions: &'static [&'static str],
}

impl OpSpec {
    /// The names of the path's `{placeholders}`, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        let path: &'static str = self.path;
        path.split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    }

    /// Whether the operation acts on one project (its path starts `/projects/{project}/`).
    pub fn in_project(&self) -> bool {
        self.path.starts_with("/projects/{project}/")
    }

    /// `create_asset` for `CreateAsset`: the name Python methods and OpenAPI operation ids use.
    pub fn snake_name(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + 4);
        for (i, c) in self.name.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// One hub operation: the request type (carrying its path parameters too), its response type
/// and its [`OpSpec`]. Implemented by the table in [`crate::ops`], never by hand.
pub trait Operation:
    Serialize + DeserializeOwned + ToSchema + Clone + Send + Sync + std::fmt::Debug + 'static
{
    /// What a success returns.
    type Response: Serialize
        + DeserializeOwned
        + ToSchema
        + crate::openapi::ResponseSchemas
        + Send
        + Sync
        + std::fmt::Debug
        + 'static;

    /// Route, method, permission, journal action.
    const SPEC: OpSpec;

    /// The project it acts on, for operations in a project.
    fn project(&self) -> Option<&str>;

    /// The request as a member of the table's [`Request`] enum.
    fn into_request(self) -> Request;

    /// This operation's response out of the table's [`Response`] enum (`None`: another's).
    fn from_response(response: Response) -> Option<Self::Response>;
}
