//! Reach: posters delivered, public page visits and tips, per partner and location, for a case's
//! page and for a partner's page. Tells the organisation which partners' posters bring leads.

use minijinja::context;

use super::ConsoleError;
use crate::app::AppState;
use crate::partners::PartnerId;
use crate::store::{CaseId, ReachRow};

/// The rows with the partners' names, most tips first, then most visits; and the totals.
async fn table(app: &AppState, mut rows: Vec<ReachRow>) -> Result<minijinja::Value, ConsoleError> {
    rows.sort_by(|a, b| {
        (b.tips, b.visits, b.delivered)
            .cmp(&(a.tips, a.visits, a.delivered))
            .then_with(|| (&a.partner_id, &a.location_ref).cmp(&(&b.partner_id, &b.location_ref)))
    });
    let mut names = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        if !names.contains_key(&r.partner_id) {
            let name = match PartnerId::parse(&r.partner_id) {
                Ok(p) => app.store.partner(&p).await?.map(|p| p.partner.name),
                Err(_) => None,
            };
            names.insert(r.partner_id.clone(), name);
        }
        out.push(context! {
            partner => &r.partner_id, name => names.get(&r.partner_id).cloned().flatten(),
            location => &r.location_ref, delivered => r.delivered, visits => r.visits,
            tips => r.tips,
        });
    }
    let total = |f: fn(&ReachRow) -> i64| rows.iter().map(f).sum::<i64>();
    Ok(context! {
        rows => out, delivered => total(|r| r.delivered), visits => total(|r| r.visits),
        tips => total(|r| r.tips),
    })
}

/// A case's reach, with the visits that came without a partner's code (typed, shared, the
/// console's own poster).
pub(super) async fn of_case(app: &AppState, id: CaseId) -> Result<minijinja::Value, ConsoleError> {
    let rows = app.store.case_reach(id).await?;
    let all_visits = app.store.case_visits(id).await?;
    let t = table(app, rows).await?;
    let partners: i64 = t
        .get_attr("visits")
        .ok()
        .and_then(|v| i64::try_from(v).ok())
        .unwrap_or(0);
    Ok(context! { direct_visits => (all_visits - partners).max(0), all_visits => all_visits, ..t })
}

/// A partner's reach over every case, per location.
pub(super) async fn of_partner(
    app: &AppState,
    partner: &PartnerId,
) -> Result<minijinja::Value, ConsoleError> {
    let rows = app.store.partner_reach(partner.as_str()).await?;
    table(app, rows).await
}
