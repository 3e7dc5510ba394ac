//! `serve --demo` data: invented sample cases with drawn portraits, seeded once however often the
//! service starts, and a fresh admin token and console passwords each time.

mod common;

use common::{Backend, fresh_database};
use lookout::app::seed_demo;
use lookout::store::{CaseFilter, Store};

async fn demo_data_is_seeded_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _db)) = fresh_database(backend, dir.path()).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let first = seed_demo(&store).await.unwrap();
    assert_eq!(first.cases_created, 3);
    let second = seed_demo(&store).await.unwrap();
    assert_eq!(second.cases_created, 0, "a second start adds nothing");

    let all = CaseFilter {
        limit: 100,
        ..CaseFilter::default()
    };
    let cases = store.list_cases(&all).await.unwrap();
    assert_eq!(cases.len(), 3);
    assert!(
        cases
            .iter()
            .all(|c| c.sample && c.case_number.starts_with("SAMPLE-"))
    );
    for c in &cases {
        let v = store
            .case_version(c.id.parse().unwrap(), None)
            .await
            .unwrap()
            .unwrap();
        for (_, photo) in v.document.photos() {
            let lookout::cases::PhotoSource::Id(id) = &photo.source else {
                panic!("demo photos are stored")
            };
            let stored = store.photo(&id.parse().unwrap()).await.unwrap().unwrap();
            assert!(image::load_from_memory(&stored.jpeg).is_ok());
        }
    }
    // the demo partner network: seeded by the first start, left alone by the second
    assert!(first.network.partners >= 300, "{:?}", first.network);
    assert_eq!(
        second.network.partners, 0,
        "a second start adds no partners"
    );
    let partners = store.partners(false).await.unwrap();
    assert_eq!(partners.len(), first.network.partners);
    let active = store.active_locations().await.unwrap().len();
    assert!(
        active > 10_000 && active <= first.network.locations,
        "{active} active locations"
    );

    assert!(
        store.authenticate(&first.token).await.unwrap().is_none(),
        "the old demo token is revoked"
    );
    assert!(store.authenticate(&second.token).await.unwrap().is_some());

    // two console sign-ins, a new password at every start: the case manager and a partner's portal
    let who: Vec<&str> = second.sign_ins.iter().map(|s| s.who.as_str()).collect();
    assert_eq!(who.len(), 2, "{who:?}");
    assert!(
        who[1].starts_with("the portal of the demo partner"),
        "{who:?}"
    );
    for (a, b) in first.sign_ins.iter().zip(&second.sign_ins) {
        assert_eq!(a.email, b.email);
        assert_ne!(a.password, b.password, "a new password at every start");
        let (_, hash) = store.user_for_sign_in(&b.email).await.unwrap().unwrap();
        assert!(lookout::accounts::verify_password(&b.password, &hash));
        assert!(!lookout::accounts::verify_password(&a.password, &hash));
    }
    let (partner_user, _) = store
        .user_for_sign_in(&second.sign_ins[1].email)
        .await
        .unwrap()
        .unwrap();
    let partner = partner_user.partner_id.expect("a partner user");
    let record = partners.iter().find(|p| p.partner.id == partner).unwrap();
    assert!(
        matches!(
            record.partner.delivery,
            lookout::partners::Delivery::Pull(_)
        ),
        "the demo portal's partner fetches its posters: nothing is sent anywhere"
    );
    store.close().await;
}
both!(demo_data_is_seeded_once);
