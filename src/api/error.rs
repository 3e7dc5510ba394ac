//! One error type for every route: each module's error becomes an RFC 9457 problem
//! (`application/problem+json`: `type`, `title`, `status`, `detail`, `instance`) that also keeps
//! the members clients used before (`code`, `message`, `field`, `errors`), with the status a client
//! can act on. Nothing a client sends may come back as a 5xx.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::cases::{CaseError, FieldError};
use crate::posters::{PhotoError, RenderError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a bearer token is required")]
    Unauthenticated,
    #[error("this token may not {0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no route {0}")]
    NoRoute(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is not JSON, or not of the expected shape.
    #[error("{0}")]
    Malformed(FieldError),
    /// Every value that breaks the format, the first one named in `field`.
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    BadParameter(FieldError),
    #[error("expected content type {0}")]
    UnsupportedMediaType(&'static str),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error("case number {0} is already in use")]
    CaseNumberTaken(String),
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    #[error("the case is {0}; it cannot change any more")]
    CaseClosed(&'static str),
    /// Something of a case that is closed: nothing of the child is served any more.
    #[error("the case is closed; its {0} is no longer served")]
    CaseGone(&'static str),
    #[error("the case has changed since version {0}; fetch it again")]
    PreconditionFailed(i64),
    #[error("the case is being changed by someone else; try again")]
    Busy,
    #[error("{field}: {source}")]
    Photo {
        field: &'static str,
        #[source]
        source: PhotoError,
    },
    #[error("the poster could not be made")]
    Render(#[source] RenderError),
    #[error("the database is unavailable")]
    Store(#[source] StoreError),
    /// A stored row that no longer reads: a defect, not a missing thing.
    #[error("internal error")]
    Corrupt(#[source] StoreError),
    #[error("internal error")]
    Internal,
    /// Renders and photo decodes are queued to the limit: come back in a moment.
    #[error("the service is busy with other posters and photos; try again in a few seconds")]
    Overloaded,
    #[error("the request took longer than {0} seconds and was stopped")]
    TimedOut(u64),
}

/// When a client turned away for load should come back.
pub const RETRY_AFTER_SECS: &str = "2";

/// The media type of every error the API answers.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Each problem type is named by a URN of its code: stable, and never fetched by a client.
const TYPE_PREFIX: &str = "urn:lookout:problem:";

/// An RFC 9457 problem document, with `code`, `message`, `field` and `errors` kept for clients
/// written before it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "urn:lookout:problem:invalid", "title": "Invalid value", "status": 422,
    "detail": "children[0].date_of_birth: must not be in the future", "instance": "/v1/cases",
    "code": "invalid", "message": "children[0].date_of_birth: must not be in the future",
    "field": "children[0].date_of_birth"
}))]
pub struct Problem<'a> {
    /// `urn:lookout:problem:` and the code.
    #[serde(rename = "type")]
    #[schema(examples("urn:lookout:problem:invalid"))]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    /// The path of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
    /// The problem type's short name: what a client branches on.
    code: &'a str,
    /// The same as `detail`, for clients written before problem documents.
    message: String,
    /// The field or parameter at fault, by its path (`children[0].name`).
    field: Option<String>,
    /// Every field at fault, when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

tokio::task_local! {
    /// The path of the request being answered: a problem's `instance`.
    static INSTANCE: String;
}

/// Middleware: errors answered inside know which request they are about.
pub async fn instance(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    INSTANCE.scope(path, next.run(req)).await
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            Unauthenticated => StatusCode::UNAUTHORIZED,
            Forbidden(_) => StatusCode::FORBIDDEN,
            NotFound(_) | NoRoute(_) => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Malformed(_) | BadParameter(_) => StatusCode::BAD_REQUEST,
            Invalid(_) | IdempotencyKeyReused | Photo { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            CaseNumberTaken(_) | AlreadyExists(_) | CaseClosed(_) | Busy => StatusCode::CONFLICT,
            CaseGone(_) => StatusCode::GONE,
            PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            // a case stored before its text was checked at intake: the case must change, not us
            Render(RenderError::Field { .. }) => StatusCode::CONFLICT,
            Render(_) | Internal | Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Store(_) | Overloaded | TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            Unauthenticated => "unauthenticated",
            Forbidden(_) => "forbidden",
            NotFound(_) | NoRoute(_) => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Malformed(_) => "malformed",
            Invalid(_) => "invalid",
            BadParameter(_) => "bad_parameter",
            UnsupportedMediaType(_) => "unsupported_media_type",
            TooLarge(_) => "too_large",
            IdempotencyKeyReused => "idempotency_key_reused",
            CaseNumberTaken(_) => "case_number_taken",
            AlreadyExists(_) => "already_exists",
            CaseClosed(_) | CaseGone(_) => "case_closed",
            PreconditionFailed(_) => "precondition_failed",
            Busy => "busy",
            Photo { .. } => "bad_photo",
            Render(RenderError::Field { .. }) => "unprintable",
            Render(_) => "render_failed",
            Store(_) => "unavailable",
            Internal | Corrupt(_) => "internal",
            Overloaded => "overloaded",
            TimedOut(_) => "timeout",
        }
    }

    /// A short summary of the problem type, the same for every occurrence (RFC 9457 `title`).
    pub fn title(&self) -> &'static str {
        match self.code() {
            "unauthenticated" => "Authentication required",
            "forbidden" => "Not allowed for this token",
            "not_found" => "Not found",
            "method_not_allowed" => "Method not allowed",
            "malformed" => "Malformed request",
            "invalid" => "Invalid value",
            "bad_parameter" => "Bad query parameter",
            "unsupported_media_type" => "Unsupported media type",
            "too_large" => "Request body too large",
            "idempotency_key_reused" => "Idempotency key reused",
            "case_number_taken" => "Case number in use",
            "already_exists" => "Already exists",
            "case_closed" => "Case closed",
            "precondition_failed" => "Version changed",
            "busy" => "Changed by someone else",
            "bad_photo" => "Photo not usable",
            "unprintable" => "Case text cannot be printed",
            "render_failed" => "Poster could not be made",
            "unavailable" => "Service unavailable",
            "overloaded" => "Too busy, try again shortly",
            "timeout" => "Request took too long",
            _ => "Internal error",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::Malformed(f) | ApiError::BadParameter(f) => Some(f.field.clone()),
            ApiError::Invalid(v) => v.first().map(|f| f.field.clone()),
            ApiError::Photo { field, .. } => Some((*field).to_string()),
            ApiError::CaseNumberTaken(_) => Some("case_number".into()),
            ApiError::IdempotencyKeyReused => Some("Idempotency-Key".into()),
            ApiError::Render(RenderError::Field { field, .. }) => Some(field.clone()),
            _ => None,
        }
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldError::new(field, reason)])
    }

    pub fn parameter(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::BadParameter(FieldError::new(field, reason))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The source chain names no person: store and render errors carry ids and reasons only.
            tracing::error!(code = self.code(), error = %error_chain(&self), "request failed");
        }
        let errors = match &self {
            ApiError::Invalid(v) if v.len() > 1 => Some(v.as_slice()),
            _ => None,
        };
        let detail = match &self {
            ApiError::Render(e @ RenderError::Field { .. }) => {
                format!("correct the case before its poster can be made: {e}")
            }
            _ => self.to_string(),
        };
        let body = Problem {
            kind: format!("{TYPE_PREFIX}{}", self.code()),
            title: self.title(),
            status: status.as_u16(),
            detail: detail.clone(),
            instance: INSTANCE.try_with(Clone::clone).ok(),
            code: self.code(),
            message: detail,
            field: self.field(),
            errors,
        };
        let json = serde_json::to_vec(&body).expect("plain data serialises");
        let mut response = (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            json,
        )
            .into_response();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is not read, so this connection cannot carry another request;
            // saying so stops clients from reusing it.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if matches!(self, ApiError::Overloaded | ApiError::TimedOut(_)) {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// serde_path_to_error writes `?` for a key it never read (the document ended): name the body.
fn tidy(mut f: FieldError) -> FieldError {
    if f.field == "?" {
        f.field = "body".into();
    } else if let Some(parent) = f.field.strip_suffix(".?") {
        f.field = parent.to_string();
    }
    f
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Malformed(f) => ApiError::Malformed(tidy(f)),
            CaseError::Invalid(v) => ApiError::Invalid(v),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::CaseNumberTaken(n) => ApiError::CaseNumberTaken(n),
            StoreError::IdempotencyKeyReused => ApiError::IdempotencyKeyReused,
            StoreError::VersionConflict => ApiError::Busy,
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::AlreadyExists(what) => ApiError::AlreadyExists(what),
            e @ (StoreError::BadRow(_) | StoreError::Corrupt { .. }) => ApiError::Corrupt(e),
            other => ApiError::Store(other),
        }
    }
}

impl From<crate::app::PosterError> for ApiError {
    fn from(e: crate::app::PosterError) -> Self {
        use crate::app::PosterError;
        match e {
            PosterError::Store(e) => e.into(),
            PosterError::Render(e) => ApiError::Render(e),
            PosterError::Cpu(e) => e.into(),
            PosterError::BadDate(_) => ApiError::Internal,
        }
    }
}

impl From<crate::cpu::CpuError> for ApiError {
    fn from(e: crate::cpu::CpuError) -> Self {
        match e {
            crate::cpu::CpuError::Busy => ApiError::Overloaded,
            crate::cpu::CpuError::Join(_) => ApiError::Internal,
        }
    }
}
