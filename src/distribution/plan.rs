use std::collections::{BTreeMap, BTreeSet};

pub use crate::store::outbox::{Queued, Recipient, Standing, WithdrawReason};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    Active,
    TakenDown(WithdrawReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// First poster for this recipient (or first since it was withdrawn).
    Issue,
    /// A newer version replaces the one it holds.
    Update,
    Withdraw(WithdrawReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub recipient: Recipient,
    pub action: Action,
    /// The version the step is about (for a withdrawal, the case's current version).
    pub version: u32,
}

/// What to enqueue, and whose queued deliveries to mark superseded first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Recipients whose never-tried deliveries of this case are dropped before the steps are queued.
    pub supersede: Vec<Recipient>,
    /// A takedown drops deliveries being retried too: nothing may follow a withdrawal.
    pub supersede_retrying: bool,
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.supersede.is_empty() && self.steps.is_empty()
    }
}

/// Plan the deliveries that bring every recipient to the state the case now asks for.
///
/// `wanted` is who is inside the current region (ignored once the case is taken down); `version` is the
/// case's current poster version. Recipients are visited in order, so the plan is deterministic.
pub fn plan(
    standings: &BTreeMap<Recipient, Standing>,
    wanted: &BTreeSet<Recipient>,
    version: u32,
    state: CaseState,
) -> Plan {
    let mut out = Plan::default();
    match state {
        CaseState::TakenDown(reason) => {
            out.supersede_retrying = true;
            for (r, s) in standings {
                take_down(&mut out, r, s, reason, version);
            }
        }
        CaseState::Active => {
            let none = Standing::default();
            for r in wanted {
                bring_up_to_date(&mut out, r, standings.get(r).unwrap_or(&none), version);
            }
            for (r, s) in standings.iter().filter(|(r, _)| !wanted.contains(*r)) {
                withdraw_outside(&mut out, r, s, version);
            }
        }
    }
    out
}

fn take_down(out: &mut Plan, r: &Recipient, s: &Standing, reason: WithdrawReason, version: u32) {
    if s.taken_down {
        return;
    }
    // also drops deliveries being retried, which `queued` does not show
    out.supersede.push(r.clone());
    if s.ever_sent {
        out.steps.push(Step {
            recipient: r.clone(),
            action: Action::Withdraw(reason),
            version,
        });
    }
}

fn bring_up_to_date(out: &mut Plan, r: &Recipient, s: &Standing, version: u32) {
    let will_hold = match s.queued {
        Some(Queued::Poster(v)) => Some(v),
        Some(Queued::Withdrawal) => None,
        None => s.holds,
    };
    if will_hold == Some(version) {
        return;
    }
    if s.queued.is_some() {
        out.supersede.push(r.clone());
    }
    // A queued withdrawal dropped before it was sent leaves the recipient holding what it had.
    if s.holds == Some(version) {
        return;
    }
    let action = if s.holds.is_some() {
        Action::Update
    } else {
        Action::Issue
    };
    out.steps.push(Step {
        recipient: r.clone(),
        action,
        version,
    });
}

fn withdraw_outside(out: &mut Plan, r: &Recipient, s: &Standing, version: u32) {
    match s.queued {
        Some(Queued::Withdrawal) => return,
        Some(Queued::Poster(_)) => out.supersede.push(r.clone()),
        None => {}
    }
    if s.holds.is_some() {
        out.steps.push(Step {
            recipient: r.clone(),
            action: Action::Withdraw(WithdrawReason::OutsideRegion),
            version,
        });
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
