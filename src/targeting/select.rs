//! Selection: the partner locations inside a region, each once, grouped per partner and
//! filtered by what each partner accepts.

use std::collections::HashMap;

use serde::Serialize;

use super::index::LocationIndex;
use super::region::{Region, nearest_centre_m};
use super::shape::Probe;
use crate::cases::{CaseType, Lang};
use crate::partners::{PartnerId, PartnerKind};

/// Who the poster is for: what partners filter on.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    pub case_type: CaseType,
    pub languages: &'a [Lang],
}

impl<'a> Audience<'a> {
    pub fn of(case: &'a crate::cases::Case) -> Audience<'a> {
        Audience {
            case_type: case.case_type,
            languages: &case.languages,
        }
    }
}

/// A selected location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectedLocation {
    pub partner_id: PartnerId,
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// To the nearest centre of the region (last-seen place or a destination), whole metres.
    pub distance_m: f64,
}

/// The selected locations of one partner, nearest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerSelection {
    pub partner_id: PartnerId,
    pub name: String,
    pub kind: PartnerKind,
    pub per_location: bool,
    pub locations: Vec<SelectedLocation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The partner does not take this case type.
    CaseType,
    /// The partner takes none of the case's languages.
    Language,
    /// The partner's daily cap is used up (for these locations).
    DailyCap,
}

/// Locations inside the region that will not get the poster, and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub partner_id: PartnerId,
    pub name: String,
    pub reason: SkipReason,
    /// The skipped locations' refs, nearest first.
    pub refs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Selection {
    /// By partner id.
    pub partners: Vec<PartnerSelection>,
    /// By partner id.
    pub skipped: Vec<Skipped>,
}

impl Selection {
    pub fn location_count(&self) -> usize {
        self.partners.iter().map(|p| p.locations.len()).sum()
    }
}

/// The ids of every location touching any piece of the region, each once, ascending.
pub fn locate_region(index: &LocationIndex, region: &Region) -> Vec<u32> {
    let mut hits = Vec::new();
    for piece in &region.pieces {
        index.locate(&Probe::new(&piece.shape), &mut hits);
    }
    hits.sort_unstable();
    hits.dedup();
    hits
}

/// Choose the locations for a case.
///
/// `remaining_cap` is what each partner may still receive today; a partner missing from it has its
/// whole `daily_cap`. A partner with one delivery per location (`per_location`) gets its nearest
/// locations up to the cap and the rest are reported skipped; a partner with one delivery per case
/// needs one delivery left.
pub fn select(
    index: &LocationIndex,
    region: &Region,
    audience: Audience<'_>,
    remaining_cap: &HashMap<PartnerId, u32>,
) -> Selection {
    let centres = region.centres();
    let mut hits: Vec<(u32, f64, u32)> = locate_region(index, region)
        .into_iter()
        .map(|id| {
            let loc = index.get(id);
            let d = nearest_centre_m(&centres, loc.at).round();
            (index.partner_of(id), d, id)
        })
        .collect();
    // partner, then nearest first, then the partner's own ref for ties
    hits.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then_with(|| index.get(a.2).reference.cmp(index.get(b.2).reference))
    });

    let mut out = Selection::default();
    for group in hits.chunk_by(|a, b| a.0 == b.0) {
        let partner = &index.partners()[group[0].0 as usize];
        let mut located: Vec<SelectedLocation> = group
            .iter()
            .map(|&(_, d, id)| {
                let l = index.get(id);
                SelectedLocation {
                    partner_id: partner.id.clone(),
                    reference: l.reference.to_string(),
                    name: l.name.to_string(),
                    lat: l.at.lat,
                    lon: l.at.lon,
                    email: l.email.map(str::to_string),
                    distance_m: d,
                }
            })
            .collect();
        let skip = |reason, locs: &[SelectedLocation]| Skipped {
            partner_id: partner.id.clone(),
            name: partner.name.clone(),
            reason,
            refs: locs.iter().map(|l| l.reference.clone()).collect(),
        };
        if !partner.accepts(audience.case_type) {
            out.skipped.push(skip(SkipReason::CaseType, &located));
            continue;
        }
        if !partner.speaks_any(audience.languages) {
            out.skipped.push(skip(SkipReason::Language, &located));
            continue;
        }
        let remaining = remaining_cap
            .get(&partner.id)
            .copied()
            .or(partner.daily_cap)
            .map_or(usize::MAX, |c| c as usize);
        let allowed = if partner.per_location {
            remaining.min(located.len())
        } else if remaining == 0 {
            0
        } else {
            located.len()
        };
        let over = located.split_off(allowed);
        if !over.is_empty() {
            out.skipped.push(skip(SkipReason::DailyCap, &over));
        }
        if !located.is_empty() {
            out.partners.push(PartnerSelection {
                partner_id: partner.id.clone(),
                name: partner.name.clone(),
                kind: partner.kind,
                per_location: partner.per_location,
                locations: located,
            });
        }
    }
    out.partners.sort_by(|a, b| a.partner_id.cmp(&b.partner_id));
    out.skipped.sort_by(|a, b| a.partner_id.cmp(&b.partner_id));
    out
}
