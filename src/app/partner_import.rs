//! Storing what a partner file held: its partners registered or updated, and each named partner's
//! locations replaced by the file's good rows. The command line (`lookout partners import`) and
//! the console's import page both store through here; reading the file is `crate::partners`.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;

use crate::partners::{self, ImportError, ImportReport, Location, Partner, PartnerId};
use crate::store::{Actor, Store, StoreError};

/// What was stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    pub partners_created: usize,
    pub partners_updated: usize,
    pub locations: usize,
    pub partners_with_locations: usize,
}

/// Read a partner file; locations of a partner not in `known` are bad rows, and a webhook over
/// plain http is one unless it goes inside `private_targets`.
pub fn read_checked(
    name: &str,
    reader: impl Read,
    known: &HashSet<PartnerId>,
    private_targets: &[ipnet::IpNet],
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    partners::import_checked(
        name,
        reader,
        private_targets,
        progress,
        &mut |l: &Location| {
            if known.contains(&l.partner_id) {
                Ok(())
            } else {
                Err((
                    "partner_id".into(),
                    format!(
                        "no partner {} is registered: import its partners.json first",
                        l.partner_id
                    ),
                ))
            }
        },
    )
}

/// The partners registered now.
pub async fn known_partners(store: &Store) -> Result<HashSet<PartnerId>, StoreError> {
    Ok(store
        .partners(false)
        .await?
        .into_iter()
        .map(|r| r.partner.id)
        .collect())
}

/// Store the good rows of `report` as `actor`; `stored_rows` is told how many locations are in
/// after each partner's list.
pub async fn store_report(
    store: &Store,
    report: ImportReport,
    actor: &Actor,
    stored_rows: &mut (dyn FnMut(u64) + Send),
) -> Result<Stored, StoreError> {
    let mut stored = Stored::default();
    for p in &report.partners {
        if upsert(store, p, actor).await? {
            stored.partners_created += 1;
        } else {
            stored.partners_updated += 1;
        }
    }
    let mut by_partner: BTreeMap<PartnerId, Vec<Location>> = BTreeMap::new();
    for l in report.locations {
        by_partner.entry(l.partner_id.clone()).or_default().push(l);
    }
    for (id, list) in &by_partner {
        stored.locations += store.replace_locations(id, list, actor).await?;
        stored.partners_with_locations += 1;
        stored_rows(stored.locations as u64);
    }
    Ok(stored)
}

/// Register the partner, or replace the registered one's document. True when it is new.
async fn upsert(store: &Store, p: &Partner, actor: &Actor) -> Result<bool, StoreError> {
    match store.create_partner(p, actor).await {
        Ok(()) => Ok(true),
        Err(StoreError::AlreadyExists(_)) => store.update_partner(p, actor).await.map(|()| false),
        Err(e) => Err(e),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "3 partners (2 new, 1 updated) and 2 locations for 1 partner", or "nothing".
pub fn describe(s: &Stored) -> String {
    let mut parts = Vec::new();
    if s.partners_created + s.partners_updated > 0 {
        parts.push(format!(
            "{} ({} new, {} updated)",
            plural(
                s.partners_created + s.partners_updated,
                "partner",
                "partners"
            ),
            s.partners_created,
            s.partners_updated
        ));
    }
    if s.partners_with_locations > 0 {
        parts.push(format!(
            "{} for {}",
            plural(s.locations, "location", "locations"),
            plural(s.partners_with_locations, "partner", "partners")
        ));
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(" and ")
    }
}

/// "1 bad row skipped", or "no bad rows".
pub fn describe_bad(bad: usize) -> String {
    if bad == 0 {
        "no bad rows".into()
    } else {
        format!("{} skipped", plural(bad, "bad row", "bad rows"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_what_was_stored_and_skipped() {
        let s = Stored {
            locations: 2,
            partners_with_locations: 1,
            ..Stored::default()
        };
        assert_eq!(describe(&s), "2 locations for 1 partner");
        assert_eq!(describe_bad(1), "1 bad row skipped");
        let s = Stored {
            partners_created: 2,
            partners_updated: 1,
            ..Stored::default()
        };
        assert_eq!(describe(&s), "3 partners (2 new, 1 updated)");
        assert_eq!(describe_bad(0), "no bad rows");
        assert_eq!(describe(&Stored::default()), "nothing");
    }
}
