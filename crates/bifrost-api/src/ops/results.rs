//! Small answers shared by several operations.

use bifrost_core::production::Metadata;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The answer of a deletion that returns nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deleted {
    /// Always true: a failed deletion is an error.
    pub deleted: bool,
}

/// Whether something was added (false: it was there already).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Added {
    /// Whether it was added.
    pub added: bool,
}

/// Whether something was removed (false: it was not there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Removed {
    /// Whether it was removed.
    pub removed: bool,
}

/// Free JSON metadata, as an object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MetadataObject(pub Metadata);

impl utoipa::__dev::ComposeSchema for MetadataObject {
    fn compose(
        _generics: Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
    ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .description(Some("Free JSON metadata."))
            .into()
    }
}

impl ToSchema for MetadataObject {}
