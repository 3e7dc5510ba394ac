//! Found means gone, against the real outbox (SQLite and PostgreSQL) with the test playing the
//! worker: a dispatch or a retarget racing a resolve never puts a poster back up, a lease that runs
//! out after the resolve never sends the poster again, and a case whose retarget fails does not
//! hold up the others.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Backend;
use common::outbox::Fixture;
use lookout::distribution::DispatchError;
use lookout::store::outbox::{self, Attempted, Kind, State, Verdict};
use lookout::store::{Actor, CaseId};
use tokio::sync::Barrier;

const ALEXANDRIA: (f64, f64) = (38.8101, -77.0647);
const ARLINGTON: (f64, f64) = (38.8816, -77.0910);
const CHICAGO: (f64, f64) = (41.8781, -87.6298);

/// Every claim from now on is a withdrawal: no poster of the case goes out again.
async fn only_withdrawals_go_out(f: &Fixture) -> Vec<(String, Kind)> {
    let sent = f.deliver_all().await;
    for c in &sent {
        assert_eq!(
            c.kind,
            Kind::Withdrawn,
            "a poster went out after the resolve: {c:?}"
        );
    }
    sent.into_iter().map(|c| (c.partner_id, c.kind)).collect()
}

/// Per partner, the (kind, state) of each of its deliveries of the case.
async fn timeline(f: &Fixture, case: CaseId) -> Vec<(String, Kind, State)> {
    outbox::timeline(&f.store, case)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.partner_id, d.kind, d.state))
        .collect()
}

async fn a_dispatch_racing_a_resolve_never_puts_the_poster_up(backend: Backend) {
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    f.register("alex-mart", ALEXANDRIA).await;
    let f = Arc::new(f);
    let (mut closed_first, mut dispatched_first) = (0, 0);
    for round in 0..12 {
        let id = f.case(&format!("R-{round}")).await;
        let gate = Arc::new(Barrier::new(2));
        let dispatch = tokio::spawn({
            let (f, gate) = (f.clone(), gate.clone());
            async move {
                gate.wait().await;
                f.state
                    .distributor
                    .dispatch(id, &[], &Actor::System("test"))
                    .await
            }
        });
        let resolve = tokio::spawn({
            let (f, gate) = (f.clone(), gate.clone());
            async move {
                gate.wait().await;
                f.resolve(id).await
            }
        });
        resolve.await.unwrap().expect("the resolve goes through");
        match dispatch.await.unwrap() {
            Err(DispatchError::CaseClosed(_)) => closed_first += 1,
            Ok(Some(_)) => dispatched_first += 1,
            other => panic!("dispatch: {other:?}"),
        }
        // nothing was ever sent, so nothing is sent: no poster, and no takedown of nothing
        assert!(only_withdrawals_go_out(&f).await.is_empty());
        let dist = outbox::distribution(&f.store, id).await.unwrap();
        assert!(
            dist.as_ref().is_none_or(|d| !d.active),
            "round {round}: {dist:?}"
        );
        // and a dispatch after the resolve is refused outright
        let again = f
            .state
            .distributor
            .dispatch(id, &[], &Actor::System("test"))
            .await;
        assert!(
            matches!(again, Err(DispatchError::CaseClosed(_))),
            "{again:?}"
        );
    }
    println!("{backend:?}: resolve first {closed_first}, dispatch first {dispatched_first}");
}
both!(a_dispatch_racing_a_resolve_never_puts_the_poster_up);

async fn a_retarget_racing_a_resolve_never_writes_back_an_active_distribution(backend: Backend) {
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    f.register("alex-mart", ALEXANDRIA).await;
    f.register("late-mart", CHICAGO).await;
    let f = Arc::new(f);
    for round in 0..8 {
        let id = f.case(&format!("T-{round}")).await;
        f.place("late-mart", CHICAGO).await;
        f.state
            .distributor
            .dispatch(id, &[], &Actor::System("test"))
            .await
            .unwrap();
        assert_eq!(f.deliver_all().await.len(), 1, "alex-mart has the poster");
        // a store moves into the region: a retarget would issue to it
        f.place("late-mart", ARLINGTON).await;
        let gate = Arc::new(Barrier::new(2));
        let now = f.now();
        let retarget = tokio::spawn({
            let (f, gate) = (f.clone(), gate.clone());
            async move {
                gate.wait().await;
                f.state.distributor.retarget(id, now).await
            }
        });
        let resolve = tokio::spawn({
            let (f, gate) = (f.clone(), gate.clone());
            async move {
                gate.wait().await;
                f.resolve(id).await
            }
        });
        resolve.await.unwrap().unwrap();
        retarget.await.unwrap().unwrap();
        let dist = outbox::distribution(&f.store, id).await.unwrap().unwrap();
        assert!(
            !dist.active,
            "round {round}: the retarget wrote back {dist:?}"
        );
        assert_eq!(dist.poster_version, 1);
        let sent = only_withdrawals_go_out(&f).await;
        assert!(
            sent.contains(&("alex-mart".into(), Kind::Withdrawn)),
            "round {round}: {sent:?}"
        );
        // late-mart never received anything, so it is told nothing
        assert!(!sent.iter().any(|(p, _)| p == "late-mart"), "{sent:?}");
        // and the scheduler passes it by from now on
        let later = f.now() + chrono::Duration::days(2);
        assert_eq!(f.state.distributor.retarget(id, later).await.unwrap(), None);
    }
}
both!(a_retarget_racing_a_resolve_never_writes_back_an_active_distribution);

async fn a_lease_that_runs_out_after_the_resolve_never_sends_the_poster_again(backend: Backend) {
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    f.register("alex-mart", ALEXANDRIA).await;
    let id = f.case("L-1").await;
    f.state
        .distributor
        .dispatch(id, &[], &Actor::System("test"))
        .await
        .unwrap();
    // a worker takes the issue and dies mid-send
    let lost = f.claim("dead-worker").await;
    assert_eq!(lost.len(), 1);
    f.resolve(id).await.unwrap();
    // its lease runs out
    f.clock.advance(Duration::from_secs(3600));
    outbox::reclaim_expired(&f.store, f.now()).await.unwrap();
    let sent = only_withdrawals_go_out(&f).await;
    assert_eq!(sent, [("alex-mart".to_string(), Kind::Withdrawn)]);
    // the dead worker's send did arrive after all; its result is written, and nothing follows
    outbox::record(
        &f.store,
        &[Attempted {
            claimed: lost[0].clone(),
            verdict: Verdict::Delivered,
            label: "delivered",
            error: None,
            at: f.now(),
            latency: Duration::from_millis(900),
        }],
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    assert_eq!(
        timeline(&f, id).await,
        [
            ("alex-mart".into(), Kind::Issued, State::Superseded),
            ("alex-mart".into(), Kind::Withdrawn, State::Delivered),
        ]
    );
    let issued = outbox::delivery(&f.store, &lost[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(issued.delivered_at.is_some(), "{issued:?}");
    assert!(only_withdrawals_go_out(&f).await.is_empty());
    // its takedown is complete
    let dist = outbox::distribution(&f.store, id).await.unwrap().unwrap();
    assert!(dist.takedown_done_at.is_some(), "{dist:?}");
}
both!(a_lease_that_runs_out_after_the_resolve_never_sends_the_poster_again);

async fn a_case_whose_retarget_fails_holds_up_no_other(backend: Backend) {
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    f.register("alex-mart", ALEXANDRIA).await;
    let bad = f.case("B-1").await;
    let good = f.case("B-2").await;
    for id in [bad, good] {
        f.state
            .distributor
            .dispatch(id, &[], &Actor::System("test"))
            .await
            .unwrap();
    }
    f.deliver_all().await;
    // a row written by an older version names a state no outline exists for
    f.execute(&format!(
        "UPDATE distributions SET states = '[\"ZZ\"]' WHERE case_id = '{bad}'"
    ))
    .await;
    let later = f.now() + chrono::Duration::days(1);
    assert_eq!(f.state.distributor.retarget_due(later).await.unwrap(), 2);
    assert_eq!(f.state.distributor.retarget_failures(), 1);
    let good_next = outbox::distribution(&f.store, good).await.unwrap().unwrap();
    let bad_next = outbox::distribution(&f.store, bad).await.unwrap().unwrap();
    assert!(
        good_next.next_retarget_at > lookout_stamp(later),
        "{good_next:?}"
    );
    // the bad case is put off an interval, so it does not come first on every tick
    assert!(
        bad_next.next_retarget_at > lookout_stamp(later),
        "{bad_next:?}"
    );
    assert_eq!(f.state.distributor.retarget_due(later).await.unwrap(), 0);
}
both!(a_case_whose_retarget_fails_holds_up_no_other);

fn lookout_stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
