//! "Send a test to me": the partner email for the case as it is now, to the signed-in case
//! manager alone, marked TEST. It has a page of its own, yellow and striped, with wording that
//! cannot be read as the live send (the 2018 Hawaii false alarm came from a test and a live alert
//! sharing one screen and one "are you sure?"). Nothing is queued for partners.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::session::Viewer;
use super::{Console, ConsoleError};
use crate::app::{AppState, TestSendError, Tester, send_test};
use crate::cases::Lang;
use crate::store::{CaseId, CaseRecord};

async fn open(app: &AppState, raw: &str) -> Result<(CaseId, CaseRecord), ConsoleError> {
    let id: CaseId = raw.parse().map_err(|_| ConsoleError::NotFound)?;
    let record = app.store.case(id).await?.ok_or(ConsoleError::NotFound)?;
    Ok((id, record))
}

fn page(
    console: &Console,
    viewer: &Viewer,
    id: CaseId,
    record: &CaseRecord,
    outcome: minijinja::Value,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let langs: Vec<&str> = record.document.languages.iter().map(|l| l.code()).collect();
    let html = console.pages.render(
        "test_send.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, id => id.to_string(),
            case_number => &record.document.case_number, version => record.version,
            email => &viewer.user.email, langs => langs, ..outcome,
        },
    )?;
    Ok((status, html).into_response())
}

pub async fn form(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let (id, record) = open(&app, &id).await?;
    if !record.document.is_active() {
        return Ok(Redirect::to(&format!("/cases/{id}")).into_response());
    }
    page(&console, &viewer, id, &record, context! {}, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct TestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}

pub async fn send(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<TestForm>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let (id, record) = open(&app, &id).await?;
    let Some(lang) = Lang::parse(&f.lang).filter(|l| record.document.languages.contains(l)) else {
        let outcome = context! { error => "Choose one of the case's languages." };
        return page(
            &console,
            &viewer,
            id,
            &record,
            outcome,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let tester = Tester {
        actor: &viewer.actor(),
        email: &viewer.user.email,
        display_name: &viewer.user.display_name,
    };
    match send_test(&app, id, lang, &tester).await {
        Ok(()) => {
            let outcome = context! { sent => true, lang => lang.code() };
            page(&console, &viewer, id, &record, outcome, StatusCode::OK)
        }
        Err(TestSendError::Closed) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(TestSendError::NotFound) => Err(ConsoleError::NotFound),
        Err(e @ (TestSendError::NotSent(_) | TestSendError::Email(_))) => {
            tracing::warn!(case_id = %id, error = %e, "test send did not go");
            let outcome = context! { error => format!("The test did not go: {e}. Nothing was sent to partners. Try again, or ask your administrator to check the mail server.") };
            page(
                &console,
                &viewer,
                id,
                &record,
                outcome,
                StatusCode::BAD_GATEWAY,
            )
        }
        Err(e) => Err(ConsoleError::Internal(format!(
            "test send of case {id}: {e}"
        ))),
    }
}
