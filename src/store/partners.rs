//! Photo partners and their locations. The partner is kept as its document (the partner format);
//! locations are rows, replaced as a whole when a partner sends its current list.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::audit::{AuditEvent, record};
use super::{Actor, Store, StoreError, now};
use crate::partners::{Location, Partner, PartnerId};

#[derive(Debug, Clone, PartialEq)]
pub struct PartnerRecord {
    pub partner: Partner,
    pub created_at: String,
    pub updated_at: String,
    pub locations: i64,
}

fn partner_record(r: &AnyRow) -> Result<PartnerRecord, StoreError> {
    let json: String = r.try_get("document")?;
    Ok(PartnerRecord {
        partner: serde_json::from_str(&json).map_err(|source| StoreError::Corrupt {
            what: "partner document",
            source,
        })?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        locations: r.try_get("locations")?,
    })
}

fn location(r: &AnyRow) -> Result<Location, StoreError> {
    let partner: String = r.try_get("partner_id")?;
    let coverage: Option<String> = r.try_get("coverage")?;
    let coverage = coverage
        .map(|c| serde_json::from_str(&c))
        .transpose()
        .map_err(|source| StoreError::Corrupt {
            what: "location coverage",
            source,
        })?;
    Ok(Location {
        partner_id: PartnerId::parse(&partner).map_err(|_| StoreError::NotFound("partner"))?,
        reference: r.try_get("ref")?,
        name: r.try_get("name")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        reach_m: r.try_get("reach_m")?,
        email: r.try_get("email")?,
        coverage,
    })
}

const PARTNER_SELECT: &str = "SELECT p.document, p.created_at, p.updated_at, \
     (SELECT COUNT(*) FROM locations l WHERE l.partner_id = p.id) AS locations FROM partners p";

async fn audit_partner(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &'static str,
    id: &PartnerId,
) -> Result<(), StoreError> {
    let event = AuditEvent {
        actor,
        action,
        case_id: None,
        subject: Some(id.to_string()),
        version: None,
    };
    record(conn, event).await
}

impl Store {
    pub async fn create_partner(&self, p: &Partner, actor: &Actor) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO partners (id, document, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(p.id.as_str())
        .bind(serde_json::to_string(p).expect("plain data serialises"))
        .bind(p.active)
        .bind(&at)
        .execute(tx.conn())
        .await;
        match inserted {
            Err(e) if StoreError::is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists("partner"));
            }
            other => other?,
        };
        audit_partner(tx.conn(), actor, "partner.create", &p.id).await?;
        tx.commit().await
    }

    /// Replace a partner's document (its id stays).
    pub async fn update_partner(&self, p: &Partner, actor: &Actor) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE partners SET document = $1, active = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(serde_json::to_string(p).expect("plain data serialises"))
        .bind(p.active)
        .bind(now())
        .bind(p.id.as_str())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound("partner"));
        }
        if p.cadence.is_immediate() {
            // a partner that now takes posters as they come gets what it held for a digest at
            // once (as one message), not at the digest time it no longer keeps
            sqlx::query(
                "UPDATE deliveries SET next_attempt_at = created_at \
                 WHERE partner_id = $1 AND digest_id IS NOT NULL AND state = 'pending' \
                   AND attempts = 0",
            )
            .bind(p.id.as_str())
            .execute(tx.conn())
            .await?;
        }
        audit_partner(tx.conn(), actor, "partner.update", &p.id).await?;
        tx.commit().await
    }

    pub async fn partner(&self, id: &PartnerId) -> Result<Option<PartnerRecord>, StoreError> {
        let sql = format!("{PARTNER_SELECT} WHERE p.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(partner_record).transpose()
    }

    /// Every partner, or only the active ones, by id.
    pub async fn partners(&self, active_only: bool) -> Result<Vec<PartnerRecord>, StoreError> {
        let sql = format!("{PARTNER_SELECT} WHERE ($1 = FALSE OR p.active = TRUE) ORDER BY p.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(active_only)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(partner_record).collect()
    }

    /// At most `limit` partners in id order, those after `after`: a page of the API's list.
    pub async fn partners_page(
        &self,
        active_only: bool,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PartnerRecord>, StoreError> {
        let sql = format!(
            "{PARTNER_SELECT} WHERE ($1 = FALSE OR p.active = TRUE) AND p.id > $2 ORDER BY p.id LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(active_only)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(partner_record).collect()
    }

    /// Make `locations` the partner's whole list; returns how many it now has.
    pub async fn replace_locations(
        &self,
        id: &PartnerId,
        locations: &[Location],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write().await?;
        let exists = sqlx::query("SELECT 1 AS one FROM partners WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(tx.conn())
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("partner"));
        }
        sqlx::query("DELETE FROM locations WHERE partner_id = $1")
            .bind(id.as_str())
            .execute(tx.conn())
            .await?;
        for l in locations {
            let coverage = l
                .coverage
                .as_ref()
                .map(|c| serde_json::to_string(c).expect("plain data serialises"));
            // sqlx 0.9's Any driver sends a NULL f64 to PostgreSQL as a float4, and the cached
            // statement then refuses the next real f64; so a real number always goes, and a flag
            // says whether it means anything.
            sqlx::query(
                "INSERT INTO locations (partner_id, ref, name, lat, lon, reach_m, email, coverage) \
                 VALUES ($1, $2, $3, $4, $5, CASE WHEN $9 THEN $6 ELSE NULL END, $7, $8)",
            )
            .bind(id.as_str())
            .bind(&l.reference)
            .bind(&l.name)
            .bind(l.lat)
            .bind(l.lon)
            .bind(l.reach_m.unwrap_or(0.0))
            .bind(l.email.clone())
            .bind(coverage)
            .bind(l.reach_m.is_some())
            .execute(tx.conn())
            .await?;
        }
        // the partner changed with its list: this is what a running index watches for
        sqlx::query("UPDATE partners SET updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id.as_str())
            .execute(tx.conn())
            .await?;
        audit_partner(tx.conn(), actor, "partner.locations", id).await?;
        tx.commit().await?;
        Ok(locations.len())
    }

    pub async fn locations(&self, id: &PartnerId) -> Result<Vec<Location>, StoreError> {
        let rows = sqlx::query(
            "SELECT partner_id, ref, name, lat, lon, reach_m, email, coverage FROM locations \
             WHERE partner_id = $1 ORDER BY ref",
        )
        .bind(id.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(location).collect()
    }

    /// At most `limit` of the partner's locations in ref order, those after `after`.
    pub async fn locations_page(
        &self,
        id: &PartnerId,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Location>, StoreError> {
        let rows = sqlx::query(
            "SELECT partner_id, ref, name, lat, lon, reach_m, email, coverage FROM locations \
             WHERE partner_id = $1 AND ref > $2 ORDER BY ref LIMIT $3",
        )
        .bind(id.as_str())
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(location).collect()
    }

    /// Every location of every active partner: what targeting chooses from.
    pub async fn active_locations(&self) -> Result<Vec<Location>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.partner_id, l.ref, l.name, l.lat, l.lon, l.reach_m, l.email, l.coverage \
             FROM locations l JOIN partners p ON p.id = l.partner_id WHERE p.active = TRUE \
             ORDER BY l.partner_id, l.ref",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(location).collect()
    }

    /// As [`Store::active_locations`], for the targeting index: a row that cannot be read (left by
    /// an older version, or edited by hand) is named, by partner id and ref, instead of failing
    /// them all, so one bad row never keeps the service from starting.
    pub async fn indexable_locations(
        &self,
    ) -> Result<(Vec<Location>, Vec<(String, String)>), StoreError> {
        let rows = sqlx::query(
            "SELECT l.partner_id, l.ref, l.name, l.lat, l.lon, l.reach_m, l.email, l.coverage \
             FROM locations l JOIN partners p ON p.id = l.partner_id WHERE p.active = TRUE \
             ORDER BY l.partner_id, l.ref",
        )
        .fetch_all(self.pool())
        .await?;
        let (mut usable, mut unreadable) = (Vec::with_capacity(rows.len()), Vec::new());
        for r in &rows {
            match location(r) {
                Ok(l) => usable.push(l),
                Err(_) => unreadable.push((
                    r.try_get("partner_id").unwrap_or_default(),
                    r.try_get("ref").unwrap_or_default(),
                )),
            }
        }
        Ok((usable, unreadable))
    }
}

impl Store {
    /// Changes whenever a partner or its locations change, in this process or in any other (an
    /// import command, another instance): the number of partners and their latest change.
    pub async fn partners_change_mark(&self) -> Result<String, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), '') AS at FROM partners")
                .fetch_one(self.pool())
                .await?;
        let (n, at): (i64, String) = (row.try_get("n")?, row.try_get("at")?);
        Ok(format!("{n}/{at}"))
    }
}
