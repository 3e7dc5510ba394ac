//! Bringing a distribution up to date inside the transaction that changed it, under the case's lock:
//! draw the region now, select the partners inside it, read what each recipient holds,
//! [`plan`](super::plan), and write the plan to the outbox. The [`Distributor`](super::Distributor)
//! calls it for dispatch, update, resolve and retarget.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Action, CaseState, Recipient, TargetingIndex, WithdrawReason, plan};
use crate::cases::Case;
use crate::store::outbox::{
    CaseLock, Channel, DeliveryLocation, Distribution, Kind, NewDelivery, Standings, digest_id,
};
use crate::store::{CaseId, StoreError, stamp};
use crate::targeting::{Audience, RegionError, RegionExtras, Selection, region_for, select};

#[derive(Debug, thiserror::Error)]
pub enum ReissueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Region(#[from] RegionError),
}

/// Why the distribution is being planned again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A case manager started (or widened) the distribution: send at once.
    Dispatch,
    /// The poster changed: send after the quiet period, so a burst of edits makes one reissue.
    Update,
    /// The scheduler looked again as the region grew with time.
    Retarget,
    /// Found safe or closed: take every poster down, ahead of everything else.
    TakeDown(WithdrawReason),
}

/// What a planning round did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Planned {
    pub queued: usize,
    pub issued: usize,
    pub updated: usize,
    pub withdrawn: usize,
    /// Recipients whose unsent deliveries were overtaken.
    pub superseded_recipients: usize,
    /// When the queued deliveries go out.
    pub not_before: String,
    /// Locations inside the region that get nothing, and why (case type, language, daily cap).
    pub skipped: Vec<crate::targeting::select::Skipped>,
}

/// How a selected recipient is reached.
struct Reach {
    channel: Channel,
    locations: Vec<DeliveryLocation>,
}

fn location(l: &crate::targeting::select::SelectedLocation) -> DeliveryLocation {
    DeliveryLocation {
        reference: l.reference.clone(),
        name: l.name.clone(),
        email: l.email.clone(),
    }
}

/// The recipients inside the region with how to reach them; newcomers beyond a partner's daily
/// cap are left out (and reported), recipients already holding the poster never are.
fn wanted(
    index: &crate::targeting::LocationIndex,
    selection: &mut Selection,
    standings: &Standings,
    remaining: &HashMap<crate::partners::PartnerId, u32>,
) -> BTreeMap<Recipient, Reach> {
    let mut out = BTreeMap::new();
    for p in &selection.partners {
        let Some(partner) = index.partner(&p.partner_id) else {
            continue;
        };
        let channel = Channel::of(&partner.delivery);
        let mut left = remaining.get(&p.partner_id).copied().unwrap_or(u32::MAX);
        let mut over = Vec::new();
        let groups: Vec<(Option<String>, Vec<DeliveryLocation>)> = if p.per_location {
            p.locations
                .iter()
                .map(|l| (Some(l.reference.clone()), vec![location(l)]))
                .collect()
        } else {
            vec![(None, p.locations.iter().map(location).collect())]
        };
        for (loc, locations) in groups {
            let r = Recipient {
                partner: p.partner_id.clone(),
                location: loc,
            };
            let holds = standings
                .get(&r)
                .is_some_and(|k| k.standing.holds.is_some() || k.standing.queued.is_some());
            if !holds {
                if left == 0 {
                    over.extend(locations.iter().map(|l| l.reference.clone()));
                    continue;
                }
                left -= 1;
            }
            out.insert(r, Reach { channel, locations });
        }
        if !over.is_empty() {
            selection.skipped.push(crate::targeting::select::Skipped {
                partner_id: p.partner_id.clone(),
                name: p.name.clone(),
                reason: crate::targeting::select::SkipReason::DailyCap,
                refs: over,
            });
        }
    }
    out
}

fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
}

/// Plan `dist` for `case` (its current document) at `now`, and write the plan to the outbox
/// through `lock`, the caller's transaction. Updates `dist` (active, planned_at, taken_down_at); the
/// caller saves it.
pub async fn replan(
    lock: &mut CaseLock,
    targeting: &TargetingIndex,
    case: &Case,
    dist: &mut Distribution,
    trigger: Trigger,
    now: DateTime<Utc>,
    quiet: Duration,
) -> Result<Planned, ReissueError> {
    if matches!(trigger, Trigger::TakeDown(_)) {
        dist.active = false;
        dist.taken_down_at.get_or_insert_with(|| stamp(now));
        lock.stop_posters(now).await?;
    }
    let Prepared {
        plan: p,
        deliveries,
        mut planned,
    } = prepare(lock, targeting, case, dist, trigger, now, quiet).await?;
    let written = lock
        .apply_plan(&p.supersede, p.supersede_retrying, &deliveries, now)
        .await?;
    planned.queued = written.len();
    dist.planned_at = stamp(now);
    tracing::info!(
        case_id = %dist.case_id,
        version = dist.poster_version,
        ?trigger,
        queued = planned.queued,
        superseded = planned.superseded_recipients,
        "distribution planned"
    );
    Ok(planned)
}

/// A plan and the deliveries it would write, not yet written.
pub struct Prepared {
    pub plan: super::Plan,
    pub deliveries: Vec<NewDelivery>,
    /// What applying it does (`queued` counts the deliveries planned).
    pub planned: Planned,
}

/// Everything [`replan`] decides, reading only: the region at `now`, the partners inside it, what
/// each recipient holds, and the plan. Applying it is [`replan`]'s second half.
pub async fn prepare(
    lock: &mut CaseLock,
    targeting: &TargetingIndex,
    case: &Case,
    dist: &Distribution,
    trigger: Trigger,
    now: DateTime<Utc>,
    quiet: Duration,
) -> Result<Prepared, ReissueError> {
    let state = match trigger {
        Trigger::TakeDown(reason) => CaseState::TakenDown(reason),
        _ => CaseState::Active,
    };
    let codes: Vec<&str> = dist.states.iter().map(String::as_str).collect();
    let extras = RegionExtras::new(&codes, Vec::new(), &targeting.states)?;
    let region = region_for(case, &targeting.policy, now, &extras);
    let index = targeting.snapshot();
    let mut selection = select(&index, &region, Audience::of(case), &HashMap::new());
    let standings = lock.standings().await?;
    let caps: Vec<_> = selection
        .partners
        .iter()
        .filter_map(|p| index.partner(&p.partner_id))
        .filter_map(|p| p.daily_cap.map(|c| (p.id.clone(), c)))
        .collect();
    let remaining = lock.remaining_caps(&caps, day_start(now)).await?;
    let reach = wanted(&index, &mut selection, &standings, &remaining);
    let wanted_set: BTreeSet<Recipient> = reach.keys().cloned().collect();
    let held: BTreeMap<_, _> = standings
        .iter()
        .map(|(r, k)| (r.clone(), k.standing))
        .collect();
    let p = plan(&held, &wanted_set, dist.poster_version, state);
    let not_before = match trigger {
        Trigger::Update => now + chrono::Duration::from_std(quiet).unwrap_or_default(),
        _ => now,
    };
    let mut out = Planned {
        superseded_recipients: p.supersede.len(),
        not_before: stamp(not_before),
        skipped: std::mem::take(&mut selection.skipped),
        ..Planned::default()
    };
    let deliveries: Vec<NewDelivery> = p
        .steps
        .iter()
        .filter_map(|step| {
            let (kind, reason, priority) = match step.action {
                Action::Issue => (Kind::Issued, None, 1),
                Action::Update => (Kind::Updated, None, 1),
                Action::Withdraw(WithdrawReason::OutsideRegion) => {
                    (Kind::Withdrawn, Some(WithdrawReason::OutsideRegion), 1)
                }
                Action::Withdraw(r) => (Kind::Withdrawn, Some(r), 0),
            };
            let (channel, locations) =
                match (reach.get(&step.recipient), standings.get(&step.recipient)) {
                    // a withdrawal is about what the recipient was sent, by the way the partner
                    // takes posters now (it may have moved from webhook to email since)
                    (_, Some(k)) if kind == Kind::Withdrawn => (
                        index
                            .partner(&step.recipient.partner)
                            .map_or(k.channel, |p| Channel::of(&p.delivery)),
                        k.locations.clone(),
                    ),
                    (Some(r), _) => (r.channel, r.locations.clone()),
                    (None, Some(k)) => (k.channel, k.locations.clone()),
                    (None, None) => return None,
                };
            match kind {
                Kind::Issued => out.issued += 1,
                Kind::Updated => out.updated += 1,
                Kind::Withdrawn => out.withdrawn += 1,
            }
            let (not_before, digest) = match kind {
                // a takedown is never delayed, nor held for a digest
                Kind::Withdrawn if priority == 0 => (now, None),
                Kind::Withdrawn => (not_before, None),
                Kind::Issued | Kind::Updated => {
                    schedule(index.partner(&step.recipient.partner), not_before)
                }
            };
            Some(NewDelivery {
                recipient: step.recipient.clone(),
                kind,
                reason,
                version: step.version,
                channel,
                locations,
                priority,
                not_before,
                digest,
            })
        })
        .collect();
    out.queued = deliveries.len();
    Ok(Prepared {
        plan: p,
        deliveries,
        planned: out,
    })
}

/// When a poster ready at `ready` goes to `partner`: then, or at the partner's first digest after
/// it, in that digest. (A partner that fetches its posters finds the digest's deliveries in its
/// feed from that time.)
fn schedule(
    partner: Option<&crate::partners::Partner>,
    ready: DateTime<Utc>,
) -> (DateTime<Utc>, Option<String>) {
    match partner.and_then(|p| Some((p, p.cadence.next_digest(ready)?))) {
        None => (ready, None),
        Some((p, at)) => (at, Some(digest_id(&p.id, at))),
    }
}

/// A new distribution of `case` as of `now`, holding nothing yet.
pub fn start(case: CaseId, version: i64, actor: &str, now: DateTime<Utc>) -> Distribution {
    Distribution {
        case_id: case,
        started_at: stamp(now),
        started_by: actor.to_string(),
        states: Vec::new(),
        poster_version: u32::try_from(version).unwrap_or(u32::MAX),
        active: true,
        planned_at: stamp(now),
        next_retarget_at: stamp(now),
        taken_down_at: None,
        takedown_done_at: None,
    }
}
