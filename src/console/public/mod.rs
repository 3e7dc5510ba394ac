//! The one public page: a case's appeal at the short address its posters' QR codes open, served
//! without sign-in. It shows what the poster shows, as an image and as text a screen reader reads,
//! with the numbers to call as `tel:` links, in the case's languages. Once the case is closed it
//! answers 410 with a thank-you and nothing of the child; search engines are told to index neither.

use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::cases::Lang;
use crate::dispatch::payload::CaseSummary;
use crate::store::{CaseId, VersionRecord, is_via_code};

pub mod cache;
pub mod tips;
pub mod words;

use bytes::Bytes;
use cache::PageKey;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    lang: Option<String>,
    /// What the QR code carried: the poster it was printed on, and whose it was.
    from: Option<String>,
}

/// The case behind `code`, its current version, and whether its appeal is still open (not closed,
/// not erased). Whether it is open is asked every time; the version's record is parsed once.
async fn appeal(app: &AppState, console: &Console, code: &str) -> Result<Appeal, ConsoleError> {
    let found = app
        .store
        .public_case(code)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let version = match console.public.version(found.id, found.version) {
        Some(v) => v,
        None => {
            let v = app
                .store
                .case_version(found.id, Some(found.version))
                .await?
                .ok_or(ConsoleError::NotFound)?;
            let v = Arc::new(v);
            console.public.keep_version(found.id, v.clone());
            v
        }
    };
    let open = found.open && version.erased_at.is_none() && version.document.is_active();
    Ok(Appeal {
        id: found.id,
        version,
        open,
    })
}

struct Appeal {
    id: CaseId,
    version: Arc<VersionRecord>,
    open: bool,
}

/// The language asked for when the case has it, else the case's first.
fn language(version: &VersionRecord, asked: Option<&str>) -> Lang {
    let langs = &version.document.languages;
    asked
        .and_then(Lang::parse)
        .filter(|l| langs.contains(l))
        .or_else(|| langs.first().copied())
        .unwrap_or(Lang::En)
}

/// Every answer of the public page: never indexed, never kept by a cache (a closed case must
/// vanish at once).
fn public(mut response: Response, lang: Lang) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow, noarchive"),
    );
    if let Ok(v) = HeaderValue::from_str(lang.code()) {
        headers.insert(header::CONTENT_LANGUAGE, v);
    }
    response
}

pub async fn page(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ConsoleError> {
    let Appeal { id, version, open } = appeal(&app, &console, &code).await?;
    if !open {
        return ended(&console, q.lang.as_deref());
    }
    let lang = language(&version, q.lang.as_deref());
    let source = known_via(&app, &console, q.from).await?;
    let now = app.distributor.clock().now();
    app.visits
        .count(id, source.as_deref().unwrap_or_default(), now);
    // a crowd from one billboard asks for the same page: drawn once a day per version
    let key = PageKey {
        case: id,
        version: version.meta.version,
        lang,
        via: source.clone(),
        day: now.date_naive(),
    };
    if let Some(html) = console.public.page(&key) {
        return Ok(public(html_response(StatusCode::OK, html), lang));
    }
    let form = context! { v => context! { source => source }, e => context! {} };
    let html = Bytes::from(page_html(&app, &console, &code, &version, lang, form)?);
    console.public.keep_page(key, html.clone());
    Ok(public(html_response(StatusCode::OK, html), lang))
}

/// `from` when it is a via code the database knows (a made-up one counts as no code: it can
/// neither grow the visit counts nor reach a tip).
async fn known_via(
    app: &AppState,
    console: &Console,
    from: Option<String>,
) -> Result<Option<String>, ConsoleError> {
    let Some(code) = from.filter(|s| is_via_code(s)) else {
        return Ok(None);
    };
    let known = match console.public.via_known(&code) {
        Some(k) => k,
        None => {
            let k = app.store.via(&code).await?.is_some();
            console.public.keep_via(&code, k);
            k
        }
    };
    Ok(known.then_some(code))
}

fn html_response(status: StatusCode, html: Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// The appeal page of `version` in `lang`, with the tip form as `form` says (`v`: values typed,
/// `e`: problems by field).
fn render(
    app: &AppState,
    console: &Console,
    code: &str,
    version: &VersionRecord,
    lang: Lang,
    form: minijinja::Value,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let html = page_html(app, console, code, version, lang, form)?;
    Ok(public(html_response(status, Bytes::from(html)), lang))
}

fn page_html(
    app: &AppState,
    console: &Console,
    code: &str,
    version: &VersionRecord,
    lang: Lang,
    form: minijinja::Value,
) -> Result<String, ConsoleError> {
    let today = app.distributor.clock().now().date_naive();
    let org = &app.settings.organisation;
    let case = CaseSummary::from_case(&version.document, today, &org.hotline);
    let contact = &version.document.contact;
    let langs: Vec<_> = version
        .document
        .languages
        .iter()
        .map(|l| context! { code => l.code(), name => &words::of(*l).name, on => *l == lang })
        .collect();
    // the values as the poster writes them in this language: feet and inches, its dates
    let shown = crate::posters::shown(&version.document, lang)
        .map_err(|e| ConsoleError::Internal(format!("public page words: {e}")))?;
    let html = console.pages.render(
        "public_case.html",
        context! {
            shown => shown,
            w => &words::of(lang).page, t => &words::of(lang).tips, lang => lang.code(), rtl => lang.right_to_left(), code => code,
            case => &case, type_label => version.document.case_type.label(lang),
            langs => langs, organisation => &org.name,
            agency_tel => tel_href(&contact.phone), hotline_tel => tel_href(&org.hotline),
            sample => version.sample, whens => words::of(lang).whens(), ..form,
        },
    )?;
    Ok(html.0)
}

/// The poster as an image, the same the partners print.
pub async fn poster(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ConsoleError> {
    let Appeal { id, version, open } = appeal(&app, &console, &code).await?;
    if !open {
        return Ok(StatusCode::GONE.into_response());
    }
    let lang = language(&version, q.lang.as_deref());
    let file = app.poster_source.print_preview(id, &version, lang).await?;
    let response = ([(header::CONTENT_TYPE, "image/png")], file.bytes.clone()).into_response();
    Ok(public(response, lang))
}

/// A closed case's page: a thank-you, nothing else. "Found" is never said: a family may not want
/// that public.
fn ended(console: &Console, asked: Option<&str>) -> Result<Response, ConsoleError> {
    let lang = asked.and_then(Lang::parse).unwrap_or(Lang::En);
    let html = console.pages.render(
        "public_ended.html",
        context! { w => &words::of(lang).page, lang => lang.code(), rtl => lang.right_to_left() },
    )?;
    Ok(public((StatusCode::GONE, html).into_response(), lang))
}

/// A number as a `tel:` link: the digits in brackets when it gives them ("1-800-THE-LOST
/// (1-800-843-5678)"), else its digits with letters read off a phone's keypad.
fn tel_href(printed: &str) -> String {
    let inside = printed
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inner, _)| inner)
        .filter(|inner| inner.chars().filter(char::is_ascii_digit).count() >= 7);
    let source = inside.unwrap_or(printed);
    let mut out = String::from("tel:");
    for (i, c) in source.trim().chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            'A'..='Z' | 'a'..='z' => out.push(keypad(c)),
            _ => {}
        }
    }
    out
}

fn keypad(c: char) -> char {
    match c.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        _ => '9',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_tel_links() {
        assert_eq!(
            tel_href("1-800-THE-LOST (1-800-843-5678)"),
            "tel:18008435678"
        );
        assert_eq!(tel_href("1-800-THE-LOST"), "tel:18008435678");
        assert_eq!(tel_href("1-703-555-0100"), "tel:17035550100");
        assert_eq!(tel_href("+1 (703) 555-0100"), "tel:+17035550100");
    }
}
