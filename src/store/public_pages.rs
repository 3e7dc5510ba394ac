//! The short address of each case's public page: ten random letters and digits, made the first time
//! the case needs one and never changed, so a printed QR code keeps working for the life of the
//! case. The address says nothing by itself: not the case id, not its number.

use sqlx::Row;

use super::{CaseId, Store, StoreError, now};
use crate::cases::CaseStatus;

/// The case behind a public page code, as [`Store::public_case`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicCase {
    pub id: CaseId,
    pub version: i64,
    pub open: bool,
}

/// Letters and digits that cannot be mistaken for one another when typed from a poster.
pub(super) const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const CODE_LEN: usize = 10;

/// A new code: 10 of 31 symbols, about 49 bits from the operating system's random source.
fn new_code() -> String {
    random_code(CODE_LEN)
}

/// `len` symbols of [`ALPHABET`] from the operating system's random source.
pub(super) fn random_code(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Whether `s` could be a code (checked before the database is asked).
pub fn is_code(s: &str) -> bool {
    s.len() == CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

impl Store {
    /// The public page code of case `case`, made now if it has none.
    pub async fn public_code(&self, case: CaseId) -> Result<String, StoreError> {
        if let Some(code) = self.existing_code(case).await? {
            return Ok(code);
        }
        let mut tx = self.write().await?;
        // two first uses at once: one insert wins, the other reads what it wrote
        sqlx::query(
            "INSERT INTO public_pages (code, case_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id) DO NOTHING",
        )
        .bind(new_code())
        .bind(case.to_string())
        .bind(now())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        self.existing_code(case)
            .await?
            .ok_or(StoreError::BadRow("public page code"))
    }

    async fn existing_code(&self, case: CaseId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT code FROM public_pages WHERE case_id = $1")
            .bind(case.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("code")).transpose()?)
    }

    /// What a public page asks first, in one query: the case behind `code`, its current version,
    /// and whether its appeal is open (active, not erased).
    pub async fn public_case(&self, code: &str) -> Result<Option<PublicCase>, StoreError> {
        if !is_code(code) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT p.case_id, c.current_version, c.status, c.erased_at \
             FROM public_pages p JOIN cases c ON c.id = p.case_id WHERE p.code = $1",
        )
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let id: String = r.try_get("case_id")?;
        let status: String = r.try_get("status")?;
        let erased: Option<String> = r.try_get("erased_at")?;
        Ok(Some(PublicCase {
            id: id
                .parse()
                .map_err(|_| StoreError::BadRow("public page case"))?,
            version: r.try_get("current_version")?,
            open: status == CaseStatus::Active.as_str() && erased.is_none(),
        }))
    }

    /// The case whose public page is `code`.
    pub async fn case_by_public_code(&self, code: &str) -> Result<Option<CaseId>, StoreError> {
        if !is_code(code) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT case_id FROM public_pages WHERE code = $1")
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let id: String = r.try_get("case_id")?;
            id.parse()
                .map_err(|_| StoreError::BadRow("public page case"))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_plain_and_different() {
        let a = new_code();
        let b = new_code();
        assert!(is_code(&a) && is_code(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_code("ABCDEFGHJK"), "lower case only");
        assert!(!is_code("abc"), "ten long");
        assert!(!is_code("abcdefghi1"), "no 1, l, 0 or o");
    }
}
