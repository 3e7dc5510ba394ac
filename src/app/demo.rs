//! `serve --demo`: invented sample cases with drawn portraits, the demo partner network, and a fresh
//! admin token, so a newcomer sees the service working at once. Safe to run on every start: cases
//! and partners already there are left alone; the previous demo token is revoked.

use chrono::{Duration, Utc};
use serde_json::json;

use super::AppError;
use super::demo_network::{NetworkSeed, seed_network};
use super::portrait::{HEIGHT, WIDTH, portrait_jpeg};
use crate::cases::parse_case;
use crate::partners::PartnerId;
use crate::posters::PreparedPhoto;
use crate::store::{Actor, CaseFilter, Role, Store};

const ACTOR: Actor = Actor::System("demo");
const TOKEN_LABEL: &str = "demo";

pub struct DemoSeed {
    /// An admin token for trying the API; printed once.
    pub token: String,
    /// The console sign-ins, each with a password new at every start: the demo case manager's, and
    /// the portal of the demo partner nearest the first sample case.
    pub sign_ins: Vec<DemoSignIn>,
    pub cases_created: usize,
    /// Demo partners and locations added (none when they were already there).
    pub network: NetworkSeed,
}

/// One console account of the demo.
#[derive(Debug, Clone)]
pub struct DemoSignIn {
    /// Who signs in with it, as the start-up message says it.
    pub who: String,
    pub email: String,
    pub password: String,
}

struct DemoCase {
    number: &'static str,
    case_type: &'static str,
    child: &'static str,
    dob: &'static str,
    sex: &'static str,
    city: (&'static str, &'static str, f64, f64),
    days_ago: i64,
    seed: u32,
}

/// Every name and place pairing here is invented.
const CASES: [DemoCase; 3] = [
    DemoCase {
        number: "SAMPLE-0001",
        case_type: "endangered_missing",
        child: "Ava Sample",
        dob: "2014-05-09",
        sex: "female",
        city: ("Alexandria", "VA", 38.8048, -77.0469),
        days_ago: 1,
        seed: 0x1a5,
    },
    DemoCase {
        number: "SAMPLE-0002",
        case_type: "endangered_runaway",
        child: "Leo Example",
        dob: "2010-11-23",
        sex: "male",
        city: ("Columbus", "OH", 39.9612, -82.9988),
        days_ago: 3,
        seed: 0x0e2,
    },
    DemoCase {
        number: "SAMPLE-0003",
        case_type: "lost_injured_missing",
        child: "Mia Placeholder",
        dob: "2017-02-14",
        sex: "female",
        city: ("Boise", "ID", 43.6150, -116.2023),
        days_ago: 0,
        seed: 0x173,
    },
];

pub async fn seed_demo(store: &Store) -> Result<DemoSeed, AppError> {
    let mut cases_created = 0;
    for c in &CASES {
        if seed_case(store, c).await? {
            cases_created += 1;
        }
    }
    let network = seed_network(store).await?;
    store.revoke_tokens_labelled(TOKEN_LABEL, &ACTOR).await?;
    let token = store
        .create_token(Role::Admin, None, Some(TOKEN_LABEL), &ACTOR)
        .await?;
    let mut sign_ins = vec![DemoSignIn {
        who: "the demo case manager".into(),
        email: MANAGER_EMAIL.into(),
        password: demo_user(store, MANAGER_EMAIL, None).await?,
    }];
    if let Some(partner) = demo_partner(store).await? {
        sign_ins.push(DemoSignIn {
            who: format!("the portal of the demo partner {partner}"),
            email: PARTNER_EMAIL.into(),
            password: demo_user(store, PARTNER_EMAIL, Some(&partner)).await?,
        });
    }
    Ok(DemoSeed {
        token: token.secret,
        sign_ins,
        cases_created,
        network,
    })
}

const MANAGER_EMAIL: &str = "demo.manager@lookout.example";
const PARTNER_EMAIL: &str = "demo.partner@lookout.example";

/// A demo console user, made on the first start, with a new password on every start: the case
/// manager, or a user of `partner`'s portal.
async fn demo_user(
    store: &Store,
    email: &str,
    partner: Option<&PartnerId>,
) -> Result<String, AppError> {
    let password = crate::accounts::one_time_password();
    let hash =
        crate::accounts::hash_password(&password).map_err(|e| AppError::Demo(e.to_string()))?;
    let now = Utc::now();
    match store.reset_password(email, &hash, &ACTOR, now).await {
        Ok(_) => {}
        Err(crate::store::StoreError::NotFound(_)) => match partner {
            None => {
                let name = "Sam Sample (demo case manager)";
                store
                    .create_user(email, name, Role::CaseManager, &hash, &ACTOR, now)
                    .await?;
            }
            Some(p) => {
                let name = "Pat Sample (demo partner)";
                store
                    .create_partner_user(email, name, p, &hash, &ACTOR, now)
                    .await?;
            }
        },
        Err(e) => return Err(e.into()),
    }
    Ok(password)
}

/// The demo partner whose portal the demo opens: one that fetches its posters (so nothing is sent
/// anywhere), with the location nearest the first sample case, so a case manager who sends that case
/// sees it arrive there.
async fn demo_partner(store: &Store) -> Result<Option<PartnerId>, AppError> {
    let fetching: std::collections::HashSet<PartnerId> = store
        .partners(true)
        .await?
        .into_iter()
        .filter(|r| matches!(r.partner.delivery, crate::partners::Delivery::Pull(_)))
        .map(|r| r.partner.id)
        .collect();
    let (_, _, lat, lon) = CASES[0].city;
    let nearest = store
        .active_locations()
        .await?
        .into_iter()
        .filter(|l| fetching.contains(&l.partner_id))
        .map(|l| ((l.lat - lat).powi(2) + (l.lon - lon).powi(2), l.partner_id))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    Ok(nearest.map(|(_, id)| id))
}

async fn seed_case(store: &Store, c: &DemoCase) -> Result<bool, AppError> {
    let existing = store
        .list_cases(&CaseFilter {
            case_number: Some(c.number.into()),
            limit: 1,
            ..CaseFilter::default()
        })
        .await?;
    if !existing.is_empty() {
        return Ok(false);
    }
    let photo = PreparedPhoto {
        jpeg: portrait_jpeg(c.seed),
        width: WIDTH,
        height: HEIGHT,
    };
    let photo = store.put_photo(&photo, &ACTOR, None).await?;
    let today = Utc::now().date_naive();
    let (city, region, lat, lon) = c.city;
    let doc = json!({
        "case_number": c.number,
        "case_type": c.case_type,
        "missing_since": (today - Duration::days(c.days_ago)).to_string(),
        "missing_from": {"city": city, "region": region, "country": "US", "lat": lat, "lon": lon},
        "circumstances": "SAMPLE case for trying lookout. This child is invented; the picture is drawn.",
        "children": [{
            "name": c.child,
            "date_of_birth": c.dob,
            "sex": c.sex,
            "height_cm": 140,
            "weight_kg": 35,
            "hair": "Brown",
            "eyes": "Brown",
            "photos": [{"photo_id": photo.id, "caption": "Drawn sample portrait"}]
        }],
        "travel": "vehicle",
        "contact": {"agency": "Sample County Sheriff (demo)", "phone": "1-555-555-0100", "region": region, "email": "tips@sheriff.sample.example"},
        "languages": ["en", "es"]
    });
    let bytes = serde_json::to_vec(&doc).expect("plain data serialises");
    let case = parse_case(&bytes, today).map_err(|e| AppError::Demo(e.to_string()))?;
    store.create_case(&case, true, &ACTOR, None).await?;
    Ok(true)
}
