//! The targeting preview as a GeoJSON FeatureCollection (RFC 7946).
//!
//! Region features come first, with `kind`, `reason`, and for circles `center` [lon, lat] and
//! `radius_m`; then one Point per selected location with `partner_id`, `ref`, `name`,
//! `distance_m`. Foreign members: `partners` (counts per partner), `skipped` and `totals`.
//! Outlines that cross the antimeridian are cut there into a MultiPolygon, as RFC 7946 asks.

use serde_json::{Value, json};

use super::region::Region;
use super::select::Selection;
use super::shape::{Outline, Shape};

/// The preview of a region and its selection.
pub fn preview(region: &Region, selection: &Selection) -> Value {
    let mut features: Vec<Value> = region
        .pieces
        .iter()
        .map(|piece| {
            let mut props = json!({"kind": piece.kind.as_str(), "reason": piece.reason});
            match &piece.shape {
                Shape::Circle { center, radius_m } => {
                    props["center"] = json!([round6(center.lon), round6(center.lat)]);
                    props["radius_m"] = json!(radius_m.round());
                }
                Shape::Corridor {
                    from,
                    to,
                    half_width_m,
                } => {
                    props["from"] = json!([round6(from.lon), round6(from.lat)]);
                    props["to"] = json!([round6(to.lon), round6(to.lat)]);
                    props["half_width_m"] = json!(half_width_m.round());
                }
                Shape::Area { .. } => {}
            }
            if let Some(code) = &piece.code {
                props["code"] = json!(code);
            }
            json!({"type": "Feature", "geometry": geometry(&piece.shape), "properties": props})
        })
        .collect();
    for p in &selection.partners {
        for l in &p.locations {
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [l.lon, l.lat]},
                "properties": {
                    "partner_id": l.partner_id,
                    "ref": l.reference,
                    "name": l.name,
                    "distance_m": l.distance_m,
                },
            }));
        }
    }
    let partners: Vec<Value> = selection
        .partners
        .iter()
        .map(|p| json!({"partner_id": p.partner_id, "name": p.name, "kind": p.kind, "locations": p.locations.len()}))
        .collect();
    let skipped: Vec<Value> = selection
        .skipped
        .iter()
        .map(|s| json!({"partner_id": s.partner_id, "name": s.name, "reason": s.reason, "locations": s.refs.len(), "refs": s.refs}))
        .collect();
    json!({
        "type": "FeatureCollection",
        "features": features,
        "partners": partners,
        "skipped": skipped,
        "totals": {"partners": selection.partners.len(), "locations": selection.location_count()},
    })
}

/// A shape's geometry: Polygon, or MultiPolygon when it has several parts or crosses ±180°.
pub fn geometry(shape: &Shape) -> Value {
    let mut polygons: Vec<Outline> = Vec::new();
    for outline in shape.outlines() {
        polygons.extend(split_at_antimeridian(outline));
    }
    let rounded: Vec<Vec<Vec<[f64; 2]>>> = polygons
        .into_iter()
        .map(|p| {
            p.into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|c| [round6(c[0]), round6(c[1])])
                        .collect()
                })
                .collect()
        })
        .collect();
    if rounded.len() == 1 {
        json!({"type": "Polygon", "coordinates": rounded[0]})
    } else {
        json!({"type": "MultiPolygon", "coordinates": rounded})
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Cut an unwrapped outline into the parts inside [-180, 180], each shifted back into range.
/// Holes go with the part they fall in (the shapes cut here, circles and corridors, have none).
pub fn split_at_antimeridian(outline: Outline) -> Vec<Outline> {
    let lons = outline.iter().flatten().map(|c| c[0]);
    let (min, max) = lons.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if min >= -180.0 && max <= 180.0 {
        return vec![outline];
    }
    let mut parts = Vec::new();
    // windows of one turn each, from the one holding `min` to the one holding `max`
    let first = ((min + 180.0) / 360.0).floor() as i64;
    let last = ((max + 180.0) / 360.0).ceil() as i64 - 1;
    for k in first..=last {
        let (lo, hi) = (-180.0 + 360.0 * k as f64, 180.0 + 360.0 * k as f64);
        let shift = -360.0 * k as f64;
        let rings: Vec<Vec<[f64; 2]>> = outline
            .iter()
            .map(|r| clip(&clip(r, lo, true), hi, false))
            .map(|r| {
                r.into_iter()
                    .map(|c| [c[0] + shift, c[1]])
                    .collect::<Vec<_>>()
            })
            .filter(|r: &Vec<[f64; 2]>| r.len() >= 4)
            .collect();
        // a part whose exterior was cut away entirely is not there
        if !rings.is_empty() && clip(&clip(&outline[0], lo, true), hi, false).len() >= 4 {
            parts.push(rings);
        }
    }
    parts
}

/// Sutherland–Hodgman against the vertical line `x = at`, keeping `x >= at` when `keep_above`.
fn clip(ring: &[[f64; 2]], at: f64, keep_above: bool) -> Vec<[f64; 2]> {
    let inside = |c: &[f64; 2]| if keep_above { c[0] >= at } else { c[0] <= at };
    let mut out: Vec<[f64; 2]> = Vec::new();
    let n = ring.len();
    if n < 2 {
        return out;
    }
    for i in 0..n - 1 {
        let (a, b) = (ring[i], ring[i + 1]);
        match (inside(&a), inside(&b)) {
            (true, true) => out.push(b),
            (true, false) => out.push(cross_at(a, b, at)),
            (false, true) => {
                out.push(cross_at(a, b, at));
                out.push(b);
            }
            (false, false) => {}
        }
    }
    if let Some(&f) = out.first()
        && out.last() != Some(&f)
    {
        out.push(f);
    }
    out
}

fn cross_at(a: [f64; 2], b: [f64; 2], at: f64) -> [f64; 2] {
    let t = (at - a[0]) / (b[0] - a[0]);
    [at, a[1] + t * (b[1] - a[1])]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targeting::sphere::LatLon;

    fn all_in_range(v: &Value) -> bool {
        match v {
            Value::Array(a) if a.len() == 2 && a.iter().all(Value::is_number) => {
                let lon = a[0].as_f64().unwrap_or(f64::NAN);
                (-180.0..=180.0).contains(&lon)
            }
            Value::Array(a) => a.iter().all(all_in_range),
            _ => true,
        }
    }

    #[test]
    fn a_circle_across_the_antimeridian_is_cut_in_two() {
        let g = geometry(&Shape::Circle {
            center: LatLon::new(52.0, 179.8),
            radius_m: 100_000.0,
        });
        assert_eq!(g["type"], "MultiPolygon");
        assert_eq!(g["coordinates"].as_array().map(Vec::len), Some(2));
        assert!(all_in_range(&g["coordinates"]));
    }

    #[test]
    fn a_circle_round_the_pole_stays_in_range_and_closed() {
        let g = geometry(&Shape::Circle {
            center: LatLon::new(88.0, 20.0),
            radius_m: 500_000.0,
        });
        assert!(all_in_range(&g["coordinates"]));
        let rings: Vec<&Value> = match g["type"].as_str() {
            Some("Polygon") => vec![&g["coordinates"][0]],
            _ => g["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| &p[0])
                .collect(),
        };
        for r in rings {
            let r = r.as_array().unwrap();
            assert_eq!(r.first(), r.last(), "closed ring");
            assert!(r.iter().any(|c| c[1] == 90.0), "reaches the pole");
        }
    }

    #[test]
    fn an_ordinary_circle_is_one_polygon() {
        let g = geometry(&Shape::Circle {
            center: LatLon::new(38.8, -77.0),
            radius_m: 50_000.0,
        });
        assert_eq!(g["type"], "Polygon");
        let ring = g["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last());
    }
}
