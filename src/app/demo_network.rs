//! The demo partner network in the database: about 300 invented partners and 20,000 locations made
//! from real US geography with a fixed seed, so a newcomer's first targeting preview of a demo case
//! shows real partners. Idempotent: a partner already there is left alone, whatever its state.

use super::AppError;
use crate::partners::{Location, PartnerId};
use crate::store::{Actor, Store};
use crate::targeting::DemoNetwork;

const ACTOR: Actor = Actor::System("demo");
/// The seed of the demo network: the same partners and locations on every machine.
pub const DEMO_NETWORK_SEED: u64 = 0x10c0_u64;
/// Enough locations to look like a country, few enough to seed in a few seconds.
pub const DEMO_NETWORK_LOCATIONS: usize = 20_000;

/// How many demo partners (and their locations) were added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkSeed {
    pub partners: usize,
    pub locations: usize,
}

pub async fn seed_network(store: &Store) -> Result<NetworkSeed, AppError> {
    let network = DemoNetwork::generate(DEMO_NETWORK_SEED, DEMO_NETWORK_LOCATIONS)
        .map_err(|e| AppError::Demo(e.to_string()))?;
    let existing: std::collections::HashSet<PartnerId> = store
        .partners(false)
        .await?
        .into_iter()
        .map(|r| r.partner.id)
        .collect();
    let mut by_partner: Vec<Vec<Location>> = vec![Vec::new(); network.partners.len()];
    let position: std::collections::HashMap<&PartnerId, usize> = network
        .partners
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.id, i))
        .collect();
    for l in network.locations() {
        if let Some(&i) = position.get(&l.partner_id) {
            by_partner[i].push(l);
        }
    }
    let mut seeded = NetworkSeed::default();
    for (partner, locations) in network.partners.iter().zip(&by_partner) {
        if existing.contains(&partner.id) {
            continue;
        }
        store.create_partner(partner, &ACTOR).await?;
        seeded.locations += store
            .replace_locations(&partner.id, locations, &ACTOR)
            .await?;
        seeded.partners += 1;
    }
    Ok(seeded)
}
