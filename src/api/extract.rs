//! Request extractors whose every rejection is an [`ApiError`]: bodies bounded and typed, query and
//! path parameters named when they are wrong, and the caller identified by its bearer token.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{HeaderMap, header, request::Parts};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::cases::FieldError;

pub const JSON_LIMIT: usize = 256 * 1024;
pub const PHOTO_LIMIT: usize = 25 * 1024 * 1024;

/// Read a whole body, refusing it as soon as it passes `limit` bytes.
pub async fn read_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge(limit));
    }
    let limited = http_body_util::Limited::new(req.into_body(), limit);
    match http_body_util::BodyExt::collect(limited).await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::TooLarge(limit)),
        Err(_) => Err(ApiError::Malformed(FieldError::new(
            "body",
            "could not be read to the end",
        ))),
    }
}

/// The media type of a request, lowercased, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(v.split(';').next()?.trim().to_ascii_lowercase())
}

fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// A JSON body (any `application/*+json` type), at most [`JSON_LIMIT`] bytes, not yet parsed.
pub struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        match media_type(req.headers()) {
            Some(m) if is_json(&m) => {}
            _ => return Err(ApiError::UnsupportedMediaType("application/json")),
        }
        Ok(JsonBody(read_body(req, JSON_LIMIT).await?))
    }
}

/// A JSON body that may be left out altogether (no body, no content type): `None` then.
pub struct OptionalJsonBody(pub Option<Bytes>);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let declared = req.headers().contains_key(header::CONTENT_TYPE);
        let length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if !declared && length.unwrap_or(0) == 0 {
            let rest = read_body(req, JSON_LIMIT).await?;
            return if rest.is_empty() {
                Ok(OptionalJsonBody(None))
            } else {
                Err(ApiError::UnsupportedMediaType("application/json"))
            };
        }
        let JsonBody(bytes) = JsonBody::from_request(req, state).await?;
        Ok(OptionalJsonBody(Some(bytes)))
    }
}

/// Parse JSON into `T`, naming the field at fault the way the case format does.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        ApiError::Malformed(serde_problem(&e.path().to_string(), &e.inner().to_string()))
    })
}

/// serde's wording as `field: reason`, with a missing or unknown field's name moved into the path.
pub fn serde_problem(path: &str, message: &str) -> FieldError {
    // "." is the root; "?" is a key serde never got to read (the document ended).
    let path = if path == "." || path == "?" { "" } else { path };
    let message = message.split(" at line ").next().unwrap_or(message);
    for (prefix, reason) in [
        ("missing field `", "required"),
        ("unknown field `", "unknown field"),
    ] {
        if let Some(name) = message
            .strip_prefix(prefix)
            .and_then(|r| r.split('`').next())
        {
            let field = if path == name || path.ends_with(&format!(".{name}")) {
                path.to_string()
            } else if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            return FieldError::new(field, reason);
        }
    }
    FieldError::new(if path.is_empty() { "body" } else { path }, message)
}

/// Query parameters; unknown ones are refused by the target type (`deny_unknown_fields`).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| {
                let text = e.body_text();
                let reason = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                ApiError::BadParameter(query_problem(reason))
            })
    }
}

fn query_problem(reason: &str) -> FieldError {
    if let Some(name) = reason
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
    {
        return FieldError::new(name, "unknown parameter");
    }
    if let Some((name, why)) = reason.split_once(": ") {
        return FieldError::new(name, why);
    }
    FieldError::new("query", reason)
}

/// Path parameters; a segment that does not parse is a bad parameter, not a 500.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|e| ApiError::parameter("path", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Thing {
        outcome: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    fn field_of(json: &str) -> String {
        match parse_json::<Thing>(json.as_bytes()) {
            Err(ApiError::Malformed(f)) => f.to_string(),
            other => panic!("expected a malformed error, got {other:?}"),
        }
    }

    #[test]
    fn json_problems_name_their_field() {
        assert_eq!(field_of(r#"{"inner": {"n": 1}}"#), "outcome: required");
        assert_eq!(
            field_of(r#"{"outcome": "x", "inner": {"n": 1, "m": 2}}"#),
            "inner.m: unknown field"
        );
        assert!(field_of(r#"{"outcome": "x", "inner": {"n": -1}}"#).starts_with("inner.n: "));
        assert!(field_of("{").starts_with("body: "));
    }

    #[test]
    fn query_problems_name_their_parameter() {
        assert_eq!(
            query_problem("unknown field `colour`, expected one of `a`").to_string(),
            "colour: unknown parameter"
        );
        assert_eq!(
            query_problem("limit: invalid digit found in string").to_string(),
            "limit: invalid digit found in string"
        );
    }
}
