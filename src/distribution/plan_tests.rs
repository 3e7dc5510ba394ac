use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::partners::PartnerId;

fn rcp(p: &str) -> Recipient {
    Recipient {
        partner: PartnerId::parse(p).unwrap(),
        location: None,
    }
}

fn set(ps: &[&str]) -> BTreeSet<Recipient> {
    ps.iter().map(|p| rcp(p)).collect()
}

#[test]
fn new_case_issues_to_everyone_inside() {
    let p = plan(&BTreeMap::new(), &set(&["aa", "bb"]), 1, CaseState::Active);
    assert!(p.supersede.is_empty());
    assert_eq!(p.steps.len(), 2);
    assert!(
        p.steps
            .iter()
            .all(|s| s.action == Action::Issue && s.version == 1)
    );
}

#[test]
fn update_goes_to_holders_issue_to_newcomers_withdraw_to_leavers() {
    let holding = |v| Standing {
        holds: Some(v),
        ever_sent: true,
        ..Standing::default()
    };
    let standings = BTreeMap::from([(rcp("aa"), holding(1)), (rcp("bb"), holding(1))]);
    let p = plan(&standings, &set(&["aa", "cc"]), 2, CaseState::Active);
    let got: Vec<(&str, Action)> = p
        .steps
        .iter()
        .map(|s| (s.recipient.partner.as_str(), s.action))
        .collect();
    assert_eq!(
        got,
        [
            ("aa", Action::Update),
            ("cc", Action::Issue),
            ("bb", Action::Withdraw(WithdrawReason::OutsideRegion))
        ]
    );
}

#[test]
fn nothing_changes_means_nothing_is_sent() {
    let standings = BTreeMap::from([(
        rcp("aa"),
        Standing {
            holds: Some(3),
            ever_sent: true,
            ..Standing::default()
        },
    )]);
    assert!(plan(&standings, &set(&["aa"]), 3, CaseState::Active).is_empty());
}

#[test]
fn a_queued_older_version_is_superseded() {
    let standings = BTreeMap::from([(
        rcp("aa"),
        Standing {
            holds: Some(1),
            ever_sent: true,
            queued: Some(Queued::Poster(2)),
            ..Standing::default()
        },
    )]);
    let p = plan(&standings, &set(&["aa"]), 3, CaseState::Active);
    assert_eq!(p.supersede, vec![rcp("aa")]);
    assert_eq!(p.steps[0].action, Action::Update);
}

#[test]
fn takedown_reaches_everyone_who_ever_got_it_and_only_once() {
    let standings = BTreeMap::from([
        (
            rcp("aa"),
            Standing {
                holds: Some(2),
                ever_sent: true,
                ..Standing::default()
            },
        ),
        (
            rcp("bb"),
            Standing {
                holds: None,
                ever_sent: true,
                ..Standing::default()
            },
        ),
        (
            rcp("cc"),
            Standing {
                queued: Some(Queued::Poster(2)),
                ..Standing::default()
            },
        ),
    ]);
    let state = CaseState::TakenDown(WithdrawReason::FoundSafe);
    let p = plan(&standings, &BTreeSet::new(), 2, state);
    let withdrawn: Vec<&str> = p
        .steps
        .iter()
        .map(|s| s.recipient.partner.as_str())
        .collect();
    assert_eq!(withdrawn, ["aa", "bb"]);
    assert!(p.supersede_retrying);
    assert_eq!(p.supersede, vec![rcp("aa"), rcp("bb"), rcp("cc")]);
    let done: BTreeMap<_, _> = standings
        .into_iter()
        .map(|(r, s)| {
            (
                r,
                Standing {
                    taken_down: true,
                    ..s
                },
            )
        })
        .collect();
    assert!(plan(&done, &BTreeSet::new(), 2, state).is_empty());
}

// ---- a model outbox, driven by random sequences, checking the invariant end to end ----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Msg {
    Poster(u32),
    Withdrawal { final_: bool },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Queued,
    Sending,
    Retrying,
    Delivered,
    Superseded,
}

struct Entry {
    id: usize,
    msg: Msg,
    state: State,
    tried: bool,
}

/// One recipient's deliveries in the order they were queued, as the outbox keeps them.
#[derive(Default)]
struct Outbox {
    log: Vec<Entry>,
    /// What the recipient really received, in order, with each delivery's id.
    received: Vec<(usize, Msg)>,
    down: bool,
}

impl Outbox {
    fn standing(&self) -> Standing {
        let tried = self
            .log
            .iter()
            .filter(|e| matches!(e.state, State::Delivered | State::Sending | State::Retrying));
        let holds = tried.fold(None, |_, e| match e.msg {
            Msg::Poster(v) => Some(v),
            Msg::Withdrawal { .. } => None,
        });
        let queued = self
            .log
            .iter()
            .rev()
            .find(|e| e.state == State::Queued)
            .map(|e| match e.msg {
                Msg::Poster(v) => Queued::Poster(v),
                Msg::Withdrawal { .. } => Queued::Withdrawal,
            });
        Standing {
            holds,
            ever_sent: self
                .log
                .iter()
                .any(|e| e.tried && matches!(e.msg, Msg::Poster(_))),
            taken_down: self.log.iter().any(|e| {
                e.state != State::Superseded && matches!(e.msg, Msg::Withdrawal { final_: true })
            }),
            queued,
        }
    }

    fn claim(&mut self) {
        if self.log.iter().any(|e| e.state == State::Sending) {
            return;
        }
        if let Some(e) = self
            .log
            .iter_mut()
            .find(|e| matches!(e.state, State::Queued | State::Retrying))
        {
            e.state = State::Sending;
            e.tried = true;
        }
    }

    fn finish(&mut self, reached_anyway: bool) {
        let down = self.down;
        let Some(e) = self.log.iter_mut().find(|e| e.state == State::Sending) else {
            return;
        };
        if !down || reached_anyway {
            self.received.push((e.id, e.msg));
        }
        e.state = if down {
            State::Retrying
        } else {
            State::Delivered
        };
    }

    fn supersede(&mut self, retrying_too: bool) {
        for e in &mut self.log {
            if e.state == State::Queued || (retrying_too && e.state == State::Retrying) {
                e.state = State::Superseded;
            }
        }
    }

    fn busy(&self) -> bool {
        self.log
            .iter()
            .any(|e| matches!(e.state, State::Queued | State::Sending | State::Retrying))
    }
}

struct World {
    next_id: usize,
    boxes: BTreeMap<Recipient, Outbox>,
    version: u32,
    wanted: BTreeSet<Recipient>,
    state: CaseState,
}

impl World {
    fn replan(&mut self) {
        let standings: BTreeMap<_, _> = self
            .boxes
            .iter()
            .map(|(r, b)| (r.clone(), b.standing()))
            .filter(|(_, s)| *s != Standing::default())
            .collect();
        let p = plan(&standings, &self.wanted, self.version, self.state);
        for r in &p.supersede {
            self.boxes
                .get_mut(r)
                .unwrap()
                .supersede(p.supersede_retrying);
        }
        for s in p.steps {
            let msg = match s.action {
                Action::Issue | Action::Update => Msg::Poster(s.version),
                Action::Withdraw(reason) => Msg::Withdrawal {
                    final_: reason != WithdrawReason::OutsideRegion,
                },
            };
            let b = self.boxes.get_mut(&s.recipient).unwrap();
            b.log.push(Entry {
                id: self.next_id,
                msg,
                state: State::Queued,
                tried: false,
            });
            self.next_id += 1;
        }
    }
}

/// Versions never go back, nothing follows a final withdrawal; a repeat of the same delivery (same id,
/// at-least-once) is allowed, as partners drop duplicates by id.
fn check_order(received: &[(usize, Msg)]) -> Result<(), String> {
    let mut newest = 0;
    let mut ended = false;
    let mut last_id = None;
    for (id, m) in received {
        if last_id == Some(*id) {
            continue;
        }
        last_id = Some(*id);
        if ended {
            return Err(format!("{m:?} after the final withdrawal: {received:?}"));
        }
        match *m {
            Msg::Poster(v) if v < newest => {
                return Err(format!("version {v} after {newest}: {received:?}"));
            }
            Msg::Poster(v) => newest = v,
            Msg::Withdrawal { final_ } => ended = final_,
        }
    }
    Ok(())
}

#[test]
fn random_sequences_end_with_every_partner_holding_the_newest_poster_or_none() {
    let names: Vec<Recipient> = (0..6).map(|i| rcp(&format!("p{i}"))).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(20261123);
    for round in 0..3000 {
        let mut w = World {
            next_id: 0,
            boxes: names
                .iter()
                .map(|r| (r.clone(), Outbox::default()))
                .collect(),
            version: 1,
            wanted: names
                .iter()
                .filter(|_| rng.random_bool(0.5))
                .cloned()
                .collect(),
            state: CaseState::Active,
        };
        w.replan();
        for _ in 0..rng.random_range(0..40) {
            let r = &names[rng.random_range(0..names.len())];
            match rng.random_range(0..10) {
                0 if w.state == CaseState::Active => {
                    w.version += 1;
                    w.replan();
                }
                1 if w.state == CaseState::Active => {
                    w.wanted = names
                        .iter()
                        .filter(|_| rng.random_bool(0.5))
                        .cloned()
                        .collect();
                    w.replan();
                }
                2 if w.state == CaseState::Active && rng.random_bool(0.3) => {
                    w.state = CaseState::TakenDown(WithdrawReason::FoundSafe);
                    w.replan();
                }
                3 => {
                    let b = w.boxes.get_mut(r).unwrap();
                    b.down = !b.down;
                }
                4..=6 => w.boxes.get_mut(r).unwrap().claim(),
                _ => {
                    let anyway = rng.random_bool(0.2);
                    w.boxes.get_mut(r).unwrap().finish(anyway);
                }
            }
        }
        // the partners come back; the outbox drains
        for b in w.boxes.values_mut() {
            b.down = false;
            while b.busy() {
                b.claim();
                b.finish(false);
            }
        }
        for (r, b) in &w.boxes {
            check_order(&b.received).unwrap_or_else(|e| panic!("round {round}, {r:?}: {e}"));
            let holds = match b.received.last() {
                Some((_, Msg::Poster(v))) => Some(*v),
                _ => None,
            };
            let should =
                (w.state == CaseState::Active && w.wanted.contains(r)).then_some(w.version);
            assert_eq!(
                holds, should,
                "round {round}, {r:?}: received {:?}",
                b.received
            );
        }
    }
}
