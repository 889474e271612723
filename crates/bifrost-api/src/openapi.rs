//! The OpenAPI 3 document of the table: every operation with its parameters, request body,
//! typed success response and error answers. The server serves it (adding the routes that
//! stream bytes or events); clients are generated from it.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{
    ContentBuilder, OpenApi, OpenApiBuilder, Paths, RefOr, Required, ResponseBuilder,
};
use utoipa::openapi::{Ref, ServerBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::error::ErrorBody;
use crate::operation::{Carrier, Method, Operation};

/// Collects the paths and component schemas of operations.
#[derive(Default)]
pub struct Builder {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("paths", &self.paths.paths.len())
            .field("schemas", &self.schemas.len())
            .finish()
    }
}

fn http_method(method: Method) -> HttpMethod {
    match method {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Patch => HttpMethod::Patch,
        Method::Delete => HttpMethod::Delete,
    }
}

/// The object schema of a request type, split into (name, schema, required) properties.
fn properties<O: Operation>() -> Vec<(String, RefOr<Schema>, bool, Option<String>)> {
    let RefOr::T(Schema::Object(object)) = <O as PartialSchema>::schema() else {
        return Vec::new();
    };
    object
        .properties
        .into_iter()
        .map(|(name, schema)| {
            let required = object.required.contains(&name);
            let description = match &schema {
                RefOr::T(Schema::Object(o)) => o.description.clone(),
                _ => None,
            };
            (name, schema, required, description)
        })
        .collect()
}

impl Builder {
    /// Adds one operation.
    pub fn add<O: Operation>(&mut self) {
        let spec = O::SPEC;
        let path_params: Vec<&str> = spec.path_params().collect();
        let mut operation = OperationBuilder::new()
            .operation_id(Some(spec.snake_name()))
            .summary(Some(spec.summary))
            .tag(spec.tag);
        let mut body = utoipa::openapi::schema::ObjectBuilder::new();
        let mut body_required = false;
        let mut fields = properties::<O>();
        // Path parameters first, in the route's order.
        fields.sort_by_key(|(name, ..)| {
            path_params
                .iter()
                .position(|p| p == name)
                .unwrap_or(usize::MAX)
        });
        for (name, schema, required, description) in fields {
            if path_params.contains(&name.as_str()) {
                operation = operation.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .description(description)
                        .schema(Some(schema)),
                );
                continue;
            }
            match spec.carrier {
                Carrier::Query => {
                    operation = operation.parameter(
                        ParameterBuilder::new()
                            .name(name)
                            .parameter_in(ParameterIn::Query)
                            .required(if required {
                                Required::True
                            } else {
                                Required::False
                            })
                            .description(description)
                            .schema(Some(schema)),
                    );
                }
                Carrier::Body => {
                    body_required |= required;
                    body = body.property(name.clone(), schema);
                    if required {
                        body = body.required(name);
                    }
                }
            }
        }
        if spec.carrier == Carrier::Body {
            let schema: RefOr<Schema> = body.description(Some(spec.summary)).into();
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(schema)).build(),
                    )
                    .required(Some(if body_required {
                        Required::True
                    } else {
                        Required::False
                    }))
                    .build(),
            ));
        }
        let error = ContentBuilder::new()
            .schema(Some(RefOr::Ref(Ref::from_schema_name(ErrorBody::name()))))
            .build();
        operation = operation
            .response(
                spec.success.to_string(),
                ResponseBuilder::new().description("success").content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(<O::Response as ResponseSchemas>::reference()))
                        .build(),
                ),
            )
            .response(
                "4XX",
                ResponseBuilder::new()
                    .description("the request was refused; `error.code` says why")
                    .content("application/json", error.clone()),
            )
            .response(
                "5XX",
                ResponseBuilder::new()
                    .description("the server could not answer; retry when `error.retryable`")
                    .content("application/json", error),
            );
        if spec.name == "Login" {
            operation = operation.securities(Some(Vec::<SecurityRequirement>::new()));
        }
        self.paths
            .add_path_operation(spec.path, vec![http_method(spec.method)], operation.build());
        <O as ToSchema>::schemas(&mut self.schemas);
        <O::Response as ResponseSchemas>::collect(&mut self.schemas);
    }

    /// The document: every operation added, the error body and bearer authentication.
    pub fn build(mut self) -> OpenApi {
        ErrorBody::schemas(&mut self.schemas);
        self.schemas
            .push((ErrorBody::name().into_owned(), ErrorBody::schema()));
        let mut components = utoipa::openapi::ComponentsBuilder::new();
        for (name, schema) in self.schemas {
            components = components.schema(name, schema);
        }
        OpenApiBuilder::new()
            .info(
                utoipa::openapi::InfoBuilder::new()
                    .title("Bifrost API")
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(
                        "Assets, versions, shots, tasks, search, content transfer, users, audit \
                         and events of a Bifrost repository. Authenticate with \
                         `Authorization: Bearer bft_…` (POST /api/v1/auth/login, or a token \
                         made on the server). Errors are `{\"error\": {\"code\", \"message\", \
                         \"retryable\"}}`.",
                    ))
                    .build(),
            )
            .servers(Some([ServerBuilder::new()
                .url("/api/v1")
                .description(Some("every path is relative to /api/v1"))
                .build()]))
            .paths(self.paths)
            .components(Some(components.build()))
            .build()
    }
}

/// Registers the named component schemas a response type refers to. Containers pass through
/// to their items; named types add themselves and what they refer to. (utoipa's own
/// `ToSchema::schemas` leaves out the item type of a container.)
pub trait ResponseSchemas {
    /// Adds the schemas.
    fn collect(out: &mut Vec<(String, RefOr<Schema>)>);

    /// The schema a response body refers to: a `$ref` to a named component, so generated
    /// clients share one class per type (`Shot`, not one per operation).
    fn reference() -> RefOr<Schema>;
}

impl<T: ResponseSchemas> ResponseSchemas for Vec<T> {
    fn collect(out: &mut Vec<(String, RefOr<Schema>)>) {
        T::collect(out);
    }

    fn reference() -> RefOr<Schema> {
        ArrayBuilder::new().items(T::reference()).into()
    }
}

impl<T: ResponseSchemas> ResponseSchemas for Option<T> {
    fn collect(out: &mut Vec<(String, RefOr<Schema>)>) {
        T::collect(out);
    }

    fn reference() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(T::reference())
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into()
    }
}

impl<T: ResponseSchemas + ToSchema> ResponseSchemas for crate::Listing<T> {
    fn collect(out: &mut Vec<(String, RefOr<Schema>)>) {
        T::collect(out);
    }

    fn reference() -> RefOr<Schema> {
        <crate::Listing<T> as PartialSchema>::schema()
    }
}

impl ResponseSchemas for String {
    fn collect(_: &mut Vec<(String, RefOr<Schema>)>) {}

    fn reference() -> RefOr<Schema> {
        String::schema()
    }
}

macro_rules! named {
    ($($ty:ty),* $(,)?) => {$(
        impl ResponseSchemas for $ty {
            fn collect(out: &mut Vec<(String, RefOr<Schema>)>) {
                out.push((<$ty as ToSchema>::name().into_owned(), <$ty as PartialSchema>::schema()));
                <$ty as ToSchema>::schemas(out);
            }

            fn reference() -> RefOr<Schema> {
                RefOr::Ref(Ref::from_schema_name(<$ty as ToSchema>::name()))
            }
        }
    )*};
}

named!(
    bifrost_core::Project,
    bifrost_core::Asset,
    bifrost_core::RepoStats,
    bifrost_core::FileEntry,
    bifrost_core::Version,
    bifrost_core::VersionDiff,
    bifrost_core::production::DeletedAsset,
    bifrost_core::production::DeletedSequence,
    bifrost_core::production::DeletedShot,
    bifrost_core::production::VersionDetails,
    bifrost_core::production::HistoryEntry,
    bifrost_core::production::Workflow,
    bifrost_core::production::Sequence,
    bifrost_core::production::Shot,
    bifrost_core::production::Task,
    bifrost_core::production::Link,
    bifrost_core::production::Dependency,
    bifrost_core::production::Comment,
    bifrost_core::production::SearchHit,
    bifrost_core::production::StatusReport,
    bifrost_core::production::SavedSearch,
    bifrost_core::production::Collection,
    bifrost_core::production::EntityRef,
    bifrost_core::access::AssetLock,
    bifrost_core::access::NewToken,
    bifrost_core::access::User,
    bifrost_core::access::TokenInfo,
    bifrost_core::access::Role,
    bifrost_core::access::Member,
    bifrost_core::access::Event,
    bifrost_core::access::Webhook,
    bifrost_core::access::DeadLetter,
    crate::ops::assets::AssetWithStatus,
    crate::ops::production::EntityStatus,
    crate::ops::access::WhoAmI,
    crate::ops::access::EventPage,
    crate::ops::transfer::Missing,
    bifrost_core::ChunkingParams,
    crate::ops::results::Deleted,
    crate::ops::results::Added,
    crate::ops::results::Removed,
    crate::ops::results::MetadataObject,
);

/// The document of the whole table (paths relative to `/api/v1`).
pub fn document() -> OpenApi {
    let mut builder = Builder::default();
    crate::ops::describe_all(&mut builder);
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_typed_success_response() {
        let doc = serde_json::to_value(document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut count = 0;
        for spec in crate::ops::ALL {
            let item = &paths[spec.path];
            let op = &item[spec.method.as_str().to_ascii_lowercase()];
            assert_eq!(op["operationId"], spec.snake_name(), "{}", spec.name);
            let schema =
                &op["responses"][spec.success.to_string()]["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{} has no response schema", spec.name);
            let text = schema.to_string();
            assert!(
                text.contains("\"$ref\"")
                    || text.contains("\"type\"")
                    || text.contains("\"oneOf\"")
                    || text.contains("\"allOf\""),
                "{}: an untyped response schema {text}",
                spec.name
            );
            count += 1;
        }
        assert_eq!(count, crate::ops::ALL.len());
        // Every referenced component exists.
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "missing component {name}");
        }
    }

    #[test]
    fn path_parameters_are_request_fields() {
        let doc = serde_json::to_value(document()).unwrap();
        for spec in crate::ops::ALL {
            let op = &doc["paths"][spec.path][spec.method.as_str().to_ascii_lowercase()];
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let wanted: Vec<&str> = spec.path_params().collect();
            assert_eq!(params, wanted, "{}", spec.name);
            assert_eq!(spec.in_project(), wanted.first() == Some(&"project"));
        }
    }
}
