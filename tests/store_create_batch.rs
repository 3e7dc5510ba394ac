//! Creates arriving at the same moment, straight on the store: on SQLite they are written in one
//! transaction (group commit), and each must still get the answer it would have had alone.

mod common;

use common::{Backend, case_doc, fresh_database};
use lookout::cases::{Case, parse_case};
use lookout::store::{Actor, AuditFilter, CaseFilter, Created, IdempotencyKey, Store, StoreError};

const PHOTO: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn case(number: &str) -> Case {
    let doc = serde_json::to_vec(&case_doc(number, PHOTO)).unwrap();
    parse_case(&doc, chrono::Utc::now().date_naive()).unwrap()
}

fn key(key: &str, hash: &str) -> IdempotencyKey {
    IdempotencyKey {
        scope: "cases",
        actor: "system:test".into(),
        key: key.into(),
        request_hash: hash.into(),
    }
}

async fn open(
    backend: Backend,
    dir: &std::path::Path,
) -> Option<(Store, Option<common::PgDatabase>)> {
    let (url, pg) = fresh_database(backend, dir).await?;
    Some((Store::open(&url).await.unwrap(), pg))
}

async fn creates_at_once_fail_alone(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((store, _db)) = open(backend, dir.path()).await else {
        return;
    };
    let actor = Actor::System("test");
    let (k1, k2) = (key("k1", "h1"), key("k2", "h2"));
    // 20 distinct cases, 5 with one number, 3 identical keyed requests, and a keyed and a plain
    // request for one number: all at once.
    let mut requests: Vec<(Case, Option<&IdempotencyKey>)> = Vec::new();
    requests.extend((0..20).map(|i| (case(&format!("P-{i:02}")), None)));
    requests.extend((0..5).map(|_| (case("DUP-1"), None)));
    requests.extend((0..3).map(|_| (case("KEYED-1"), Some(&k1))));
    requests.push((case("DUP-2"), Some(&k2)));
    requests.push((case("DUP-2"), None));
    let results = futures::future::join_all(
        requests
            .iter()
            .map(|(c, k)| store.create_case(c, false, &actor, *k)),
    )
    .await;

    let new_id = |r: &Result<Created, StoreError>| match r {
        Ok(Created::New(c)) => Some(c.id),
        _ => None,
    };
    let taken = |r: &Result<Created, StoreError>| matches!(r, Err(StoreError::CaseNumberTaken(_)));
    assert!(results[..20].iter().all(|r| new_id(r).is_some()));
    let dup = &results[20..25];
    assert_eq!(dup.iter().filter(|r| new_id(r).is_some()).count(), 1);
    assert_eq!(dup.iter().filter(|r| taken(r)).count(), 4);
    let keyed = &results[25..28];
    let made = keyed
        .iter()
        .find_map(new_id)
        .expect("one keyed create made the case");
    for r in keyed {
        match r {
            Ok(Created::New(c)) | Ok(Created::Replayed(c)) => assert_eq!(c.id, made),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(keyed.iter().filter(|r| new_id(r).is_some()).count(), 1);
    let pair = &results[28..30];
    assert_eq!(pair.iter().filter(|r| new_id(r).is_some()).count(), 1);
    assert_eq!(pair.iter().filter(|r| taken(r)).count(), 1);
    if taken(&pair[0]) {
        // The keyed create failed: its claim was taken back with it, so the key is still unused.
        let again = store
            .create_case(&case("DUP-2"), false, &actor, Some(&k2))
            .await;
        assert!(taken(&again), "{:?}", again.err());
    }

    // Same key, another request: refused.
    let reused = store
        .create_case(&case("KEYED-1"), false, &actor, Some(&key("k1", "other")))
        .await;
    assert!(matches!(reused, Err(StoreError::IdempotencyKeyReused)));

    // Everything made is whole: a row, its first version and one audit record each.
    let listed = store
        .list_cases(&CaseFilter {
            limit: 500,
            ..CaseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 23);
    for c in &listed {
        let versions = store
            .versions(c.id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].actor, "system:test");
    }
    let audited = store
        .audit_entries(&AuditFilter {
            action: Some("case.create".into()),
            limit: 500,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), 23);
    store.close().await;
}
both!(creates_at_once_fail_alone);
