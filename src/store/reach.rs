//! Reach: which partner's posters bring people to a case's public page and tips to its case
//! managers. A poster made for a partner carries a via code in its QR code and printed address:
//! short, random, saying nothing by itself; only this table leads back to the partner, location
//! and poster format. Visits are counted per case, via code and day, and nothing of the visitor is
//! kept.

use std::collections::BTreeMap;

use sqlx::Row;

use super::public_pages::{ALPHABET, random_code};
use super::{CaseId, Store, StoreError, now};
use crate::posters::Format;

const VIA_LEN: usize = 6;

/// Whether `s` could be a via code (checked before the database is asked).
pub fn is_via_code(s: &str) -> bool {
    s.len() == VIA_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// What a via code stands for: the partner a poster was made for, its location when the partner
/// takes one delivery per location (else empty), and the poster's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub partner_id: String,
    pub location_ref: String,
    pub format: Format,
}

/// Visits to one case's page through one via code (`""`: none) on one day (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VisitKey {
    pub case: CaseId,
    pub via: String,
    pub day: String,
}

/// What one partner's posters (at one location, or all of them) did for one case or for all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReachRow {
    pub partner_id: String,
    /// Empty: the partner's posters not tied to a location.
    pub location_ref: String,
    /// Poster deliveries (new and updated versions) that reached the partner.
    pub delivered: i64,
    pub visits: i64,
    pub tips: i64,
}

impl Store {
    /// The via code of `via`, made now if it has none.
    pub async fn via_code(&self, via: &Via) -> Result<String, StoreError> {
        // a new code that happens to be taken already is drawn again
        for _ in 0..4 {
            if let Some(code) = self.existing_via(via).await? {
                return Ok(code);
            }
            let mut tx = self.write().await?;
            // two first uses at once: one insert wins, the other reads what it wrote
            sqlx::query(
                "INSERT INTO via_codes (code, partner_id, location_ref, format, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(random_code(VIA_LEN))
            .bind(&via.partner_id)
            .bind(&via.location_ref)
            .bind(via.format.as_str())
            .bind(now())
            .execute(tx.conn())
            .await?;
            tx.commit().await?;
        }
        self.existing_via(via)
            .await?
            .ok_or(StoreError::BadRow("via code"))
    }

    async fn existing_via(&self, via: &Via) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT code FROM via_codes WHERE partner_id = $1 AND location_ref = $2 AND format = $3",
        )
        .bind(&via.partner_id)
        .bind(&via.location_ref)
        .bind(via.format.as_str())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("code")).transpose()?)
    }

    /// What via code `code` stands for; `None` when it is not one.
    pub async fn via(&self, code: &str) -> Result<Option<Via>, StoreError> {
        if !is_via_code(code) {
            return Ok(None);
        }
        let row =
            sqlx::query("SELECT partner_id, location_ref, format FROM via_codes WHERE code = $1")
                .bind(code)
                .fetch_optional(self.pool())
                .await?;
        let Some(r) = row else { return Ok(None) };
        let format: String = r.try_get("format")?;
        Ok(Some(Via {
            partner_id: r.try_get("partner_id")?,
            location_ref: r.try_get("location_ref")?,
            format: Format::parse(&format).ok_or(StoreError::BadRow("via code format"))?,
        }))
    }

    /// Adds counted visits, in one transaction.
    pub async fn add_visits(&self, counts: &BTreeMap<VisitKey, i64>) -> Result<(), StoreError> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        for (k, n) in counts {
            sqlx::query(
                "INSERT INTO page_visits (case_id, via, day, visits) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (case_id, via, day) DO UPDATE SET visits = page_visits.visits + $4",
            )
            .bind(k.case.to_string())
            .bind(&k.via)
            .bind(&k.day)
            .bind(*n)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await
    }

    /// Visits to the public page of `case`, all told.
    pub async fn case_visits(&self, case: CaseId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(visits), 0) AS BIGINT) AS n FROM page_visits WHERE case_id = $1",
        )
        .bind(case.to_string())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    /// Each partner's and location's reach for `case`: posters delivered, page visits and tips.
    pub async fn case_reach(&self, case: CaseId) -> Result<Vec<ReachRow>, StoreError> {
        self.reach(
            "d.case_id = $1",
            "v.case_id = $1",
            "t.case_id = $1",
            &case.to_string(),
        )
        .await
    }

    /// A partner's reach over every case, per location.
    pub async fn partner_reach(&self, partner: &str) -> Result<Vec<ReachRow>, StoreError> {
        self.reach(
            "d.partner_id = $1",
            "c.partner_id = $1",
            "c.partner_id = $1",
            partner,
        )
        .await
    }

    /// The three counts, each grouped by partner and location and then merged: three index walks
    /// rather than one join that multiplies rows.
    async fn reach(
        &self,
        deliveries: &str,
        visits: &str,
        tips: &str,
        key: &str,
    ) -> Result<Vec<ReachRow>, StoreError> {
        let mut rows: BTreeMap<(String, String), ReachRow> = BTreeMap::new();
        let queries = [
            format!(
                "SELECT d.partner_id, d.location_ref, COUNT(*) AS n FROM deliveries d \
                 WHERE {deliveries} AND d.kind IN ('issued', 'updated') \
                   AND d.delivered_at IS NOT NULL \
                 GROUP BY d.partner_id, d.location_ref"
            ),
            format!(
                "SELECT c.partner_id, c.location_ref, CAST(COALESCE(SUM(v.visits), 0) AS BIGINT) AS n \
                 FROM page_visits v JOIN via_codes c ON c.code = v.via \
                 WHERE {visits} GROUP BY c.partner_id, c.location_ref"
            ),
            format!(
                "SELECT c.partner_id, c.location_ref, COUNT(*) AS n \
                 FROM tips t JOIN via_codes c ON c.code = t.source \
                 WHERE {tips} GROUP BY c.partner_id, c.location_ref"
            ),
        ];
        for (i, sql) in queries.iter().enumerate() {
            let query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(key);
            for r in query.fetch_all(self.pool()).await? {
                let partner: String = r.try_get("partner_id")?;
                let location: String = r.try_get("location_ref")?;
                let n: i64 = r.try_get("n")?;
                let row = rows
                    .entry((partner.clone(), location.clone()))
                    .or_insert_with(|| ReachRow {
                        partner_id: partner,
                        location_ref: location,
                        ..ReachRow::default()
                    });
                match i {
                    0 => row.delivered += n,
                    1 => row.visits += n,
                    _ => row.tips += n,
                }
            }
        }
        Ok(rows.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_codes_are_six_plain_symbols() {
        let c = random_code(VIA_LEN);
        assert!(is_via_code(&c), "{c}");
        assert!(!is_via_code("abcdefghjk"), "a page code is not a via code");
        assert!(!is_via_code("ABCDEF"));
    }
}
