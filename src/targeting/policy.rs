//! The region policy: how big a case's target region is, read from `templates/targeting.toml`.
//!
//! The file documents every key; this module parses it and refuses anything missing, unknown or
//! out of range, naming the key.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cases::{CaseType, Travel};

/// The policy shipped with lookout.
pub const DEFAULT_POLICY: &str = include_str!("../../templates/targeting.toml");

const TRAVEL_MODES: [Travel; 5] = [
    Travel::Foot,
    Travel::Vehicle,
    Travel::Transit,
    Travel::Air,
    Travel::Unknown,
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PolicyError {
    #[error("targeting policy: {0}")]
    Syntax(String),
    #[error("targeting policy: {key}: {reason}")]
    Invalid { key: String, reason: String },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// The checked policy. Distances in metres, speeds in metres per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    base_m: BTreeMap<CaseType, f64>,
    growth_m_per_h: Vec<(Travel, f64)>,
    pub cap_m: f64,
    pub destination_radius_m: f64,
    pub corridor_modes: Vec<Travel>,
    pub corridor_half_width_m: f64,
    pub amber_factor: f64,
    pub amber_cap_m: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    last_seen: LastSeenFile,
    destinations: DestinationsFile,
    corridor: CorridorFile,
    amber: AmberFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LastSeenFile {
    base_km: BTreeMap<String, f64>,
    growth_kmh: BTreeMap<String, f64>,
    cap_km: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationsFile {
    radius_km: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorridorFile {
    modes: Vec<String>,
    half_width_km: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmberFile {
    factor: f64,
    cap_km: f64,
}

/// Largest distance anywhere in the policy: half the earth's circumference.
const MAX_KM: f64 = 20_000.0;

fn km(key: &str, v: f64) -> Result<f64, PolicyError> {
    if !v.is_finite() || v <= 0.0 || v > MAX_KM {
        return Err(invalid(
            key,
            format!("must be above 0 and at most {MAX_KM} km"),
        ));
    }
    Ok(v * 1000.0)
}

fn travel(key: &str, s: &str) -> Result<Travel, PolicyError> {
    TRAVEL_MODES
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| invalid(key, format!("unknown travel mode {s:?}")))
}

impl Policy {
    /// The policy shipped in `templates/targeting.toml`.
    pub fn shipped() -> Result<Policy, PolicyError> {
        Policy::from_toml(DEFAULT_POLICY)
    }

    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| PolicyError::Syntax(e.message().to_string()))?;
        let ls = file.last_seen;

        let mut base_m = BTreeMap::new();
        for (name, v) in &ls.base_km {
            let key = format!("last_seen.base_km.{name}");
            let t = CaseType::parse(name).ok_or_else(|| invalid(&key, "unknown case type"))?;
            base_m.insert(t, km(&key, *v)?);
        }
        if let Some(t) = CaseType::ALL.iter().find(|t| !base_m.contains_key(t)) {
            return Err(invalid(
                format!("last_seen.base_km.{}", t.as_str()),
                "required",
            ));
        }

        let mut growth_m_per_h = Vec::new();
        for (name, v) in &ls.growth_kmh {
            let key = format!("last_seen.growth_kmh.{name}");
            let t = travel(&key, name)?;
            if !v.is_finite() || *v < 0.0 || *v > 1000.0 {
                return Err(invalid(key, "must be from 0 to 1000 km/h"));
            }
            growth_m_per_h.push((t, v * 1000.0));
        }
        if let Some(t) = TRAVEL_MODES
            .iter()
            .find(|t| !growth_m_per_h.iter().any(|(g, _)| g == *t))
        {
            return Err(invalid(
                format!("last_seen.growth_kmh.{}", t.as_str()),
                "required",
            ));
        }

        let cap_m = km("last_seen.cap_km", ls.cap_km)?;
        if let Some((t, b)) = base_m.iter().find(|(_, b)| **b > cap_m) {
            return Err(invalid(
                format!("last_seen.base_km.{}", t.as_str()),
                format!("{} km is above cap_km", b / 1000.0),
            ));
        }
        let corridor_modes = file
            .corridor
            .modes
            .iter()
            .map(|m| travel("corridor.modes", m))
            .collect::<Result<Vec<_>, _>>()?;
        let amber_factor = file.amber.factor;
        if !amber_factor.is_finite() || !(1.0..=10.0).contains(&amber_factor) {
            return Err(invalid("amber.factor", "must be from 1 to 10"));
        }
        let amber_cap_m = km("amber.cap_km", file.amber.cap_km)?;
        if amber_cap_m < cap_m {
            return Err(invalid(
                "amber.cap_km",
                "must not be below last_seen.cap_km",
            ));
        }
        Ok(Policy {
            base_m,
            growth_m_per_h,
            cap_m,
            destination_radius_m: km("destinations.radius_km", file.destinations.radius_km)?,
            corridor_modes,
            corridor_half_width_m: km("corridor.half_width_km", file.corridor.half_width_km)?,
            amber_factor,
            amber_cap_m,
        })
    }

    /// The last-seen circle's radius before any growth.
    pub fn base_m(&self, case_type: CaseType) -> f64 {
        self.base_m[&case_type]
    }

    /// How fast the last-seen circle grows, metres per hour.
    pub fn growth_m_per_h(&self, travel: Travel) -> f64 {
        self.growth_m_per_h
            .iter()
            .find(|(t, _)| *t == travel)
            .map_or(0.0, |(_, v)| *v)
    }

    pub fn has_corridor(&self, travel: Travel) -> bool {
        self.corridor_modes.contains(&travel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_policy_parses() {
        let p = Policy::shipped().unwrap();
        assert_eq!(p.base_m(CaseType::FamilyAbduction), 80_000.0);
        assert_eq!(p.growth_m_per_h(Travel::Vehicle), 6_000.0);
        assert!(p.has_corridor(Travel::Vehicle) && !p.has_corridor(Travel::Foot));
    }

    fn edited(from: &str, to: &str) -> Result<Policy, PolicyError> {
        assert!(DEFAULT_POLICY.contains(from), "{from}");
        Policy::from_toml(&DEFAULT_POLICY.replace(from, to))
    }

    #[test]
    fn errors_name_the_key() {
        let e = edited("base_km.lost_injured_missing = 15\n", "").unwrap_err();
        assert_eq!(
            e,
            invalid("last_seen.base_km.lost_injured_missing", "required")
        );
        let e = edited("factor = 1.5", "factor = 0.5").unwrap_err();
        assert!(matches!(e, PolicyError::Invalid { key, .. } if key == "amber.factor"));
        let e = edited("modes = [\"vehicle\"]", "modes = [\"boat\"]").unwrap_err();
        assert!(matches!(e, PolicyError::Invalid { key, .. } if key == "corridor.modes"));
        let e = edited("cap_km = 400", "cap_km = 10").unwrap_err();
        assert!(
            matches!(e, PolicyError::Invalid { key, .. } if key.starts_with("last_seen.base_km"))
        );
        assert!(matches!(
            edited("[amber]", "[amber]\nextra = 1"),
            Err(PolicyError::Syntax(_))
        ));
    }
}
