//! Signing in and out. The sign-in form carries a token that must match a cookie set with it (there
//! is no session yet to hold one); tries are throttled per account and per address; every sign-in
//! and every failure goes to the audit log by id.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::session::{self, SESSION_COOKIE, SIGN_IN_COOKIE, SignedIn};
use super::throttle::{PER_ACCOUNT, PER_ADDRESS};
use super::{Console, ConsoleError};
use crate::accounts;
use crate::app::AppState;
use crate::store::{Actor, AuditEvent};

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

/// Only a path of this site: never another host (`//host`) or a scheme.
fn local(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/cases".to_string(),
    }
}

/// Where a signed-in user goes: a partner user to its portal (the console is not theirs), the
/// organisation's people anywhere but the portal.
fn landing(user: &crate::store::UserRecord, next: String) -> String {
    let portal = next == "/portal" || next.starts_with("/portal/") || next.starts_with("/portal?");
    match (user.role == crate::store::Role::Partner, portal) {
        (true, false) => "/portal".to_string(),
        (false, true) => "/cases".to_string(),
        _ => next,
    }
}

fn page(
    console: &Console,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Result<Response, ConsoleError> {
    let csrf = session::token();
    let html = console.pages.render(
        "sign_in.html",
        context! { csrf => &csrf, next => next, email => email, error => error },
    )?;
    let cookie = session::set_cookie(SIGN_IN_COOKIE, &csrf, console.secure_cookies, Some(3600));
    Ok((status, [(header::SET_COOKIE, cookie)], html).into_response())
}

pub async fn form(
    Extension(console): Extension<Arc<Console>>,
    Query(q): Query<Next>,
) -> Result<Response, ConsoleError> {
    page(
        &console,
        StatusCode::OK,
        &local(q.next.as_deref()),
        "",
        None,
    )
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> Result<Response, ConsoleError> {
    let next = local(f.next.as_deref());
    let expected = session::cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(&f.csrf, expected) {
        return Err(ConsoleError::Csrf);
    }
    let now = app.distributor.clock().now();
    let email =
        accounts::normalise_email(&f.email).unwrap_or_else(|_| f.email.trim().to_lowercase());
    let (account_key, address_key) = (format!("account:{email}"), format!("address:{}", peer.ip()));
    let throttle = &console.throttle;
    if !throttle.allowed(&account_key, PER_ACCOUNT, now)
        || !throttle.allowed(&address_key, PER_ADDRESS, now)
    {
        let actor = Actor::System("sign-in");
        audit(&app, &actor, "console.sign_in_throttled", None).await?;
        let msg = "Too many tries. Wait 15 minutes and try again, or ask an administrator to reset your password.";
        return page(
            &console,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &f.email,
            Some(msg),
        );
    }
    let found = app.store.user_for_sign_in(&email).await?;
    let user = match found {
        Some((user, hash)) if user.disabled_at.is_none() => {
            // hashing is slow on purpose: off the async threads
            let password = f.password.clone();
            let ok =
                tokio::task::spawn_blocking(move || accounts::verify_password(&password, &hash))
                    .await
                    .map_err(|e| ConsoleError::Internal(e.to_string()))?;
            ok.then_some(user)
        }
        _ => None,
    };
    let Some(user) = user else {
        throttle.failed(&account_key, now);
        throttle.failed(&address_key, now);
        let actor = Actor::System("sign-in");
        audit(&app, &actor, "console.sign_in_failed", None).await?;
        let msg = "That email and password do not match an account. Check both and try again.";
        return page(
            &console,
            StatusCode::UNAUTHORIZED,
            &next,
            &f.email,
            Some(msg),
        );
    };
    throttle.succeeded(&account_key);
    let next = landing(&user, next);
    let (token, csrf) = (session::token(), session::token());
    app.store.start_session(user.id, &token, &csrf, now).await?;
    let actor = Actor::User(user.id);
    audit(&app, &actor, "console.sign_in", Some(user.id.to_string())).await?;
    tracing::info!(user_id = %user.id, "signed in to the console");
    let cookie = session::set_cookie(SESSION_COOKIE, &token, console.secure_cookies, None);
    let clear = session::set_cookie(SIGN_IN_COOKIE, "", console.secure_cookies, Some(0));
    // two cookies: `AppendHeaders`, as an array of headers would keep only the last
    Ok((
        AppendHeaders([(header::SET_COOKIE, cookie), (header::SET_COOKIE, clear)]),
        Redirect::to(&next),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Token {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: SignedIn,
    Form(f): Form<Token>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    app.store
        .end_session(&viewer.token, app.distributor.clock().now())
        .await?;
    audit(&app, &viewer.actor(), "console.sign_out", None).await?;
    let clear = session::set_cookie(SESSION_COOKIE, "", console.secure_cookies, Some(0));
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/sign-in")).into_response())
}

async fn audit(
    app: &AppState,
    actor: &Actor,
    action: &'static str,
    subject: Option<String>,
) -> Result<(), ConsoleError> {
    app.store
        .record_audit(AuditEvent {
            actor,
            action,
            case_id: None,
            subject,
            version: None,
        })
        .await?;
    Ok(())
}
