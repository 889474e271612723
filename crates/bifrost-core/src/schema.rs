//! OpenAPI schemas for types whose wire form is a string (ids, keywords, entity references):
//! their serde implementations are hand-written, so their schemas are too.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema with a description, or with the values a keyword may take.
pub(crate) fn string(description: Option<&str>, values: Option<&[&str]>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(description)
        .enum_values(values.map(|v| v.to_vec()))
        .into()
}

/// Implements `utoipa::ToSchema` for a type serialised as a string: `string_schema!(T,
/// "description")`, or for a keyword enum, `string_schema!(T, ["a", "b"])`.
// `ComposeSchema` (utoipa's derive output) rather than `PartialSchema`, so that containers
// (`Vec<T>`, `Option<T>`) of the type get schemas too.
macro_rules! string_schema {
    ($ty:ty, [$($text:literal),*]) => {
        crate::schema::string_schema!(@impl $ty, None, Some(&[$($text),*]));
    };
    ($ty:ty, $description:expr) => {
        crate::schema::string_schema!(@impl $ty, Some($description), None);
    };
    (@impl $ty:ty, $description:expr, $values:expr) => {
        impl utoipa::__dev::ComposeSchema for $ty {
            fn compose(
                _generics: Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
            ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::schema::string($description, $values)
            }
        }

        impl utoipa::ToSchema for $ty {}
    };
}

pub(crate) use string_schema;
