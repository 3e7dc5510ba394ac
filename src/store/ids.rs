//! The store's identifiers and who is acting. Parsed once at the edge; the rest trusts them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::partners::PartnerId;

macro_rules! uuid_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            Serialize,
            Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id; v7, so ids sort by creation time.
            pub fn generate() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    CaseId,
    "A case's id in this service (not the organisation's case number)."
);
uuid_id!(
    TokenId,
    "An API token's id; the token itself is never stored."
);
uuid_id!(UserId, "A person who signs in to the console.");

/// A photo's id: the hex SHA-256 of its normalised JPEG, so one picture is stored once.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct PhotoId(String);

impl PhotoId {
    pub fn of_bytes(jpeg: &[u8]) -> PhotoId {
        use sha2::{Digest, Sha256};
        PhotoId(hex::encode(Sha256::digest(jpeg)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PhotoId {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(PhotoId(s.to_string()))
        } else {
            Err("not a photo id (64 lowercase hex digits)")
        }
    }
}

impl fmt::Display for PhotoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    CaseManager,
    Partner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::CaseManager, Role::Partner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CaseManager => "case_manager",
            Role::Partner => "partner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The holder of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: TokenId,
    pub role: Role,
    /// Set exactly when `role` is `Partner`.
    pub partner_id: Option<PartnerId>,
}

/// Who made a change, as the audit log and the versions record it: a token id, never a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Token(TokenId),
    /// Someone signed in to the console.
    User(UserId),
    /// A command run on the server itself (`lookout token create`, `serve --demo`).
    System(&'static str),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Token(id) => write!(f, "token:{id}"),
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::System(what) => write!(f, "system:{what}"),
        }
    }
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Self {
        Actor::Token(p.token_id)
    }
}
