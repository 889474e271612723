//! OpenAPI schemas for types whose wire form is a string (ids, keywords, entity references):
//! their serde implementations are hand-written, so their schemas are too.

/// Implements `utoipa::ToSchema` for a type serialised as a string, with a description.
macro_rules! string_schema {
    ($ty:ty, $description:expr) => {
        // `ComposeSchema` (utoipa's derive output) rather than `PartialSchema`, so that
        // containers (`Vec<T>`, `Option<T>`) of the type get schemas too.
        impl utoipa::__dev::ComposeSchema for $ty {
            fn compose(
                _generics: Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
            ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .into()
            }
        }

        impl utoipa::ToSchema for $ty {}
    };
}

/// Implements `utoipa::ToSchema` for a keyword enum serialised as one of `$text`.
macro_rules! keyword_schema {
    ($ty:ty, [$($text:literal),*]) => {
        impl utoipa::__dev::ComposeSchema for $ty {
            fn compose(
                _generics: Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
            ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),*]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $ty {}
    };
}

pub(crate) use {keyword_schema, string_schema};
