//! The OpenAPI schemas of the case format's types that serialise by hand: a missing-since moment (an
//! instant or a day), a date, and a photo as the API takes it.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::dates::{Date, MissingSince};
use super::model::{Photo, PhotoDoc};

fn string_schema(format: KnownFormat, description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .description(Some(description))
        .into()
}

impl PartialSchema for MissingSince {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(string_schema(
                KnownFormat::DateTime,
                "the instant, RFC 3339",
            ))
            .item(string_schema(KnownFormat::Date, "the day only, YYYY-MM-DD"))
            .description(Some(
                "When the child was last seen: an RFC 3339 instant, or only a date.",
            ))
            .into()
    }
}

impl ToSchema for MissingSince {}

impl PartialSchema for Date {
    fn schema() -> RefOr<Schema> {
        string_schema(KnownFormat::Date, "YYYY-MM-DD").into()
    }
}

impl ToSchema for Date {}

// A photo's schema is the API's form of it: an uploaded photo's id. (The CLI's `file`, a path beside
// the case document, has no meaning over HTTP and is refused there.)
impl PartialSchema for Photo {
    fn schema() -> RefOr<Schema> {
        let RefOr::T(Schema::Object(mut doc)) = <PhotoDoc as PartialSchema>::schema() else {
            unreachable!("a struct's schema is an object")
        };
        doc.properties.shift_remove("file");
        doc.properties.insert(
            "photo_id".into(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9a-f]{64}$"))
                .description(Some("The id `POST /v1/photos` answered"))
                .into(),
        );
        doc.required = vec!["photo_id".into()];
        Schema::Object(doc).into()
    }
}

impl ToSchema for Photo {
    fn name() -> std::borrow::Cow<'static, str> {
        "Photo".into()
    }
}
