//! Who is signed in: the session cookie, looked up in the database on each request, and the
//! CSRF token every form of that session carries.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde::Serialize;

use super::ConsoleError;
use crate::app::AppState;
use crate::partners::PartnerId;
use crate::store::{Actor, Role, SessionInfo, UserRecord};

pub const SESSION_COOKIE: &str = "lookout_session";
/// The token of the sign-in form, before there is a session (double-submit).
pub const SIGN_IN_COOKIE: &str = "lookout_sign_in";
/// Sessions end after this long without a request.
pub const IDLE: Duration = Duration::from_secs(12 * 3600);

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a console cookie: HttpOnly, SameSite=Lax, Secure over https; `max_age` 0 ends it.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// A random token for a cookie or a form.
pub fn token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Constant-time equality for tokens.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The signed-in user of this request. A request without a live session is sent to sign in.
pub struct Viewer {
    pub user: UserRecord,
    pub csrf: String,
}

/// What every page's header needs to know of the viewer.
#[derive(Serialize)]
pub struct ViewerView<'a> {
    pub display_name: &'a str,
    pub role: &'static str,
}

impl Viewer {
    pub fn actor(&self) -> Actor {
        Actor::User(self.user.id)
    }

    pub fn view(&self) -> ViewerView<'_> {
        ViewerView {
            display_name: &self.user.display_name,
            role: self.user.role.as_str(),
        }
    }

    /// The form's token matches this session's.
    pub fn check(&self, form_token: &str) -> Result<(), ConsoleError> {
        csrf_matches(&self.csrf, form_token)
    }

    pub fn require_admin(&self) -> Result<(), ConsoleError> {
        match self.user.role {
            Role::Admin => Ok(()),
            _ => Err(ConsoleError::Forbidden),
        }
    }
}

/// A form's token against its session's.
fn csrf_matches(session: &str, form_token: &str) -> Result<(), ConsoleError> {
    if same(form_token, session) {
        Ok(())
    } else {
        Err(ConsoleError::Csrf)
    }
}

/// The live session of this request and its cookie, or the way to the sign-in page.
async fn session_of(parts: &Parts, app: &AppState) -> Result<(SessionInfo, String), ConsoleError> {
    let next = parts
        .uri
        .path_and_query()
        .map_or("/cases".to_string(), |p| p.as_str().to_string());
    let sign_in = || ConsoleError::SignIn { next: next.clone() };
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Err(sign_in());
    };
    let now = app.distributor.clock().now();
    match app.store.session(token, IDLE, now).await? {
        Some(session) => Ok((session, token.to_string())),
        None => Err(sign_in()),
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, _) = session_of(parts, app).await?;
        // partner users have a portal of their own; the console is for the organisation
        if session.user.role == Role::Partner {
            return Err(ConsoleError::Forbidden);
        }
        Ok(Viewer {
            user: session.user,
            csrf: session.csrf,
        })
    }
}

/// Anyone signed in, of any role: what signing out needs.
pub struct SignedIn {
    pub user: UserRecord,
    pub csrf: String,
    pub token: String,
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        Actor::User(self.user.id)
    }

    /// The form's token matches this session's.
    pub fn check(&self, form_token: &str) -> Result<(), ConsoleError> {
        csrf_matches(&self.csrf, form_token)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, token) = session_of(parts, app).await?;
        Ok(SignedIn {
            user: session.user,
            csrf: session.csrf,
            token,
        })
    }
}

/// A signed-in partner user, and the one partner whose portal it sees.
pub struct PartnerViewer {
    pub user: UserRecord,
    pub partner: PartnerId,
    pub csrf: String,
}

impl PartnerViewer {
    pub fn view(&self) -> ViewerView<'_> {
        ViewerView {
            display_name: &self.user.display_name,
            role: self.user.role.as_str(),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::User(self.user.id)
    }

    /// The form's token matches this session's.
    pub fn check(&self, form_token: &str) -> Result<(), ConsoleError> {
        csrf_matches(&self.csrf, form_token)
    }
}

impl FromRequestParts<AppState> for PartnerViewer {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, _) = session_of(parts, app).await?;
        // the portal is a partner's own: the organisation's people work in the console
        let Some(partner) = session.user.partner_id.clone() else {
            return Err(ConsoleError::Forbidden);
        };
        Ok(PartnerViewer {
            user: session.user,
            partner,
            csrf: session.csrf,
        })
    }
}
