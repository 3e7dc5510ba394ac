//! Photo upload: the picture is normalised once (upright, metadata stripped, print-sized) and only
//! that copy is kept, by its content hash. The upload itself is never stored or served.

use crate::store::PhotoMeta;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};

use super::AppState;
use super::auth::{Caller, Can};
use super::cases::idempotency_key;
use super::error::{ApiError, Problem};
use super::extract::{PHOTO_LIMIT, media_type, read_body};
use crate::cases::FieldError;
use crate::cpu::Turn;
use crate::posters::normalize_photo;

/// A photo sent as a form: the image in the part `photo`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the form for the OpenAPI document
pub struct PhotoUpload {
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    photo: Vec<u8>,
}

/// Room for the multipart framing around a photo of the full size.
const MULTIPART_SLACK: usize = 64 * 1024;

/// Upload a photo (JPEG, PNG or WebP, up to 25 MB), raw or as multipart `photo`; a case names it by its id.
#[utoipa::path(post, path = "/v1/photos", tag = "cases", security(("case_manager" = []), ("admin" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "A retry with the same key answers the first photo")),
    request_body(description = "The image", content(
        (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"), (PhotoUpload = "multipart/form-data"))),
    responses(
        (status = 201, body = PhotoMeta),
        (status = 413, description = "Larger than 25 MB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not an image type this takes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a readable image", body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    State(app): State<AppState>,
    caller: Caller,
    req: Request,
) -> Result<(StatusCode, Json<PhotoMeta>), ApiError> {
    caller.require(Can::WorkCases)?;
    let headers = req.headers().clone();
    let image = match media_type(&headers).as_deref() {
        Some("multipart/form-data") => {
            let body = read_body(req, PHOTO_LIMIT + MULTIPART_SLACK).await?;
            multipart_image(&headers, body).await?
        }
        Some("image/jpeg" | "image/png" | "image/webp" | "application/octet-stream") => {
            read_body(req, PHOTO_LIMIT).await?
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "image/jpeg, image/png, image/webp or multipart/form-data",
            ));
        }
    };
    if image.is_empty() {
        return Err(ApiError::invalid("photo", "is empty"));
    }
    if image.len() > PHOTO_LIMIT {
        return Err(ApiError::TooLarge(PHOTO_LIMIT));
    }
    let key = idempotency_key(&headers, "photos", &caller, &image)?;
    // Decoding is CPU work that must not hold up the async workers.
    let prepared = app
        .cpu
        .run(Turn::Request, move || normalize_photo(&image))
        .await?
        .map_err(|source| ApiError::Photo {
            field: "photo",
            source,
        })?;
    let meta = app
        .store
        .put_photo(&prepared, &caller.actor(), key.as_ref())
        .await?;
    tracing::info!(photo_id = %meta.id, "photo stored");
    Ok((StatusCode::CREATED, Json(meta)))
}

/// The `photo` part of a form (or its only file part).
async fn multipart_image(headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    let mut req = Request::new(Body::from(body));
    *req.headers_mut() = headers.clone();
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::Malformed(FieldError::new("body", e.body_text())))?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::Malformed(FieldError::new("body", e.body_text()))
    };
    let mut found = None;
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let is_photo = field.name() == Some("photo") || field.file_name().is_some();
        if is_photo && found.is_none() {
            found = Some(field.bytes().await.map_err(bad)?);
        }
    }
    found
        .ok_or_else(|| ApiError::invalid("photo", "required: send the image in a part named photo"))
}
