//! A test send: the email a partner would get for the case's current version, sent to the case
//! manager who asked and no one else, with TEST in its subject, across its text and across both
//! posters. Nothing is queued in the outbox and no partner is told, so a test can never be mistaken
//! for, or turn into, the live send.

use std::time::Duration;

use super::{AppState, PosterError, issue_date};
use crate::cases::Lang;
use crate::dispatch::SendOutcome;
use crate::dispatch::email::{Audience, EmailError, EmailInput, PdfAttachment};
use crate::dispatch::payload::{CaseSummary, EventType};
use crate::posters::Format;
use crate::store::{Actor, AuditEvent, CaseId, StoreError};

/// How long a test send may take before the case manager is told it did not go.
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum TestSendError {
    #[error("the case is closed: nothing of it is sent")]
    Closed,
    #[error("no such case")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("poster: {0}")]
    Poster(#[from] PosterError),
    #[error("email: {0}")]
    Email(#[from] EmailError),
    /// The mail server did not take it; the text says why.
    #[error("not sent: {0}")]
    NotSent(String),
}

/// Who the test goes to.
pub struct Tester<'a> {
    pub actor: &'a Actor,
    pub email: &'a str,
    pub display_name: &'a str,
}

/// Send the test of case `id` in `lang` to `to` alone, and audit it.
pub async fn send_test(
    app: &AppState,
    id: CaseId,
    lang: Lang,
    to: &Tester<'_>,
) -> Result<(), TestSendError> {
    let version = app
        .store
        .case_version(id, None)
        .await?
        .ok_or(TestSendError::NotFound)?;
    if !version.document.is_active() {
        return Err(TestSendError::Closed);
    }
    let pdf = app
        .poster_source
        .test_poster(id, &version, lang, Format::Letter)
        .await?;
    let square = app
        .poster_source
        .test_poster(id, &version, lang, Format::Square)
        .await?;
    let issued = issue_date(&version)?;
    let case = CaseSummary::from_case(
        &version.document,
        issued,
        &app.settings.organisation.hotline,
    );
    let delivery_id = format!("test-{}", uuid::Uuid::new_v4().simple());
    let filename = format!(
        "TEST-{}-v{}.pdf",
        version.document.case_number, version.meta.version
    );
    let input = EmailInput {
        delivery_id: &delivery_id,
        event: EventType::Issued,
        lang,
        case: &case,
        version: u32::try_from(version.meta.version).unwrap_or(u32::MAX),
        partner_name: to.display_name,
        audience: Audience::Partner { locations: &[] },
        reason: None,
        posters: &[],
        square_png: Some(&square),
        pdf: Some(PdfAttachment {
            filename: &filename,
            bytes: &pdf,
        }),
        organisation: &app.settings.organisation.name,
    };
    let channels = &app.dispatch.channels;
    let message = channels.composer.compose_test(&input, to.email)?;
    match channels.mailer.send(&message, &delivery_id, TIMEOUT).await {
        SendOutcome::Delivered => {}
        SendOutcome::Retry { error, .. }
        | SendOutcome::Failed { error }
        | SendOutcome::DisableEndpoint { error }
        | SendOutcome::Cancelled { error } => return Err(TestSendError::NotSent(error)),
    }
    app.store
        .record_audit(AuditEvent {
            actor: to.actor,
            action: "case.test_send",
            case_id: Some(id),
            subject: Some(lang.code().to_string()),
            version: Some(version.meta.version),
        })
        .await?;
    tracing::info!(case_id = %id, version = version.meta.version, "test send to the case manager");
    Ok(())
}
