//! People and machines, for administrators: console accounts (made with a one-time password shown
//! once, reset the same way) and API tokens (made with their secret shown once, revoked with a
//! button). Every change is in the audit log, by id.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use crate::accounts;
use crate::app::AppState;
use crate::console::session::Viewer;
use crate::console::{Console, ConsoleError};
use crate::partners::PartnerId;
use crate::store::{Role, StoreError, TokenId};

async fn users_page(
    app: &AppState,
    console: &Console,
    viewer: &Viewer,
    outcome: minijinja::Value,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let users = app.store.users().await?;
    let rows: Vec<_> = users
        .iter()
        .map(|u| {
            context! {
                id => u.id.to_string(), email => &u.email, name => &u.display_name,
                role => u.role.as_str(), partner => u.partner_id.as_ref().map(|p| p.as_str()),
                created_at => &u.created_at, disabled => u.disabled_at.is_some(),
            }
        })
        .collect();
    let partners: Vec<(String, String)> = app
        .targeting
        .snapshot()
        .partners()
        .iter()
        .map(|p| (p.id.as_str().to_string(), p.name.clone()))
        .collect();
    let html = console.pages.render(
        "users.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, users => rows, partners => partners,
            ..outcome
        },
    )?;
    Ok((status, html).into_response())
}

pub async fn users(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    users_page(&app, &console, &viewer, context! {}, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct NewUser {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    partner: String,
}

pub async fn create_user(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Form(f): Form<NewUser>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    viewer.check(&f.csrf)?;
    let mut errors = std::collections::BTreeMap::new();
    let email = accounts::normalise_email(&f.email)
        .map_err(|e| errors.insert("email", e.to_string()))
        .ok();
    let name = accounts::display_name(&f.name)
        .map_err(|e| errors.insert("name", e.to_string()))
        .ok();
    let role = Role::parse(&f.role);
    if role.is_none() {
        errors.insert(
            "role",
            "choose administrator, case manager or partner user".into(),
        );
    }
    let partner = f.partner.trim();
    let partner = match (role, partner.is_empty()) {
        (Some(Role::Partner), true) => {
            errors.insert(
                "partner",
                "a partner user belongs to a partner: give its id".into(),
            );
            None
        }
        (Some(Role::Partner), false) => PartnerId::parse(partner)
            .map_err(|e| errors.insert("partner", e))
            .ok(),
        (_, false) => {
            errors.insert(
                "partner",
                "only a partner user belongs to a partner: leave it empty".into(),
            );
            None
        }
        (_, true) => None,
    };
    let typed =
        context! { email => &f.email, name => &f.name, role => &f.role, partner => &f.partner };
    let (Some(email), Some(name), Some(role), true) = (email, name, role, errors.is_empty()) else {
        let outcome = context! { errors => errors, typed => typed };
        return users_page(
            &app,
            &console,
            &viewer,
            outcome,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let password = accounts::one_time_password();
    let hash =
        accounts::hash_password(&password).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let now = app.distributor.clock().now();
    let made = match &partner {
        Some(p) => {
            app.store
                .create_partner_user(&email, &name, p, &hash, &viewer.actor(), now)
                .await
        }
        None => {
            app.store
                .create_user(&email, &name, role, &hash, &viewer.actor(), now)
                .await
        }
    };
    match made {
        Ok(u) => {
            tracing::info!(user_id = %u.id, "account made in the console");
            let outcome = context! { made => context! { email => email, password => password } };
            users_page(&app, &console, &viewer, outcome, StatusCode::OK).await
        }
        Err(e @ (StoreError::AlreadyExists(_) | StoreError::NotFound(_))) => {
            let errors = match e {
                StoreError::AlreadyExists(_) => {
                    context! { email => format!("{email} already has an account: reset its password below instead") }
                }
                _ => context! { partner => format!("no partner {}", f.partner.trim()) },
            };
            let outcome = context! { errors => errors, typed => typed };
            users_page(
                &app,
                &console,
                &viewer,
                outcome,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct Reset {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// A new one-time password for an account; every session of that account ends.
pub async fn reset_password(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Form(f): Form<Reset>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    viewer.check(&f.csrf)?;
    let password = accounts::one_time_password();
    let hash =
        accounts::hash_password(&password).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let now = app.distributor.clock().now();
    match app
        .store
        .reset_password(&f.email, &hash, &viewer.actor(), now)
        .await
    {
        Ok(u) => {
            tracing::info!(user_id = %u.id, "password reset in the console");
            let outcome = context! { made => context! { email => u.email, password => password, reset => true } };
            users_page(&app, &console, &viewer, outcome, StatusCode::OK).await
        }
        Err(StoreError::NotFound(_)) => {
            let outcome = context! { error => "That account no longer exists." };
            users_page(&app, &console, &viewer, outcome, StatusCode::NOT_FOUND).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn tokens_page(
    app: &AppState,
    console: &Console,
    viewer: &Viewer,
    outcome: minijinja::Value,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let tokens = app.store.tokens().await?;
    let partners: Vec<String> = app
        .store
        .partners(false)
        .await?
        .into_iter()
        .map(|p| p.partner.id.to_string())
        .collect();
    let html = console.pages.render(
        "tokens.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, tokens => tokens, partners => partners,
            ..outcome
        },
    )?;
    Ok((status, html).into_response())
}

pub async fn tokens(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    tokens_page(&app, &console, &viewer, context! {}, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct NewToken {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    partner: String,
    #[serde(default)]
    label: String,
}

pub async fn create_token(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Form(f): Form<NewToken>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    viewer.check(&f.csrf)?;
    let typed = context! { role => &f.role, partner => &f.partner, label => &f.label };
    let refuse = |field: &'static str, why: String| {
        let mut errors = std::collections::BTreeMap::new();
        errors.insert(field, why);
        context! { errors => errors, typed => typed.clone() }
    };
    let role = Role::parse(&f.role);
    let partner = f.partner.trim();
    let label = f.label.trim();
    let problem = match (role, partner.is_empty()) {
        (None, _) => Some(refuse("role", "choose a role".into())),
        (Some(Role::Partner), true) => Some(refuse(
            "partner",
            "a partner token names its partner".into(),
        )),
        (Some(Role::Admin | Role::CaseManager), false) => Some(refuse(
            "partner",
            "only a partner token names a partner".into(),
        )),
        _ if label.chars().count() > 100 => Some(refuse("label", "at most 100 characters".into())),
        _ => None,
    };
    if let Some(outcome) = problem {
        return tokens_page(
            &app,
            &console,
            &viewer,
            outcome,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let role = role.expect("checked above");
    let partner_id = if partner.is_empty() {
        None
    } else {
        match PartnerId::parse(partner) {
            Ok(p) => Some(p),
            Err(_) => {
                let outcome = refuse("partner", format!("no partner {partner}"));
                return tokens_page(
                    &app,
                    &console,
                    &viewer,
                    outcome,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
    };
    let label = (!label.is_empty()).then_some(label);
    match app
        .store
        .create_token(role, partner_id.as_ref(), label, &viewer.actor())
        .await
    {
        Ok(t) => {
            tracing::info!(token_id = %t.id, "token made in the console");
            let outcome =
                context! { made => context! { id => t.id.to_string(), secret => t.secret } };
            tokens_page(&app, &console, &viewer, outcome, StatusCode::OK).await
        }
        Err(StoreError::NotFound(_)) => {
            let outcome = refuse("partner", format!("no partner {partner}"));
            tokens_page(
                &app,
                &console,
                &viewer,
                outcome,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct Revoke {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

pub async fn revoke_token(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Form(f): Form<Revoke>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    viewer.check(&f.csrf)?;
    let id: TokenId = f.id.parse().map_err(|_| ConsoleError::NotFound)?;
    match app.store.revoke_token(id, &viewer.actor()).await {
        Ok(()) => {
            tracing::info!(token_id = %id, "token revoked in the console");
            let outcome = context! { revoked => id.to_string() };
            tokens_page(&app, &console, &viewer, outcome, StatusCode::OK).await
        }
        Err(StoreError::NotFound(_)) => Err(ConsoleError::NotFound),
        Err(e) => Err(e.into()),
    }
}
