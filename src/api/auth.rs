//! Who is calling, and what their role lets them do.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};

use super::AppState;
use super::error::ApiError;
use crate::partners::PartnerId;
use crate::store::{Actor, Principal, Role};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Can {
    /// Read cases, their versions and their posters; upload photos; create and change cases.
    WorkCases,
    /// See the partner list (who will receive posters).
    ReadPartners,
    /// Register and change partners and their locations.
    ManagePartners,
    /// Make and revoke tokens, read the audit log.
    Administer,
}

impl Can {
    fn allowed(self, role: Role) -> bool {
        match role {
            Role::Admin => true,
            Role::CaseManager => matches!(self, Can::WorkCases | Can::ReadPartners),
            // Partners receive posters through dispatch; they see nothing of cases here.
            Role::Partner => false,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Can::WorkCases => "work with cases",
            Can::ReadPartners => "read partners",
            Can::ManagePartners => "manage partners",
            Can::Administer => "administer tokens or read the audit log",
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    pub fn require(&self, what: Can) -> Result<(), ApiError> {
        if what.allowed(self.0.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(what.describe()))
        }
    }

    /// Read access to one partner: anyone who may read partners, or that partner's own token.
    pub fn require_partner(&self, id: &PartnerId) -> Result<(), ApiError> {
        if self.0.partner_id.as_ref() == Some(id) {
            return Ok(());
        }
        self.require(Can::ReadPartners)
    }

    /// The partner a partner token speaks for; any other token is refused.
    pub fn partner(&self) -> Result<&PartnerId, ApiError> {
        match (&self.0.role, &self.0.partner_id) {
            (Role::Partner, Some(id)) => Ok(id),
            _ => Err(ApiError::Forbidden("use a partner token")),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::from(&self.0)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(ApiError::Unauthenticated)?;
        match app.store.authenticate(token).await? {
            Some(p) => Ok(Caller(p)),
            None => Err(ApiError::Unauthenticated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_administer_and_partners_get_nothing() {
        for can in [
            Can::WorkCases,
            Can::ReadPartners,
            Can::ManagePartners,
            Can::Administer,
        ] {
            assert!(can.allowed(Role::Admin));
            assert!(!can.allowed(Role::Partner));
        }
        assert!(Can::WorkCases.allowed(Role::CaseManager));
        assert!(!Can::Administer.allowed(Role::CaseManager));
        assert!(!Can::ManagePartners.allowed(Role::CaseManager));
    }
}
