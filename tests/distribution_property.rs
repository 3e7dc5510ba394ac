//! A seeded property test driving the planner and the real outbox tables (SQLite and PostgreSQL)
//! through random changes, failures, worker crashes and resolves (some while deliveries are being
//! sent): at the end every recipient holds the newest poster or none, never saw a version out of
//! order, and no poster was claimed for sending after the resolve.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{Backend, case_doc};
use lookout::dispatch::SendOutcome;
use lookout::distribution::{Action, CaseState, Recipient, Standing, WithdrawReason, plan};
use lookout::partners::PartnerId;
use lookout::store::outbox::{self, Attempted, Channel, Claimed, Kind, NewDelivery, State};
use lookout::store::{CaseId, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::{Connection, Executor};

// ---------------------------------------------------------------------------------------------
// the property: random changes, failures and crashes against the real outbox tables

/// Who may be asked for in the property test: whole partners and two locations of one partner.
fn pool() -> Vec<Recipient> {
    let whole = ["pa", "pb", "pc", "pd", "pf", "pg"].map(|p| Recipient {
        partner: PartnerId::parse(p).unwrap(),
        location: None,
    });
    let located = ["s1", "s2"].map(|l| Recipient {
        partner: PartnerId::parse("pe").unwrap(),
        location: Some(l.to_string()),
    });
    whole.into_iter().chain(located).collect()
}

/// One message as the simulated recipient got it.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    kind: Kind,
    version: u32,
    reason: Option<WithdrawReason>,
}

fn final_reason(r: Option<WithdrawReason>) -> bool {
    matches!(r, Some(WithdrawReason::FoundSafe | WithdrawReason::Closed))
}

struct Sim<'a> {
    store: &'a Store,
    conn: sqlx::AnyConnection,
    case: CaseId,
    now: DateTime<Utc>,
    version: u32,
    wanted: BTreeSet<Recipient>,
    state: CaseState,
    received: BTreeMap<Recipient, Vec<Got>>,
    /// The worker's name on its leases; a new one after each crash.
    owner: u32,
    log: Vec<String>,
    stats: Stats,
}

/// What the sequences went through, to see that they exercise what they should.
#[derive(Debug, Default)]
struct Stats {
    sequences: usize,
    plans: usize,
    sends: usize,
    retries: usize,
    crashes: usize,
    repeats: usize,
    takedowns: usize,
    resolves_while_sending: usize,
    superseded: usize,
}

impl Sim<'_> {
    /// What `distribution::reissue::replan` does, with the region replaced by `wanted`. Checks
    /// that planning again at once finds nothing more to send.
    async fn replan(&mut self) {
        let mut lock = self.store.lock_case(self.case).await.unwrap();
        let standings = lock.standings().await.unwrap();
        let held: BTreeMap<Recipient, Standing> = standings
            .iter()
            .map(|(r, k)| (r.clone(), k.standing))
            .collect();
        let p = plan(&held, &self.wanted, self.version, self.state);
        let deliveries: Vec<NewDelivery> = p
            .steps
            .iter()
            .map(|s| {
                let (kind, reason, priority) = match s.action {
                    Action::Issue => (Kind::Issued, None, 1),
                    Action::Update => (Kind::Updated, None, 1),
                    Action::Withdraw(r @ WithdrawReason::OutsideRegion) => {
                        (Kind::Withdrawn, Some(r), 1)
                    }
                    Action::Withdraw(r) => (Kind::Withdrawn, Some(r), 0),
                };
                NewDelivery {
                    recipient: s.recipient.clone(),
                    kind,
                    reason,
                    version: s.version,
                    channel: Channel::Webhook,
                    locations: standings
                        .get(&s.recipient)
                        .map(|k| k.locations.clone())
                        .unwrap_or_default(),
                    priority,
                    not_before: self.now,
                    digest: None,
                }
            })
            .collect();
        let ids = lock
            .apply_plan(&p.supersede, p.supersede_retrying, &deliveries, self.now)
            .await
            .unwrap();
        lock.commit().await.unwrap();
        self.stats.plans += 1;
        self.stats.superseded += p.supersede.len();
        self.log.push(format!(
            "plan v{} {:?}: {:?}, supersede {:?}",
            self.version,
            self.state,
            p.steps
                .iter()
                .map(|s| format!(
                    "{}/{:?} {:?}",
                    s.recipient.partner, s.recipient.location, s.action
                ))
                .collect::<Vec<_>>(),
            p.supersede.len()
        ));
        assert_eq!(ids.len(), deliveries.len());

        // planning again with nothing changed sends nothing
        let standings = self
            .store
            .lock_case(self.case)
            .await
            .unwrap()
            .standings()
            .await
            .unwrap();
        let held: BTreeMap<Recipient, Standing> = standings
            .iter()
            .map(|(r, k)| (r.clone(), k.standing))
            .collect();
        let again = plan(&held, &self.wanted, self.version, self.state);
        assert!(
            again.steps.is_empty(),
            "planned again at once: {:?}\nstandings {held:?}\nlog:\n{}",
            again.steps,
            self.log.join("\n")
        );
    }

    /// Resolve the case: closed in the cases table as the API does, and every poster taken down.
    async fn resolve(&mut self, rng: &mut ChaCha8Rng) {
        let reason = if rng.random_bool(0.5) {
            WithdrawReason::FoundSafe
        } else {
            WithdrawReason::Closed
        };
        self.state = CaseState::TakenDown(reason);
        self.stats.takedowns += 1;
        self.log.push(format!("take down: {reason:?}"));
        self.conn
            .execute(sqlx::AssertSqlSafe(format!(
                "UPDATE cases SET status = 'resolved' WHERE id = '{}'",
                self.case
            )))
            .await
            .unwrap();
        self.replan().await;
    }

    /// One round of a worker: take what is due, send it, record how it went; or crash. Sometimes
    /// the case is resolved while the claimed deliveries are being sent.
    async fn work(&mut self, rng: &mut ChaCha8Rng, drain: bool, step: usize) -> usize {
        outbox::reclaim_expired(self.store, self.now).await.unwrap();
        let owner = format!("worker-{}", self.owner);
        let limit = if drain { 100 } else { rng.random_range(1..=6) };
        let claimed = outbox::claim(self.store, &owner, self.now, Duration::from_secs(30), limit)
            .await
            .unwrap();
        self.no_poster_after_the_resolve(&claimed);
        let n = claimed.len();
        if !drain && n > 0 && step > 5 && self.state == CaseState::Active && rng.random_bool(0.08) {
            self.stats.resolves_while_sending += 1;
            self.resolve(rng).await;
        }
        let crash = !drain && rng.random_bool(0.1);
        let mut finished = Vec::new();
        for c in claimed {
            let r = Recipient {
                partner: PartnerId::parse(&c.partner_id).unwrap(),
                location: (!c.location_ref.is_empty()).then(|| c.location_ref.clone()),
            };
            // a delivery is never failed so often that the schedule gives up on it
            let outcome = if drain || c.attempts >= 4 || rng.random_bool(0.7) {
                SendOutcome::Delivered
            } else {
                SendOutcome::retry(None, "HTTP 500")
            };
            let arrives = outcome.is_delivered() && (!crash || rng.random_bool(0.5));
            self.stats.sends += 1;
            self.stats.retries += usize::from(!outcome.is_delivered());
            self.log.push(format!(
                "{} {} {:?} v{} to {}/{:?} attempt {}: {}",
                if crash { "crash" } else { "send" },
                c.id,
                c.kind,
                c.version,
                c.partner_id,
                c.location_ref,
                c.attempts,
                if arrives { "arrived" } else { "lost" }
            ));
            if arrives {
                self.received.entry(r).or_default().push(Got {
                    id: c.id.clone(),
                    kind: c.kind,
                    version: c.version,
                    reason: c.reason,
                });
            }
            finished.push(Attempted {
                label: outcome.label(),
                error: outcome.error().map(str::to_string),
                verdict: outcome.verdict(c.attempts, self.now, rng),
                claimed: c,
                at: self.now,
                latency: Duration::from_millis(5),
            });
        }
        if crash {
            // the worker died before recording: its leases run out, another worker goes on
            self.owner += 1;
            self.stats.crashes += 1;
        } else {
            outbox::record(self.store, &finished, Duration::from_secs(365 * 24 * 3600))
                .await
                .unwrap();
        }
        n
    }

    /// Once the case is resolved, only withdrawals are ever claimed.
    fn no_poster_after_the_resolve(&self, claimed: &[Claimed]) {
        if let CaseState::TakenDown(_) = self.state {
            for c in claimed {
                assert_eq!(
                    c.kind,
                    Kind::Withdrawn,
                    "{c:?} claimed after the resolve\n{}",
                    self.log.join("\n")
                );
            }
        }
    }

    /// Every recipient's messages in arrival order, repeats of a `webhook-id` left out; checks the
    /// order and returns the final state of each.
    fn check(&mut self, seed: u64) {
        let history = || format!("seed {seed}\n{}", self.log.join("\n"));
        for r in pool() {
            let got = self.received.get(&r).cloned().unwrap_or_default();
            let who = format!("{}/{:?}", r.partner, r.location);
            let mut seen: Vec<&Got> = Vec::new();
            let mut holds: Option<u32> = None;
            for g in &got {
                if seen.iter().any(|s| s.id == g.id) {
                    self.stats.repeats += 1;
                    assert_eq!(
                        seen.last().map(|s| &s.id),
                        Some(&g.id),
                        "{who}: an old message repeated after a newer one\n{}",
                        history()
                    );
                    continue;
                }
                if let Some(last) = seen.last() {
                    assert!(
                        !(last.kind == Kind::Withdrawn && final_reason(last.reason)),
                        "{who}: {g:?} after the final withdrawal\n{}",
                        history()
                    );
                    assert!(
                        g.version >= last.version,
                        "{who}: v{} after v{}\n{}",
                        g.version,
                        last.version,
                        history()
                    );
                }
                match g.kind {
                    Kind::Issued => {
                        assert_eq!(holds, None, "{who}: issued while holding\n{}", history())
                    }
                    Kind::Updated => assert!(
                        holds.is_some_and(|h| h < g.version),
                        "{who}: updated to v{} while holding {holds:?}\n{}",
                        g.version,
                        history()
                    ),
                    Kind::Withdrawn if !final_reason(g.reason) => assert!(
                        holds.is_some(),
                        "{who}: withdrawn from the region while holding nothing\n{}",
                        history()
                    ),
                    Kind::Withdrawn => {}
                }
                holds = (g.kind != Kind::Withdrawn).then_some(g.version);
                seen.push(g);
            }
            let last = seen.last();
            match self.state {
                CaseState::Active if self.wanted.contains(&r) => assert!(
                    last.is_some_and(|g| g.kind != Kind::Withdrawn && g.version == self.version),
                    "{who} is inside and should hold v{}: {seen:?}\n{}",
                    self.version,
                    history()
                ),
                CaseState::Active => assert!(
                    last.is_none_or(|g| g.kind == Kind::Withdrawn),
                    "{who} is outside and should hold nothing: {seen:?}\n{}",
                    history()
                ),
                CaseState::TakenDown(reason) => {
                    let had_one = seen.iter().any(|g| g.kind != Kind::Withdrawn);
                    assert!(
                        last.is_none_or(|g| g.kind == Kind::Withdrawn),
                        "{who} should hold nothing after the takedown: {seen:?}\n{}",
                        history()
                    );
                    if had_one {
                        assert_eq!(
                            last.and_then(|g| g.reason),
                            Some(reason),
                            "{who} had a poster and must be told of the takedown: {seen:?}\n{}",
                            history()
                        );
                    }
                }
            }
        }
    }
}

async fn run_sequence(store: &Store, url: &str, seed: u64, stats: &mut Stats) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let photo = common::store_photo(store).await;
    let case = common::store_case(store, &case_doc(&format!("P-{seed}"), &photo)).await;
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    if url.starts_with("sqlite:") {
        conn.execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")
            .await
            .unwrap();
    }
    let mut sim = Sim {
        store,
        conn,
        case,
        now: DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc(),
        version: 1,
        wanted: BTreeSet::new(),
        state: CaseState::Active,
        received: BTreeMap::new(),
        owner: 0,
        log: Vec::new(),
        stats: std::mem::take(stats),
    };
    let all = pool();
    let steps = rng.random_range(15..=35);
    for step in 0..steps {
        sim.now += chrono::Duration::seconds(rng.random_range(0..=90));
        let active = sim.state == CaseState::Active;
        let roll = rng.random_range(0..100);
        if active && (step == 0 || roll < 20) {
            let n = rng.random_range(3..=6);
            let mut wanted = BTreeSet::new();
            while wanted.len() < n {
                wanted.insert(all[rng.random_range(0..all.len())].clone());
            }
            sim.log.push(format!(
                "wanted {:?}",
                wanted
                    .iter()
                    .map(|r| format!("{}/{:?}", r.partner, r.location))
                    .collect::<Vec<_>>()
            ));
            sim.wanted = wanted;
            sim.replan().await;
        } else if active && roll < 35 {
            sim.version += 1;
            sim.log.push(format!("version {}", sim.version));
            sim.replan().await;
        } else if active && step > 5 && roll < 38 {
            sim.resolve(&mut rng).await;
        } else {
            sim.work(&mut rng, false, step).await;
        }
    }
    // the drain: leases run out, every retry comes due, everything arrives
    sim.now += chrono::Duration::days(30);
    sim.log.push("drain".into());
    let mut rounds = 0;
    while sim.work(&mut rng, true, steps).await > 0 {
        rounds += 1;
        assert!(rounds < 100, "the queue never empties");
    }
    let left: Vec<_> = outbox::timeline(store, case)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| matches!(d.state, State::Pending | State::Sending))
        .collect();
    assert!(left.is_empty(), "left in the queue: {left:?}");
    sim.check(seed);
    sim.stats.sequences += 1;
    *stats = sim.stats;
}

async fn random_changes_failures_and_crashes_leave_every_recipient_current(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _pg)) = common::fresh_database(backend, dir.path()).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let started = Instant::now();
    let mut stats = Stats::default();
    for seed in 0..40 {
        run_sequence(&store, &url, 0x5eed_0000 + seed, &mut stats).await;
    }
    println!("{backend:?}: {stats:?} in {:?}", started.elapsed());
    // the sequences must have gone through what they are meant to test
    assert!(
        stats.takedowns >= 5 && stats.crashes >= 10 && stats.repeats >= 5,
        "{stats:?}"
    );
    assert!(stats.resolves_while_sending >= 3, "{stats:?}");
    assert!(stats.retries >= 50 && stats.superseded >= 20, "{stats:?}");
}
both!(random_changes_failures_and_crashes_leave_every_recipient_current);
