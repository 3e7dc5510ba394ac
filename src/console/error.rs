//! What goes wrong in the console, as a page that says what to do next. The cause is logged by id,
//! never with a name.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("not found")]
    NotFound,
    #[error("this page is for administrators")]
    Forbidden,
    #[error("the form had no valid token")]
    Csrf,
    #[error("not signed in")]
    SignIn { next: String },
    #[error("the database is unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("a page could not be drawn: {0}")]
    Template(String),
    #[error("{0}")]
    Internal(String),
    /// Renders and photo decodes are queued to the limit.
    #[error("too many renders waiting")]
    Busy,
    #[error("the page took too long")]
    TimedOut,
    #[error("the case has no agency email to forward a tip to")]
    NoAgencyEmail,
}

impl From<crate::poster_files::PosterError> for ConsoleError {
    fn from(e: crate::poster_files::PosterError) -> Self {
        use crate::poster_files::PosterError;
        match e {
            PosterError::Cpu(crate::cpu::CpuError::Busy) => ConsoleError::Busy,
            PosterError::Store(e) => ConsoleError::Store(e),
            other => ConsoleError::Internal(other.to_string()),
        }
    }
}

impl ConsoleError {
    fn page(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ConsoleError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. The case or page may have been removed, or the address mistyped.",
            ),
            ConsoleError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not for your role",
                "This page is for administrators. Ask one if you need something done here.",
            ),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from this page of lookout, or it is too old. Nothing was changed. Go back, reload the page and send it again.",
            ),
            ConsoleError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy for a moment",
                "lookout is making many posters at once. Nothing was lost. Reload this page in a few seconds.",
            ),
            ConsoleError::TimedOut => (
                StatusCode::SERVICE_UNAVAILABLE,
                "This took too long",
                "The page was stopped before it finished. What was saved before stays saved. Reload the page; if it keeps happening, tell your administrator the time it happened.",
            ),
            ConsoleError::NoAgencyEmail => (
                StatusCode::CONFLICT,
                "No address to forward to",
                "This case has no email address for the investigating agency, so the tip was not forwarded and nothing changed. Edit the case, fill in Contact, Email for tips, and forward the tip again.",
            ),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Nothing was lost: what was saved before stays saved. Try again in a moment; if it keeps happening, tell your administrator the time it happened.",
            ),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let ConsoleError::SignIn { next } = &self {
            let to = format!(
                "/sign-in?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            );
            return Redirect::to(&to).into_response();
        }
        let (status, title, message) = self.page();
        if status.is_server_error() {
            tracing::error!(error = %self, "console page failed");
        }
        // a page of its own, without the templates that may be what failed
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · lookout</title>\
             <link rel=\"stylesheet\" href=\"/console/static/console.css\"></head><body><main id=\"main\">\
             <div class=\"card\"><h1>{title}</h1><p>{message}</p><p><a href=\"/cases\">Back to the cases</a></p></div>\
             </main></body></html>"
        );
        let mut response = (status, axum::response::Html(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("2"),
            );
        }
        response
    }
}
