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
use serde::Serialize;

use super::{Appeal, appeal, language, public, render};
use crate::app::AppState;
use crate::cases::Lang;
use crate::console::{Console, ConsoleError};
use crate::store::{TipOrigin, TipPhoto};
use crate::tips::{NewTip, SeenWhen, TipForm, image_type, limits};

/// Tips one address may send in the throttle's window (15 minutes): a witness rarely sends more
/// than a few; a script sends hundreds.
pub const PER_ADDRESS: usize = 10;

/// The form's body at most. Twice the photo limit: a photo somewhat too large is read to its end and
/// answered with a message beside the field (a server that stops reading an upload early resets the
/// connection, and the sender sees an error page of their browser instead); beyond this the
/// connection is closed.
pub const BODY_MAX: usize = 2 * limits::PHOTO + 1_000_000;

/// What the form says, in each language.
#[derive(Serialize)]
pub struct Words {
    pub heading: &'static str,
    pub intro: &'static str,
    pub what: &'static str,
    pub what_hint: &'static str,
    pub place: &'static str,
    pub place_hint: &'static str,
    pub when: &'static str,
    pub time: &'static str,
    pub contact: &'static str,
    pub contact_hint: &'static str,
    pub name: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub photo: &'static str,
    pub photo_hint: &'static str,
    pub trap: &'static str,
    pub send: &'static str,
    pub problems: &'static str,
    pub thanks_title: &'static str,
    pub thanks: &'static str,
    pub next: &'static str,
    pub urgent: &'static str,
    pub ended: &'static str,
    pub busy_title: &'static str,
    pub busy: &'static str,
    pub photo_again: &'static str,
}

pub fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            heading: "Tell us what you saw",
            intro: "It takes a minute. What you tell us goes to the case managers and the investigators.",
            what: "What did you see?",
            what_hint: "Who you saw, what they looked like and wore, who they were with, any vehicle.",
            place: "Where?",
            place_hint: "An address, a store, a road and direction, a landmark.",
            when: "How long ago?",
            time: "The time, if you know it (optional)",
            contact: "How can the investigators reach you? (optional)",
            contact_hint: "You may stay anonymous. A way to call you back helps follow your tip up.",
            name: "Your name",
            phone: "Phone",
            email: "Email",
            photo: "A photo (optional)",
            photo_hint: "Sent as you took it, seen only by the investigators and case managers. At most 15 MB.",
            trap: "Leave this empty",
            send: "Send my tip",
            problems: "Your tip was not sent yet. Please look at the fields marked below; everything you typed is still here.",
            thanks_title: "Thank you: your tip was received",
            thanks: "Thank you. Your tip has been received and is with the case managers.",
            next: "What happens next: the case managers read every tip and pass it on to the investigating agency. If you left a way to reach you, an investigator may call you back.",
            urgent: "If you are seeing the child now, call 911.",
            ended: "This appeal is no longer active; your tip has been kept all the same. Thank you for your help.",
            busy_title: "Too many tips from here just now",
            busy: "We have received many tips from this connection in a short time, so this one was not sent. Please wait 15 minutes and send it again, or call the hotline now:",
            photo_again: "Please choose your photo again.",
        },
        Lang::Es => Words {
            heading: "Cuéntenos lo que vio",
            intro: "Le llevará un minuto. Lo que nos cuente llega a los responsables del caso y a los investigadores.",
            what: "¿Qué vio?",
            what_hint: "A quién vio, cómo era y qué llevaba puesto, con quién estaba, algún vehículo.",
            place: "¿Dónde?",
            place_hint: "Una dirección, una tienda, una carretera y dirección, un lugar conocido.",
            when: "¿Hace cuánto?",
            time: "La hora, si la sabe (opcional)",
            contact: "¿Cómo pueden contactarle los investigadores? (opcional)",
            contact_hint: "Puede permanecer en el anonimato. Una forma de llamarle ayuda a seguir su pista.",
            name: "Su nombre",
            phone: "Teléfono",
            email: "Correo electrónico",
            photo: "Una foto (opcional)",
            photo_hint: "Se envía tal como la tomó y solo la ven los investigadores y los responsables del caso. 15 MB como máximo.",
            trap: "Deje esto vacío",
            send: "Enviar mi pista",
            problems: "Su pista aún no se ha enviado. Revise los campos marcados abajo; todo lo que escribió sigue aquí.",
            thanks_title: "Gracias: hemos recibido su pista",
            thanks: "Gracias. Hemos recibido su pista y la tienen los responsables del caso.",
            next: "Qué ocurre ahora: los responsables del caso leen cada pista y la pasan a la agencia investigadora. Si dejó una forma de contactarle, un investigador puede llamarle.",
            urgent: "Si está viendo al menor ahora, llame al 911.",
            ended: "Este llamamiento ya no está activo; aun así, hemos guardado su pista. Gracias por su ayuda.",
            busy_title: "Demasiadas pistas desde aquí en este momento",
            busy: "Hemos recibido muchas pistas desde esta conexión en poco tiempo, así que esta no se ha enviado. Espere 15 minutos y vuelva a enviarla, o llame ahora a la línea de ayuda:",
            photo_again: "Vuelva a elegir su foto.",
        },
    }
}

/// The choices of "how long ago", in `lang`.
pub fn whens(lang: Lang) -> Vec<(&'static str, &'static str)> {
    SeenWhen::ALL
        .iter()
        .map(|w| {
            let label = match (lang, w) {
                (Lang::En, SeenWhen::WithinHour) => "Within the last hour",
                (Lang::En, SeenWhen::Today) => "Earlier today",
                (Lang::En, SeenWhen::Yesterday) => "Yesterday",
                (Lang::En, SeenWhen::Earlier) => "Before yesterday",
                (Lang::Es, SeenWhen::WithinHour) => "En la última hora",
                (Lang::Es, SeenWhen::Today) => "Hoy, antes",
                (Lang::Es, SeenWhen::Yesterday) => "Ayer",
                (Lang::Es, SeenWhen::Earlier) => "Antes de ayer",
            };
            (w.as_str(), label)
        })
        .collect()
}

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
    let w = words(lang);
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
            context! { t => &w, lang => lang.code(), hotline => &org.hotline,
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
    let mut problems: Vec<(&str, String)> = checked.clone().err().unwrap_or_default();
    let photo = match &sent.photo {
        Some(bytes) => match image_type(bytes) {
            Some(t) => Some(TipPhoto {
                content_type: t.into(),
                bytes: bytes.clone(),
            }),
            None => {
                problems.push((
                    "photo",
                    "This file is not a photo: send a JPEG, PNG, WebP or HEIC picture.".into(),
                ));
                None
            }
        },
        None => None,
    };
    if sent.photo_too_large {
        problems.push((
            "photo",
            "The photo is larger than 15 MB: send a smaller one.".into(),
        ));
    }
    if !problems.is_empty() {
        if !open {
            // the appeal ended while the form was open: nothing to show it again on
            return thanks(&app, &console, lang, open);
        }
        if sent.photo.is_some() && !problems.iter().any(|p| p.0 == "photo") {
            problems.push(("photo", w.photo_again.into()));
        }
        let errors: std::collections::BTreeMap<&str, String> = problems.into_iter().collect();
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
            t => words(lang), lang => lang.code(), open => open, organisation => &org.name,
            hotline => &org.hotline, hotline_tel => super::tel_href(&org.hotline),
        },
    )?;
    Ok(public((StatusCode::OK, html).into_response(), lang))
}
