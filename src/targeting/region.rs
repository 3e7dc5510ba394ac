//! A case's target region: the pieces the policy draws, each with the reason it is there.

use chrono::{DateTime, Utc};
use geo::MultiPolygon;
use serde::Serialize;

use super::policy::Policy;
use super::shape::Shape;
use super::sphere::{self, LatLon};
use crate::cases::{Case, CaseType, Place, Travel};
use crate::partners::to_multipolygon;

/// The US states, DC and territories (us-atlas, US Census Bureau), embedded.
pub const US_STATES_GEOJSON: &str = include_str!("data/us-states.geojson");

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RegionError {
    #[error("{field}: {reason}")]
    Field { field: String, reason: String },
}

fn field_error(field: impl Into<String>, reason: impl Into<String>) -> RegionError {
    RegionError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceKind {
    LastSeen,
    Destination,
    Corridor,
    State,
    Polygon,
}

impl PieceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PieceKind::LastSeen => "last_seen",
            PieceKind::Destination => "destination",
            PieceKind::Corridor => "corridor",
            PieceKind::State => "state",
            PieceKind::Polygon => "polygon",
        }
    }
}

/// One piece of a region.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub kind: PieceKind,
    /// Why the piece is there, for the case manager.
    pub reason: String,
    pub shape: Shape,
    /// The state's USPS code for a state piece.
    pub code: Option<String>,
}

/// A target region: the union of its pieces.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Region {
    pub pieces: Vec<Piece>,
}

impl Region {
    /// The centres of the region's circles (last-seen place and destinations): distances are
    /// given to the nearest of these.
    pub fn centres(&self) -> Vec<LatLon> {
        self.pieces
            .iter()
            .filter_map(|p| match p.shape {
                Shape::Circle { center, .. } => Some(center),
                _ => None,
            })
            .collect()
    }
}

/// One state or territory with its outline.
#[derive(Debug, Clone)]
pub struct State {
    pub code: String,
    pub name: String,
    pub outline: MultiPolygon<f64>,
}

/// State outlines by USPS code.
#[derive(Debug, Clone)]
pub struct States {
    states: Vec<State>,
}

impl States {
    /// The embedded US outlines.
    pub fn us() -> Result<States, RegionError> {
        States::from_geojson(US_STATES_GEOJSON)
    }

    /// A FeatureCollection of (Multi)Polygons with a `code` and `name` property each.
    pub fn from_geojson(text: &str) -> Result<States, RegionError> {
        let fc: geojson::FeatureCollection = text
            .parse::<geojson::GeoJson>()
            .map_err(|e| field_error("states", e.to_string()))
            .and_then(|g| {
                geojson::FeatureCollection::try_from(g)
                    .map_err(|e| field_error("states", e.to_string()))
            })?;
        let mut states = Vec::new();
        for (i, f) in fc.features.into_iter().enumerate() {
            let field = format!("states.features[{i}]");
            let prop = |k: &str| {
                f.property(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .ok_or_else(|| field_error(format!("{field}.properties.{k}"), "required"))
            };
            let (code, name) = (prop("code")?, prop("name")?);
            let geometry = f
                .geometry
                .as_ref()
                .ok_or_else(|| field_error(format!("{field}.geometry"), "required"))?;
            let outline = to_multipolygon(geometry)
                .ok_or_else(|| field_error(format!("{field}.geometry"), "not a (Multi)Polygon"))?;
            states.push(State {
                code,
                name,
                outline,
            });
        }
        Ok(States { states })
    }

    pub fn get(&self, code: &str) -> Option<&State> {
        self.states
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code))
    }

    pub fn iter(&self) -> impl Iterator<Item = &State> {
        self.states.iter()
    }
}

/// What the case manager adds to the policy's region: states and polygons, already checked.
#[derive(Debug, Clone, Default)]
pub struct RegionExtras {
    states: Vec<State>,
    polygons: Vec<(String, MultiPolygon<f64>)>,
}

impl RegionExtras {
    /// `states` are USPS codes (any case); `polygons` are labelled lon/lat polygons.
    pub fn new(
        states: &[&str],
        polygons: Vec<(String, MultiPolygon<f64>)>,
        known: &States,
    ) -> Result<RegionExtras, RegionError> {
        let mut picked: Vec<State> = Vec::new();
        for (i, code) in states.iter().enumerate() {
            let s = known.get(code.trim()).ok_or_else(|| {
                field_error(
                    format!("states[{i}]"),
                    format!("unknown state code {code:?}"),
                )
            })?;
            if !picked.iter().any(|p| p.code == s.code) {
                picked.push(s.clone());
            }
        }
        for (i, (_, mp)) in polygons.iter().enumerate() {
            check_polygon(mp).map_err(|r| field_error(format!("polygons[{i}]"), r))?;
        }
        Ok(RegionExtras {
            states: picked,
            polygons,
        })
    }
}

fn check_polygon(mp: &MultiPolygon<f64>) -> Result<(), String> {
    if mp.0.is_empty() {
        return Err("has no polygon".into());
    }
    for p in &mp.0 {
        if p.exterior().0.len() < 4 {
            return Err("a ring needs at least 4 positions".into());
        }
        for c in p
            .exterior()
            .0
            .iter()
            .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
        {
            if !(-90.0..=90.0).contains(&c.y) || !(-180.0..=180.0).contains(&c.x) {
                return Err(format!("position [{}, {}] is not a lon/lat", c.x, c.y));
            }
        }
    }
    Ok(())
}

/// Draw a case's region at the moment `at`. Pure: the clock is the caller's.
pub fn region_for(case: &Case, policy: &Policy, at: DateTime<Utc>, extra: &RegionExtras) -> Region {
    let mut pieces = vec![last_seen(case, policy, at)];
    let widen = if case.amber_alert {
        policy.amber_factor
    } else {
        1.0
    };
    let amber = if case.amber_alert {
        ", widened for the AMBER alert"
    } else {
        ""
    };
    let from = place_name(&case.missing_from);
    let start = LatLon::new(case.missing_from.lat, case.missing_from.lon);
    for d in &case.destinations {
        let radius_m = policy.destination_radius_m * widen;
        pieces.push(Piece {
            kind: PieceKind::Destination,
            reason: format!(
                "possible destination {}: {} around it{amber}",
                place_name(d),
                km(radius_m)
            ),
            shape: Shape::Circle {
                center: LatLon::new(d.lat, d.lon),
                radius_m,
            },
            code: None,
        });
    }
    if policy.has_corridor(case.travel) {
        for d in &case.destinations {
            let half_width_m = policy.corridor_half_width_m * widen;
            pieces.push(Piece {
                kind: PieceKind::Corridor,
                reason: format!(
                    "on the way from {from} to {}, {}: {} either side{amber}",
                    place_name(d),
                    travel_words(case.travel),
                    km(half_width_m)
                ),
                shape: Shape::Corridor {
                    from: start,
                    to: LatLon::new(d.lat, d.lon),
                    half_width_m,
                },
                code: None,
            });
        }
    }
    for s in &extra.states {
        pieces.push(Piece {
            kind: PieceKind::State,
            reason: format!("added by the case manager: {} ({})", s.name, s.code),
            shape: Shape::Area {
                polygon: s.outline.clone(),
            },
            code: Some(s.code.clone()),
        });
    }
    for (label, mp) in &extra.polygons {
        pieces.push(Piece {
            kind: PieceKind::Polygon,
            reason: format!("added by the case manager: {label}"),
            shape: Shape::Area {
                polygon: mp.clone(),
            },
            code: None,
        });
    }
    Region { pieces }
}

fn last_seen(case: &Case, policy: &Policy, at: DateTime<Utc>) -> Piece {
    let since = case.missing_since.instant().with_timezone(&Utc);
    // before the reported time nothing has spread yet
    let hours = ((at - since).num_seconds().max(0) as f64) / 3600.0;
    let base = policy.base_m(case.case_type);
    let speed = policy.growth_m_per_h(case.travel);
    let grown = base + speed * hours;
    let (factor, cap) = if case.amber_alert {
        (policy.amber_factor, policy.amber_cap_m)
    } else {
        (1.0, policy.cap_m)
    };
    let wanted = grown * factor;
    let radius_m = wanted.min(cap);
    let mut reason = format!(
        "last seen in {} {} ago, {}: {} for {} plus {} km/h over {:.0} h",
        place_name(&case.missing_from),
        elapsed(hours),
        travel_words(case.travel),
        km(base),
        case_type_words(case.case_type),
        trim(speed / 1000.0),
        hours,
    );
    if case.amber_alert {
        reason.push_str(&format!(", times {} for the AMBER alert", trim(factor)));
    }
    reason.push_str(&format!(" = {}", km(wanted)));
    if wanted > cap {
        reason.push_str(&format!(", capped at {}", km(cap)));
    }
    Piece {
        kind: PieceKind::LastSeen,
        reason,
        shape: Shape::Circle {
            center: LatLon::new(case.missing_from.lat, case.missing_from.lon),
            radius_m,
        },
        code: None,
    }
}

fn place_name(p: &Place) -> String {
    let name = p.label.clone().unwrap_or_else(|| p.display());
    if name.trim().is_empty() {
        format!("{:.4}, {:.4}", p.lat, p.lon)
    } else {
        name
    }
}

fn travel_words(t: Travel) -> &'static str {
    match t {
        Travel::Foot => "travelling on foot",
        Travel::Vehicle => "travelling by vehicle",
        Travel::Transit => "travelling by public transport",
        Travel::Air => "travelling by air",
        Travel::Unknown => "means of travel unknown",
    }
}

fn case_type_words(t: CaseType) -> String {
    t.as_str().replace('_', " ")
}

fn km(m: f64) -> String {
    format!("{} km", trim((m / 1000.0 * 10.0).round() / 10.0))
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn elapsed(hours: f64) -> String {
    let h = hours.floor() as i64;
    match (h / 24, h % 24) {
        (0, 0) => "less than an hour".into(),
        (0, 1) => "1 hour".into(),
        (0, h) => format!("{h} hours"),
        (1, 0) => "1 day".into(),
        (d, 0) => format!("{d} days"),
        (1, h) => format!("1 day {h} h"),
        (d, h) => format!("{d} days {h} h"),
    }
}

/// The distance from a point to the nearest centre, in metres (0 when there is none).
pub fn nearest_centre_m(centres: &[LatLon], p: LatLon) -> f64 {
    centres
        .iter()
        .map(|c| sphere::haversine_m(*c, p))
        .reduce(f64::min)
        .unwrap_or(0.0)
}
