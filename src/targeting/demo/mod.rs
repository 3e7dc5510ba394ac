//! A demo partner network, made from real US geography with a fixed seed.
//!
//! About 300 invented partners of every kind: national and regional retail chains with stores in
//! proportion to population, billboard operators and truck stops along the ways between nearby
//! big cities, newspapers and TV stations covering circles around big cities, and state welcome
//! centres. The number of locations is a parameter, so that a benchmark can ask for a million.
//! Locations are generated lazily, in the same order each time, so a million of them never need
//! to be held twice.

mod invent;

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::invent::{
    BILLBOARD, MEDIA, NATIONAL, REGIONAL_FIRST, REGIONAL_SECOND, TRUCK_STOPS, initials, partner,
    unique_ids,
};
use super::geodata::{City, CityError, us_cities};
use super::sphere::{self, LatLon};
use crate::partners::{Location, Partner, PartnerKind};

/// Shares of the generated locations by kind; retail takes the rest.
const BILLBOARD_SHARE: f64 = 0.12;
const TRUCK_SHARE: f64 = 0.06;
const PUBLIC_SHARE: f64 = 0.01;
const NATIONAL_SHARE: f64 = 0.7;
const MEDIA_CITIES: usize = 110;
/// Cities joined by corridors.
const CORRIDOR_CITIES: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Cities(#[from] CityError),
}

/// What one partner's locations are made of.
#[derive(Debug, Clone)]
enum Plan {
    /// Stores in these cities, in proportion to population.
    Stores { cities: Vec<u32>, count: usize },
    /// Points along these corridors (indices into `corridors`), seen from `reach_m`.
    Along {
        corridors: Vec<u32>,
        count: usize,
        reach_m: Option<(f64, f64)>,
    },
    /// A coverage circle around a city.
    Coverage { city: u32, radius_m: f64 },
}

/// The generated network: partners now, locations on demand.
#[derive(Debug, Clone)]
pub struct DemoNetwork {
    pub partners: Vec<Partner>,
    plans: Vec<Plan>,
    cities: Vec<City>,
    corridors: Vec<(u32, u32)>,
    seed: u64,
}

impl DemoNetwork {
    /// About `target_locations` locations (never fewer than the media and public ones).
    pub fn generate(seed: u64, target_locations: usize) -> Result<DemoNetwork, DemoError> {
        let cities = us_cities()?;
        let corridors = corridors(&cities);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut states: Vec<&str> = cities.iter().map(|c| c.state.as_str()).collect();
        states.sort_unstable();
        states.dedup();
        let in_state = |s: &str| -> Vec<u32> {
            (0..cities.len() as u32)
                .filter(|&i| cities[i as usize].state == s)
                .collect()
        };
        let t = target_locations as f64;
        let retail = (t * (1.0 - BILLBOARD_SHARE - TRUCK_SHARE - PUBLIC_SHARE)).max(0.0)
            - MEDIA_CITIES as f64;
        let mut partners = Vec::new();
        let mut plans = Vec::new();

        let national = split(retail.max(0.0) * NATIONAL_SHARE, NATIONAL.len(), &mut rng);
        for (name, count) in NATIONAL.iter().zip(national) {
            let all = (0..cities.len() as u32).collect();
            partners.push(partner(name, "", PartnerKind::Retail, &mut rng));
            plans.push(Plan::Stores { cities: all, count });
        }
        let state_pop: Vec<u64> = states
            .iter()
            .map(|s| {
                cities
                    .iter()
                    .filter(|c| c.state == *s)
                    .map(|c| c.population)
                    .sum()
            })
            .collect();
        let total_pop: u64 = state_pop.iter().sum();
        let regional = retail.max(0.0) * (1.0 - NATIONAL_SHARE);
        for (s, pop) in states.iter().zip(&state_pop) {
            let share = regional * *pop as f64 / total_pop as f64;
            for count in split(share, 2, &mut rng) {
                let name = format!(
                    "{} {}",
                    REGIONAL_FIRST[rng.random_range(0..REGIONAL_FIRST.len())],
                    REGIONAL_SECOND[rng.random_range(0..REGIONAL_SECOND.len())]
                );
                partners.push(partner(&name, s, PartnerKind::Retail, &mut rng));
                plans.push(Plan::Stores {
                    cities: in_state(s),
                    count,
                });
            }
        }
        let along = |names: &[&str],
                     share: f64,
                     kind,
                     reach,
                     rng: &mut ChaCha8Rng,
                     partners: &mut Vec<Partner>,
                     plans: &mut Vec<Plan>| {
            let counts = split(t * share, names.len(), rng);
            for (k, (name, count)) in names.iter().zip(counts).enumerate() {
                let mine = (0..corridors.len() as u32)
                    .filter(|c| *c as usize % names.len() == k)
                    .collect();
                partners.push(partner(name, "", kind, rng));
                plans.push(Plan::Along {
                    corridors: mine,
                    count,
                    reach_m: reach,
                });
            }
        };
        along(
            &BILLBOARD,
            BILLBOARD_SHARE,
            PartnerKind::Billboard,
            Some((800.0, 1500.0)),
            &mut rng,
            &mut partners,
            &mut plans,
        );
        along(
            &TRUCK_STOPS,
            TRUCK_SHARE,
            PartnerKind::Transport,
            None,
            &mut rng,
            &mut partners,
            &mut plans,
        );
        for (i, c) in cities.iter().take(MEDIA_CITIES).enumerate() {
            let name = format!("{} {}", c.name, MEDIA[i % MEDIA.len()]);
            // a big city's paper reaches farther
            let radius_m =
                (25_000.0 + 12_000.0 * (c.population as f64 / 100_000.0).sqrt()).min(150_000.0);
            partners.push(partner(&name, &c.state, PartnerKind::Media, &mut rng));
            plans.push(Plan::Coverage {
                city: i as u32,
                radius_m,
            });
        }
        for (s, pop) in states.iter().zip(&state_pop) {
            let count = ((t * PUBLIC_SHARE) * *pop as f64 / total_pop as f64)
                .round()
                .max(1.0) as usize;
            partners.push(partner(
                &format!("{s} Welcome Centers"),
                "",
                PartnerKind::Public,
                &mut rng,
            ));
            plans.push(Plan::Stores {
                cities: in_state(s),
                count,
            });
        }
        unique_ids(&mut partners);
        Ok(DemoNetwork {
            partners,
            plans,
            cities,
            corridors,
            seed,
        })
    }

    /// How many locations [`Self::locations`] yields.
    pub fn location_count(&self) -> usize {
        self.plans
            .iter()
            .map(|p| match p {
                Plan::Stores { count, .. } | Plan::Along { count, .. } => *count,
                Plan::Coverage { .. } => 1,
            })
            .sum()
    }

    /// The locations, the same ones in the same order on every call.
    pub fn locations(&self) -> impl Iterator<Item = Location> + '_ {
        self.plans.iter().enumerate().flat_map(move |(i, plan)| {
            let mut rng = ChaCha8Rng::seed_from_u64(
                self.seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1)),
            );
            let partner = &self.partners[i];
            let tag = initials(&partner.name);
            let weights = match plan {
                Plan::Stores { cities, .. } => {
                    WeightedIndex::new(cities.iter().map(|&c| self.cities[c as usize].population))
                        .ok()
                }
                _ => None,
            };
            let count = match plan {
                Plan::Stores { count, .. } | Plan::Along { count, .. } => *count,
                Plan::Coverage { .. } => 1,
            };
            (0..count).filter_map(move |n| {
                let reference = format!("{tag}-{:05}", n + 1);
                match plan {
                    Plan::Stores { cities, .. } => {
                        let city =
                            &self.cities[cities[weights.as_ref()?.sample(&mut rng)] as usize];
                        let at = near_city(city, &mut rng);
                        Some(self.location(
                            partner,
                            reference,
                            format!("{} #{} {}", partner.name, n + 1, city.name),
                            at,
                            None,
                            None,
                        ))
                    }
                    Plan::Along {
                        corridors, reach_m, ..
                    } => {
                        let &(a, b) = self
                            .corridors
                            .get(*corridors.get(rng.random_range(0..corridors.len().max(1)))?
                                as usize)?;
                        let (ca, cb) = (&self.cities[a as usize], &self.cities[b as usize]);
                        let on = sphere::intermediate(
                            LatLon::new(ca.lat, ca.lon),
                            LatLon::new(cb.lat, cb.lon),
                            rng.random_range(0.05..0.95),
                        );
                        let at = sphere::destination(
                            on,
                            rng.random_range(0.0..360.0),
                            rng.random_range(0.0..1_500.0),
                        );
                        let reach = reach_m
                            .map(|(lo, hi)| (rng.random_range(lo..hi) / 50.0).round() * 50.0);
                        let name = format!(
                            "{} {}–{} mile {}",
                            partner.name,
                            ca.name,
                            cb.name,
                            rng.random_range(1..400)
                        );
                        Some(self.location(partner, reference, name, at, reach, None))
                    }
                    Plan::Coverage { city, radius_m } => {
                        let c = &self.cities[*city as usize];
                        let center = LatLon::new(c.lat, c.lon);
                        let ring = sphere::circle_ring(center, *radius_m, 48);
                        let poly = geo::Polygon::new(
                            geo::LineString::from(
                                ring.into_iter().map(|p| (p[0], p[1])).collect::<Vec<_>>(),
                            ),
                            vec![],
                        );
                        Some(self.location(
                            partner,
                            reference,
                            format!("{} circulation area", partner.name),
                            center,
                            None,
                            Some(geo::MultiPolygon(vec![poly])),
                        ))
                    }
                }
            })
        })
    }

    fn location(
        &self,
        p: &Partner,
        reference: String,
        name: String,
        at: LatLon,
        reach_m: Option<f64>,
        coverage: Option<geo::MultiPolygon<f64>>,
    ) -> Location {
        let email = p
            .per_location
            .then(|| format!("{}@{}.example", reference.to_ascii_lowercase(), p.id));
        Location {
            partner_id: p.id.clone(),
            reference,
            name,
            lat: round6(at.lat),
            lon: round6(at.lon),
            reach_m,
            email,
            coverage,
        }
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A point in a city, spread over a disc that grows with its population.
fn near_city(c: &City, rng: &mut ChaCha8Rng) -> LatLon {
    let radius_m = 1_500.0 + 4_000.0 * (c.population as f64 / 100_000.0).sqrt();
    let r = radius_m * rng.random::<f64>().sqrt();
    sphere::destination(LatLon::new(c.lat, c.lon), rng.random_range(0.0..360.0), r)
}

/// Split `total` into `n` uneven whole parts.
fn split(total: f64, n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let weights: Vec<f64> = (0..n).map(|_| rng.random_range(0.5..1.5)).collect();
    let sum: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| (total * w / sum).round() as usize)
        .collect()
}

/// Each of the corridor cities joined to its three nearest neighbours 50 to 450 km away.
fn corridors(cities: &[City]) -> Vec<(u32, u32)> {
    let n = CORRIDOR_CITIES.min(cities.len());
    let at = |i: usize| LatLon::new(cities[i].lat, cities[i].lon);
    let mut pairs = Vec::new();
    for i in 0..n {
        let mut near: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (sphere::haversine_m(at(i), at(j)), j))
            .filter(|(d, _)| (50_000.0..=450_000.0).contains(d))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        for &(_, j) in near.iter().take(3) {
            pairs.push((i.min(j) as u32, i.max(j) as u32));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}
