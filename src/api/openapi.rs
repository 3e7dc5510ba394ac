//! The OpenAPI 3.1 document, derived from the handlers' annotations and the types they serialise,
//! with a security scheme per role and the webhooks partners receive. Served at `/openapi.json`.

use std::sync::OnceLock;

use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, ObjectBuilder, PathsBuilder, Ref, RefOr, Schema, Type,
};
use utoipa::{Modify, OpenApi};

use super::error::Problem;
use super::{admin, cases, dispatch, ops, partner_feed, partners, photos, posters, targeting};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lookout",
        version = "1",
        description = "Missing-child posters, targeted to the photo partners who can help.\n\n\
            Every error is an RFC 9457 problem document (`application/problem+json`) with the members \
            `code`, `message`, `field` and `errors` kept for older clients. Lists are paged with \
            `limit` and an opaque `cursor`: each page gives `next_cursor` (null on the last) and a \
            `Link: <…>; rel=\"next\"` header while more may follow. Bodies are bounded (JSON 256 KB, \
            photos 25 MB); unknown fields are refused. Tokens are made with \
            `lookout token create --role admin|case_manager|partner`.",
        license(name = "Proprietary")
    ),
    paths(
        ops::healthz, ops::readyz, ops::openapi, dispatch::metrics,
        cases::create, cases::list, cases::show, cases::update, cases::resolve,
        cases::versions, cases::version,
        posters::poster, targeting::geojson, targeting::svg,
        dispatch::dispatch, dispatch::distributions,
        photos::upload,
        partners::create, partners::list, partners::show, partners::update,
        partners::put_locations, partners::locations, dispatch::enable_partner,
        partner_feed::deliveries, partner_feed::delivery, partner_feed::ack,
        partner_feed::poster, partner_feed::cap, partner_feed::cap_feed,
        partner_feed::signed_poster,
        admin::create_token, admin::tokens, admin::revoke_token, admin::audit,
    ),
    components(schemas(Problem, crate::dispatch::payload::WebhookPayload)),
    modifiers(&Security, &Problems, &Webhooks, &NoNullParameters),
    tags(
        (name = "cases", description = "Report, correct and close cases"),
        (name = "posters", description = "A case's posters"),
        (name = "targeting", description = "Where a case's poster goes"),
        (name = "distribution", description = "Sending posters and following them"),
        (name = "partners", description = "Photo partners and their locations"),
        (name = "partner feed", description = "For partners: their deliveries, files and alerts"),
        (name = "administration", description = "Tokens and the audit log"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
struct ApiDoc;

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the document serialises")
    })
}

/// One bearer scheme per role: an operation lists the roles whose tokens it takes.
struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        for (role, what) in [
            ("admin", "An admin token: everything."),
            (
                "case_manager",
                "A case manager's token: cases, posters, targeting, distribution; reads partners.",
            ),
            (
                "partner",
                "A partner's token: its own deliveries, files and locations.",
            ),
        ] {
            let scheme = HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(what))
                .build();
            components.add_security_scheme(role, SecurityScheme::Http(scheme));
        }
    }
}

/// Every operation may answer a problem document: `default` says so once for each. A 401 without a
/// token is listed where a token is needed.
struct Problems;

impl Modify for Problems {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let problem = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build()
        };
        for item in api.paths.paths.values_mut() {
            for op in operations(item) {
                let responses = &mut op.responses.responses;
                if op.security.is_some() {
                    responses.entry("401".into()).or_insert_with(|| {
                        ResponseBuilder::new()
                            .description("No token, or not a valid one")
                            .content("application/problem+json", problem())
                            .header("WWW-Authenticate", HeaderBuilder::new().build())
                            .into()
                    });
                    responses.entry("403".into()).or_insert_with(|| {
                        ResponseBuilder::new()
                            .description("The token's role may not do this")
                            .content("application/problem+json", problem())
                            .into()
                    });
                }
                responses.entry("default".into()).or_insert_with(|| {
                    ResponseBuilder::new()
                        .description("A problem: the request was refused or could not be answered")
                        .content("application/problem+json", problem())
                        .into()
                });
            }
        }
    }
}

/// A query or header parameter is absent or a string: never JSON's `null`, which an optional Rust
/// field would otherwise document.
struct NoNullParameters;

impl Modify for NoNullParameters {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for item in api.paths.paths.values_mut() {
            for op in operations(item) {
                for p in op.parameters.iter_mut().flatten() {
                    if let RefOr::T(p) = p
                        && let Some(RefOr::T(schema)) = &mut p.schema
                    {
                        not_null(schema);
                    }
                }
            }
        }
    }
}

fn not_null(schema: &mut Schema) {
    match schema {
        Schema::Object(o) => {
            if let SchemaType::Array(types) = &o.schema_type {
                let kept: Vec<Type> = types
                    .iter()
                    .filter(|t| **t != Type::Null)
                    .cloned()
                    .collect();
                if kept.len() == 1 {
                    o.schema_type = SchemaType::Type(kept[0].clone());
                }
            }
        }
        Schema::OneOf(one) => {
            let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
            one.items.retain(|s| !is_null(s));
            if one.items.len() == 1 {
                *schema = match one.items.pop().expect("one item") {
                    RefOr::T(s) => s,
                    RefOr::Ref(r) => {
                        Schema::AllOf(utoipa::openapi::AllOfBuilder::new().item(r).build())
                    }
                };
            }
        }
        _ => {}
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The webhooks a partner with a webhook receives: one per event, each the same body, signed by
/// the Standard Webhooks headers.
struct Webhooks;

impl Modify for Webhooks {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let mut paths = PathsBuilder::new();
        for (event, what) in [
            (
                "poster.issued",
                "A partner receives a case for the first time: put the poster up.",
            ),
            (
                "poster.updated",
                "A newer version replaces the one held: replace the poster.",
            ),
            (
                "poster.withdrawn",
                "Take the poster down, at once. Carries the case number and nothing of the child.",
            ),
        ] {
            let header = |d: &str| {
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some(d))
                    .build()
            };
            let op = OperationBuilder::new()
                .operation_id(Some(event))
                .summary(Some(what))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("WebhookPayload")))
                                .build(),
                        )
                        .required(Some(utoipa::openapi::Required::True))
                        .build(),
                ))
                .parameter(signature_header("webhook-id", "The delivery id: the same on every retry; deduplicate by it."))
                .parameter(signature_header("webhook-timestamp", "Seconds since the epoch; refuse old ones."))
                .parameter(signature_header(
                    "webhook-signature",
                    "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` with the whsec_ secret; two, space-separated, while a secret is rotated.",
                ))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("Any 2xx: received. Anything else is retried with backoff.")
                        .header("content-type", header("Any"))
                        .build(),
                )
                .build();
            paths = paths.path(event, PathItem::new(HttpMethod::Post, op));
        }
        api.webhooks = Some(paths.build());
    }
}

fn signature_header(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    utoipa::openapi::path::ParameterBuilder::new()
        .name(name)
        .parameter_in(utoipa::openapi::path::ParameterIn::Header)
        .required(utoipa::openapi::Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}
