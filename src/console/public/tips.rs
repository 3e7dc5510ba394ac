//! The tip form of a case's public page: what was seen, where, how long ago; contact details and a
//! photo if the sender wishes. A bad form comes back with every problem beside its field and
//! everything typed kept. Bots meet a hidden field and a per-address limit, never a puzzle from a
//! third party; a person who is held back is told so plainly, with the number to call instead.
//! After a case closes a tip is still kept, and the sender is told the appeal has ended.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Extension, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::{Appeal, appeal, language, public, render};
use crate::app::AppState;
use crate::cases::Lang;
use crate::console::{Console, ConsoleError};
use crate::store::{TipOrigin, TipPhoto};
use crate::tips::{Issue, NewTip, Problem, TipForm, image_type, limits};

/// Tips one address may send in the throttle's window (15 minutes): a witness rarely sends more
/// than a few; a script sends hundreds.
pub const PER_ADDRESS: usize = 10;

/// The form's body at most. Twice the photo limit: a photo somewhat too large is read to its end and
/// answered with a message beside the field (a server that stops reading an upload early resets the
/// connection, and the sender sees an error page of their browser instead); beyond this the
/// connection is closed.
pub const BODY_MAX: usize = 2 * limits::PHOTO + 1_000_000;

/// What the multipart form held.
#[derive(Default)]
struct Sent {
    form: TipForm,
    lang: String,
    source: String,
    trap: String,
    photo: Option<Vec<u8>>,
    photo_too_large: bool,
}

async fn read(mut multipart: Multipart) -> Sent {
    let mut sent = Sent::default();
    while let Ok(Some(mut field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        if name == "photo" {
            let mut bytes = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if bytes.len() + chunk.len() <= limits::PHOTO => {
                        bytes.extend_from_slice(&chunk);
                    }
                    // too large: the rest is read and dropped, so the answer reaches the sender
                    Ok(Some(_)) => sent.photo_too_large = true,
                    Ok(None) => break,
                    Err(_) => {
                        sent.photo_too_large = true;
                        return sent;
                    }
                }
            }
            if !bytes.is_empty() && !sent.photo_too_large {
                sent.photo = Some(bytes);
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        let f = &mut sent.form;
        match name.as_str() {
            "what" => f.what = value,
            "where" => f.place = value,
            "when" => f.when = value,
            "time" => f.time = value,
            "name" => f.name = value,
            "phone" => f.phone = value,
            "email" => f.email = value,
            "lang" => sent.lang = value,
            "from" => sent.source = value,
            "website" => sent.trap = value,
            _ => {}
        }
    }
    sent
}

pub async fn send(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let Appeal { id, version, open } = appeal(&app, &console, &code).await?;
    let sent = read(multipart).await;
    let lang = language(&version, Some(sent.lang.as_str()));
    let words = super::words::of(lang);
    let w = &words.tips;
    let now = app.distributor.clock().now();
    let org = &app.settings.organisation;
    // a form a person cannot see was filled in: a bot. It is thanked and nothing is kept.
    if !sent.trap.trim().is_empty() {
        tracing::info!(case_id = %id, "tip form with its hidden field filled: not kept");
        return thanks(&app, &console, lang, open);
    }
    let key = format!("tip:{}", peer.ip());
    if !console.tip_throttle.allowed(&key, PER_ADDRESS, now) {
        tracing::warn!(case_id = %id, "tips held back from one address");
        let html = console.pages.render(
            "public_busy.html",
            context! { t => w, lang => lang.code(), rtl => lang.right_to_left(), hotline => &org.hotline,
            hotline_tel => super::tel_href(&org.hotline) },
        )?;
        let mut response = public((StatusCode::TOO_MANY_REQUESTS, html).into_response(), lang);
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            "900".parse().expect("a number"),
        );
        return Ok(response);
    }
    // a via code that stands for nothing (typed, or made up) is not kept
    let source = match app.store.via(&sent.source).await? {
        Some(_) => Some(sent.source.clone()),
        None => None,
    };
    let checked = sent.form.check();
    let mut problems: Vec<Problem> = checked.clone().err().unwrap_or_default();
    let photo = match &sent.photo {
        Some(bytes) => match image_type(bytes) {
            Some(t) => Some(TipPhoto {
                content_type: t.into(),
                bytes: bytes.clone(),
            }),
            None => {
                problems.push(("photo", Issue::NotAPhoto));
                None
            }
        },
        None => None,
    };
    if sent.photo_too_large {
        problems.push(("photo", Issue::PhotoTooLarge));
    }
    if !problems.is_empty() {
        if !open {
            // the appeal ended while the form was open: nothing to show it again on
            return thanks(&app, &console, lang, open);
        }
        let mut errors: std::collections::BTreeMap<&str, String> = problems
            .into_iter()
            .map(|(field, issue)| (field, words.problem(field, issue)))
            .collect();
        if sent.photo.is_some() {
            // a browser never sends a file again: say so, even when only another field was wrong
            errors
                .entry("photo")
                .or_insert_with(|| w.photo_again.clone());
        }
        let form = context! {
            v => context! { source => source, ..minijinja::Value::from_serialize(&sent.form) },
            e => errors, problems => true,
        };
        return render(
            &app,
            &console,
            &code,
            &version,
            lang,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let Ok(tip) = checked else {
        return Err(ConsoleError::Internal(
            "a tip with problems was not shown again".into(),
        ));
    };
    // an erased case keeps nothing personal: a late tip keeps what was seen, not who sent it
    let (tip, photo) = if version.erased_at.is_some() {
        let anonymous = NewTip {
            name: None,
            phone: None,
            email: None,
            ..tip
        };
        (anonymous, None)
    } else {
        (tip, photo)
    };
    let origin = TipOrigin {
        case: id,
        version: version.meta.version,
        lang,
        source,
        after_close: !open,
    };
    let tip_id = app
        .store
        .add_tip(&origin, &tip, photo.as_ref(), now)
        .await?;
    console.tip_throttle.failed(&key, now);
    tracing::info!(case_id = %id, tip = %tip_id, urgent = tip.when.urgent(), "tip received");
    thanks(&app, &console, lang, open)
}

fn thanks(
    app: &AppState,
    console: &Console,
    lang: Lang,
    open: bool,
) -> Result<Response, ConsoleError> {
    let org = &app.settings.organisation;
    let html = console.pages.render(
        "public_thanks.html",
        context! {
            t => &super::words::of(lang).tips, lang => lang.code(), rtl => lang.right_to_left(), open => open, organisation => &org.name,
            hotline => &org.hotline, hotline_tel => super::tel_href(&org.hotline),
        },
    )?;
    Ok(public((StatusCode::OK, html).into_response(), lang))
}
