//! People who sign in to the console, and their sessions. Passwords arrive here already hashed
//! (Argon2id, by `crate::accounts`); a session is kept by the SHA-256 of its cookie, so the table
//! alone cannot sign anyone in.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::audit::{AuditEvent, record};
use super::{Actor, Role, Store, StoreError, UserId, stamp};
use crate::partners::PartnerId;

/// A console user, without the password hash.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The partner a `partner` user belongs to; `None` for the organisation's own people.
    pub partner_id: Option<PartnerId>,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

/// A live session: who, and the token its forms carry.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub user: UserRecord,
    pub csrf: String,
}

/// The columns of a new user.
struct NewUser<'a> {
    email: &'a str,
    display_name: &'a str,
    role: Role,
    partner: Option<&'a PartnerId>,
    password_hash: &'a str,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.role, u.partner_id, u.created_at, u.disabled_at";

fn user(row: &sqlx::any::AnyRow) -> Result<UserRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role).ok_or(StoreError::BadRow("user role"))?;
    let partner: Option<String> = row.try_get("partner_id")?;
    let partner_id = partner
        .map(|p| PartnerId::parse(&p).map_err(|_| StoreError::BadRow("user partner id")))
        .transpose()?;
    // a partner user without its partner (or a case manager with one) would see the wrong things
    if (role == Role::Partner) != partner_id.is_some() {
        return Err(StoreError::BadRow("user role and partner"));
    }
    Ok(UserRecord {
        id: id.parse().map_err(|_| StoreError::BadRow("user id"))?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role,
        partner_id,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

impl Store {
    /// A new user of the organisation (an administrator or a case manager); `email` is already
    /// normalised (trimmed, lower case). `AlreadyExists` when the address is taken.
    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        role: Role,
        password_hash: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<UserRecord, StoreError> {
        if role == Role::Partner {
            return Err(StoreError::Misuse(
                "a partner user is made with its partner",
            ));
        }
        let new = NewUser {
            email,
            display_name,
            role,
            partner: None,
            password_hash,
        };
        self.insert_user(&new, actor, at).await
    }

    /// A new user of partner `partner`, who sees only that partner's portal. `NotFound` when there
    /// is no such partner.
    pub async fn create_partner_user(
        &self,
        email: &str,
        display_name: &str,
        partner: &PartnerId,
        password_hash: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<UserRecord, StoreError> {
        let new = NewUser {
            email,
            display_name,
            role: Role::Partner,
            partner: Some(partner),
            password_hash,
        };
        self.insert_user(&new, actor, at).await
    }

    async fn insert_user(
        &self,
        new: &NewUser<'_>,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<UserRecord, StoreError> {
        let id = UserId::generate();
        let now = stamp(at);
        let mut tx = self.write().await?;
        if let Some(p) = new.partner {
            let known = sqlx::query("SELECT id FROM partners WHERE id = $1")
                .bind(p.as_str())
                .fetch_optional(tx.conn())
                .await?;
            if known.is_none() {
                return Err(StoreError::NotFound("partner"));
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, display_name, role, partner_id, password_hash, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.to_string())
        .bind(new.email)
        .bind(new.display_name)
        .bind(new.role.as_str())
        .bind(new.partner.map(|p| p.as_str().to_string()))
        .bind(new.password_hash)
        .bind(&now)
        .execute(tx.conn())
        .await;
        match inserted {
            Err(e) if StoreError::is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists("user with this email"));
            }
            other => other?,
        };
        let subject = Some(id.to_string());
        record(tx.conn(), audit(actor, "user.create", subject)).await?;
        tx.commit().await?;
        Ok(UserRecord {
            id,
            email: new.email.to_string(),
            display_name: new.display_name.to_string(),
            role: new.role,
            partner_id: new.partner.cloned(),
            created_at: now,
            disabled_at: None,
        })
    }

    /// The user with this (normalised) address and its password hash.
    pub async fn user_for_sign_in(
        &self,
        email: &str,
    ) -> Result<Option<(UserRecord, String)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((user(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    /// Every user, by address.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.email");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user).collect()
    }

    /// A new password for the user with this address; every session of theirs ends. `NotFound`
    /// when there is none.
    pub async fn reset_password(
        &self,
        email: &str,
        password_hash: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<UserRecord, StoreError> {
        let now = stamp(at);
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2 WHERE email = $3 \
             RETURNING id, email, display_name, role, partner_id, created_at, disabled_at",
        )
        .bind(password_hash)
        .bind(&now)
        .bind(email)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("user"))?;
        let found = user(&row)?;
        sqlx::query(
            "UPDATE console_sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL",
        )
        .bind(&now)
        .bind(found.id.to_string())
        .execute(tx.conn())
        .await?;
        let subject = Some(found.id.to_string());
        record(tx.conn(), audit(actor, "user.reset_password", subject)).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Start a session for `user`, known by `token` (the cookie) and carrying `csrf`.
    pub async fn start_session(
        &self,
        user: UserId,
        token: &str,
        csrf: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = stamp(at);
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, user_id, csrf, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(hash(token))
        .bind(user.to_string())
        .bind(csrf)
        .bind(&now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session of `token`, seen now: `None` when there is none, it ended, it was idle
    /// longer than `idle`, or its user is disabled. Its last sighting is moved on at most once a
    /// minute, so reading pages does not write on every request.
    pub async fn session(
        &self,
        token: &str,
        idle: Duration,
        at: DateTime<Utc>,
    ) -> Result<Option<SessionInfo>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf, s.last_seen_at FROM console_sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.ended_at IS NULL AND u.disabled_at IS NULL"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash(token))
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let seen: String = row.try_get("last_seen_at")?;
        let seen = DateTime::parse_from_rfc3339(&seen)
            .map_err(|_| StoreError::BadRow("session time"))?
            .with_timezone(&Utc);
        let idle = chrono::Duration::from_std(idle).unwrap_or_default();
        if at - seen > idle {
            return Ok(None);
        }
        if at - seen > chrono::Duration::minutes(1) {
            let mut tx = self.write().await?;
            sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(stamp(at))
                .bind(hash(token))
                .execute(tx.conn())
                .await?;
            tx.commit().await?;
        }
        Ok(Some(SessionInfo {
            user: user(&row)?,
            csrf: row.try_get("csrf")?,
        }))
    }

    /// End the session of `token` (sign-out).
    pub async fn end_session(&self, token: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE console_sessions SET ended_at = $1 WHERE id_hash = $2")
            .bind(stamp(at))
            .bind(hash(token))
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn audit<'a>(actor: &'a Actor, action: &'static str, subject: Option<String>) -> AuditEvent<'a> {
    AuditEvent {
        actor,
        action,
        case_id: None,
        subject,
        version: None,
    }
}
