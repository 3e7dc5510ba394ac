//! API tokens. The secret is shown once, when it is made; only its SHA-256 is stored.

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::audit::{AuditEvent, record};
use super::token_cache::TokenHash;
use super::{Actor, Principal, Role, Store, StoreError, TokenId, now};
use crate::partners::PartnerId;

/// A token just made: the secret is in no other place.
pub struct NewToken {
    pub id: TokenId,
    pub secret: String,
}

/// A token as listed: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub role: String,
    pub partner_id: Option<String>,
    pub label: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Tokens start with `lk_` so secret scanners and people can tell what they are.
const PREFIX: &str = "lk_";

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Store {
    /// Make a token. A partner token must name an existing partner; other roles must not name one.
    pub async fn create_token(
        &self,
        role: Role,
        partner: Option<&PartnerId>,
        label: Option<&str>,
        actor: &Actor,
    ) -> Result<NewToken, StoreError> {
        let random: [u8; 32] = rand::random();
        let secret = format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
        );
        let id = TokenId::generate();
        let mut tx = self.write().await?;
        if let Some(p) = partner {
            let exists = sqlx::query("SELECT 1 AS one FROM partners WHERE id = $1")
                .bind(p.as_str())
                .fetch_optional(tx.conn())
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound("partner"));
            }
        }
        sqlx::query(
            "INSERT INTO tokens (id, hash, role, partner_id, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(hash(&secret))
        .bind(role.as_str())
        .bind(partner.map(|p| p.as_str().to_string()))
        .bind(label.map(str::to_string))
        .bind(now())
        .execute(tx.conn())
        .await?;
        let event = AuditEvent {
            actor,
            action: "token.create",
            case_id: None,
            subject: Some(id.to_string()),
            version: None,
        };
        record(tx.conn(), event).await?;
        tx.commit().await?;
        Ok(NewToken { id, secret })
    }

    /// The holder of this secret, if it is a live token. Live tokens are cached for a few seconds
    /// (see `token_cache`): a revocation by another process takes that long to apply here.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, StoreError> {
        if !secret.starts_with(PREFIX) {
            return Ok(None);
        }
        let digest: TokenHash = Sha256::digest(secret.as_bytes()).into();
        if let Some(p) = self.token_cache.get(&digest) {
            return Ok(Some(p));
        }
        let generation = self.token_cache.generation();
        let row = sqlx::query(
            "SELECT id, role, partner_id FROM tokens WHERE hash = $1 AND revoked_at IS NULL",
        )
        .bind(hex::encode(digest))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        let role: String = row.try_get("role")?;
        let partner: Option<String> = row.try_get("partner_id")?;
        // A row this code did not write (bad role or id) admits nobody.
        let (Ok(token_id), Some(role)) = (id.parse(), Role::parse(&role)) else {
            return Ok(None);
        };
        let partner_id = partner.and_then(|p| PartnerId::parse(&p).ok());
        if (role == Role::Partner) != partner_id.is_some() {
            return Ok(None);
        }
        let principal = Principal {
            token_id,
            role,
            partner_id,
        };
        self.token_cache.put(digest, principal.clone(), generation);
        Ok(Some(principal))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        self.tokens_page(None, i64::MAX).await
    }

    /// At most `limit` tokens in id order, those after `after`.
    pub async fn tokens_page(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, role, partner_id, label, created_at, revoked_at FROM tokens \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    role: r.try_get("role")?,
                    partner_id: r.try_get("partner_id")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revoke a token; revoking it again changes nothing.
    pub async fn revoke_token(&self, id: TokenId, actor: &Actor) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let updated =
            sqlx::query("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
                .bind(now())
                .bind(id.to_string())
                .execute(tx.conn())
                .await?
                .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound("token"));
        }
        let event = AuditEvent {
            actor,
            action: "token.revoke",
            case_id: None,
            subject: Some(id.to_string()),
            version: None,
        };
        record(tx.conn(), event).await?;
        let committed = tx.commit().await;
        // Whatever the commit's outcome, a token that may be revoked must not stay cached.
        self.token_cache.revoked();
        committed
    }

    /// Revoke every live token with this label (the demo replaces its token on each start).
    pub async fn revoke_tokens_labelled(
        &self,
        label: &str,
        actor: &Actor,
    ) -> Result<u64, StoreError> {
        let ids: Vec<String> =
            sqlx::query("SELECT id FROM tokens WHERE label = $1 AND revoked_at IS NULL")
                .bind(label)
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
        for id in &ids {
            if let Ok(id) = id.parse() {
                self.revoke_token(id, actor).await?;
            }
        }
        Ok(ids.len() as u64)
    }
}
