//! The shapes a region is made of, and their exact tests against locations and coverage areas.
//!
//! A [`Shape`] is what a region piece is (a circle, a corridor, an area). A [`Probe`] is the same
//! shape prepared for the index: unit vectors, a conservative test for R-tree boxes in 3-D, and exact
//! tests for a point (with its reach) and for a coverage polygon.

use geo::{Coord, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;

use super::sphere::{
    self, BOUNDARY_TOLERANCE_M, EARTH_RADIUS_M, GreatArc, LatLon, chord_of, chord2, dot,
};

/// One piece of a target region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Shape {
    /// Every point within `radius_m` of `center`.
    Circle { center: LatLon, radius_m: f64 },
    /// Every point within `half_width_m` of the great-circle path from `from` to `to`.
    Corridor {
        from: LatLon,
        to: LatLon,
        half_width_m: f64,
    },
    /// A polygon in lon/lat (a state, or one the case manager drew), boundary included.
    Area {
        #[serde(skip)]
        polygon: MultiPolygon<f64>,
    },
}

/// Vertices of a circle's outline.
const CIRCLE_STEPS: usize = 72;
/// Vertices along each side of a corridor.
const CORRIDOR_STEPS: usize = 32;

/// A polygon outline for drawing: exterior ring then holes, lon/lat, longitudes unwrapped so the
/// rings are continuous (they may leave [-180, 180]).
pub type Outline = Vec<Vec<[f64; 2]>>;

impl Shape {
    /// The shape as polygons to draw (a circle and a corridor as geodesic outlines).
    pub fn outlines(&self) -> Vec<Outline> {
        match self {
            Shape::Circle { center, radius_m } => {
                vec![vec![sphere::circle_ring(*center, *radius_m, CIRCLE_STEPS)]]
            }
            Shape::Corridor {
                from,
                to,
                half_width_m,
            } => vec![vec![corridor_ring(*from, *to, *half_width_m)]],
            Shape::Area { polygon } => polygon
                .0
                .iter()
                .map(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                        .collect()
                })
                .collect(),
        }
    }
}

/// The outline of a corridor: one side out, a half circle round the far end, the other side back,
/// a half circle round the start.
fn corridor_ring(from: LatLon, to: LatLon, w: f64) -> Vec<[f64; 2]> {
    let mut ring = Vec::new();
    let n = CORRIDOR_STEPS;
    let heading = |t: f64| {
        let (a, b) = if t < 1.0 {
            (
                sphere::intermediate(from, to, t),
                sphere::intermediate(from, to, (t + 0.01).min(1.0)),
            )
        } else {
            (sphere::intermediate(from, to, 0.99), to)
        };
        sphere::bearing(a, b)
    };
    for i in 0..=n {
        let t = i as f64 / n as f64;
        let p = sphere::intermediate(from, to, t);
        ring.push(sphere::destination(p, heading(t) - 90.0, w).lon_lat());
    }
    let end = heading(1.0);
    for k in 1..CIRCLE_STEPS / 2 {
        let b = end - 90.0 + 180.0 * k as f64 / (CIRCLE_STEPS / 2) as f64;
        ring.push(sphere::destination(to, b, w).lon_lat());
    }
    for i in (0..=n).rev() {
        let t = i as f64 / n as f64;
        let p = sphere::intermediate(from, to, t);
        ring.push(sphere::destination(p, heading(t) + 90.0, w).lon_lat());
    }
    let start = heading(0.0);
    for k in 1..CIRCLE_STEPS / 2 {
        let b = start + 90.0 + 180.0 * k as f64 / (CIRCLE_STEPS / 2) as f64;
        ring.push(sphere::destination(from, b, w).lon_lat());
    }
    ring.push(ring[0]);
    sphere::unwrap_ring(&mut ring, from.lon);
    ring
}

type Box3 = AABB<[f64; 3]>;

/// A polygon prepared for spherical tests: each part's 3-D box and every boundary edge as an arc.
#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    pub polygon: MultiPolygon<f64>,
    pub parts: Vec<Box3>,
    edges: RTree<GeomWithData<Rectangle<[f64; 3]>, GreatArc>>,
}

impl PreparedPolygon {
    pub fn new(polygon: MultiPolygon<f64>) -> PreparedPolygon {
        let parts = polygon.0.iter().map(polygon_box).collect();
        let mut edges = Vec::new();
        for poly in &polygon.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for line in ring.lines() {
                    let a = LatLon::new(line.start.y, line.start.x).to_vec();
                    let b = LatLon::new(line.end.y, line.end.x).to_vec();
                    // an arc bulges beyond the box of its ends by about (1 - cos(angle/2))
                    let pad = 1.0 - (sphere::angle(a, b) / 2.0).cos() + 1e-12;
                    let lo = std::array::from_fn(|i| a[i].min(b[i]) - pad);
                    let hi = std::array::from_fn(|i| a[i].max(b[i]) + pad);
                    edges.push(GeomWithData::new(
                        Rectangle::from_corners(lo, hi),
                        GreatArc::new(a, b),
                    ));
                }
            }
        }
        PreparedPolygon {
            polygon,
            parts,
            edges: RTree::bulk_load(edges),
        }
    }

    /// Whether a point (lon/lat) lies inside or on the boundary.
    pub fn contains(&self, p: LatLon) -> bool {
        self.polygon.intersects(&Point::new(p.lon, p.lat))
    }

    /// Whether the boundary comes within `max_m` of the unit vector `p`.
    pub fn boundary_within(&self, p: [f64; 3], max_m: f64) -> bool {
        let c = chord_of(max_m);
        let query = AABB::from_corners(p.map(|x| x - c), p.map(|x| x + c));
        self.edges
            .locate_in_envelope_intersecting(&query)
            .any(|e| e.data.distance_m(p) <= max_m)
    }

    /// Whether any boundary edge comes within `max_m` of an arc.
    fn boundary_near_arc(&self, arc: &GreatArc, max_m: f64) -> bool {
        let max_angle = max_m / EARTH_RADIUS_M;
        self.edges
            .iter()
            .any(|e| e.data.angle_to_arc(arc) <= max_angle)
    }

    /// Whether a point is inside, or within `margin_m` of the polygon.
    pub fn touches_point(&self, p: LatLon, v: [f64; 3], margin_m: f64) -> bool {
        self.contains(p) || (margin_m > 0.0 && self.boundary_within(v, margin_m))
    }

    pub fn box_touches(&self, b: &Box3, margin_m: f64) -> bool {
        let c = chord_of(margin_m);
        self.parts.iter().any(|p| boxes_meet(p, b, c))
    }
}

/// A shape prepared for the index.
#[derive(Debug, Clone)]
pub enum Probe {
    Cap {
        center: [f64; 3],
        radius_m: f64,
    },
    Corridor {
        arc: GreatArc,
        mid: [f64; 3],
        half_length_m: f64,
        half_width_m: f64,
    },
    Area(Box<PreparedPolygon>),
}

impl Probe {
    pub fn new(shape: &Shape) -> Probe {
        match shape {
            Shape::Circle { center, radius_m } => Probe::Cap {
                center: center.to_vec(),
                radius_m: *radius_m,
            },
            Shape::Corridor {
                from,
                to,
                half_width_m,
            } => {
                let arc = GreatArc::new(from.to_vec(), to.to_vec());
                let mid = sphere::intermediate(*from, *to, 0.5).to_vec();
                Probe::Corridor {
                    arc,
                    mid,
                    half_length_m: sphere::distance_m(arc.a, arc.b) / 2.0,
                    half_width_m: *half_width_m,
                }
            }
            Shape::Area { polygon } => Probe::Area(Box::new(PreparedPolygon::new(polygon.clone()))),
        }
    }

    /// Conservative: false only when nothing in the box can be within `margin_m` of the shape.
    pub fn box_may_touch(&self, b: &Box3, margin_m: f64) -> bool {
        match self {
            Probe::Cap { center, radius_m } => {
                let c = chord_of(radius_m + margin_m + BOUNDARY_TOLERANCE_M);
                box_distance2(b, *center) <= c * c
            }
            Probe::Corridor {
                arc,
                mid,
                half_length_m,
                half_width_m,
            } => {
                let reach = half_width_m + margin_m + BOUNDARY_TOLERANCE_M;
                let c = chord_of(half_length_m + reach);
                if box_distance2(b, *mid) > c * c {
                    return false;
                }
                // near the arc means near its great circle: |p . n| <= sin(angle)
                let s = (reach / EARTH_RADIUS_M)
                    .min(std::f64::consts::FRAC_PI_2)
                    .sin();
                let (lo, hi) = box_dot_range(b, arc.n);
                lo <= s && hi >= -s
            }
            Probe::Area(poly) => poly.box_touches(b, margin_m + BOUNDARY_TOLERANCE_M),
        }
    }

    /// Whether a point is within `margin_m` (its reach) of the shape, boundary included.
    pub fn touches_point(&self, p: LatLon, v: [f64; 3], margin_m: f64) -> bool {
        match self {
            Probe::Cap { center, radius_m } => {
                let c = chord_of(radius_m + margin_m + BOUNDARY_TOLERANCE_M);
                chord2(*center, v) <= c * c
            }
            Probe::Corridor {
                arc, half_width_m, ..
            } => arc.distance_m(v) <= half_width_m + margin_m + BOUNDARY_TOLERANCE_M,
            Probe::Area(poly) => poly.touches_point(p, v, margin_m + BOUNDARY_TOLERANCE_M),
        }
    }

    /// Whether a coverage polygon overlaps or touches the shape.
    pub fn touches_polygon(&self, cov: &PreparedPolygon) -> bool {
        match self {
            Probe::Cap { center, radius_m } => {
                cov.contains(LatLon::from_vec(*center))
                    || cov.boundary_within(*center, radius_m + BOUNDARY_TOLERANCE_M)
            }
            Probe::Corridor {
                arc, half_width_m, ..
            } => {
                cov.contains(LatLon::from_vec(arc.a))
                    || cov.boundary_near_arc(arc, half_width_m + BOUNDARY_TOLERANCE_M)
            }
            Probe::Area(poly) => poly.polygon.intersects(&cov.polygon),
        }
    }
}

/// Squared distance from a point to the nearest point of a box.
pub fn box_distance2(b: &Box3, p: [f64; 3]) -> f64 {
    let (lo, hi) = (b.lower(), b.upper());
    (0..3)
        .map(|i| {
            let d = (lo[i] - p[i]).max(p[i] - hi[i]).max(0.0);
            d * d
        })
        .sum()
}

/// The range of `p . n` over a box.
fn box_dot_range(b: &Box3, n: [f64; 3]) -> (f64, f64) {
    let (lo, hi) = (b.lower(), b.upper());
    let center: [f64; 3] = std::array::from_fn(|i| (lo[i] + hi[i]) / 2.0);
    let spread: f64 = (0..3).map(|i| (hi[i] - lo[i]) / 2.0 * n[i].abs()).sum();
    let c = dot(center, n);
    (c - spread, c + spread)
}

fn boxes_meet(a: &Box3, b: &Box3, pad: f64) -> bool {
    let (alo, ahi, blo, bhi) = (a.lower(), a.upper(), b.lower(), b.upper());
    (0..3).all(|i| alo[i] - pad <= bhi[i] && blo[i] <= ahi[i] + pad)
}

/// The 3-D box of one polygon: the box of its lon/lat rectangle on the sphere, which holds every
/// point of the polygon however its edges are drawn.
pub fn polygon_box(poly: &geo::Polygon<f64>) -> Box3 {
    let mut min = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut max = Coord {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    for c in &poly.exterior().0 {
        min.x = min.x.min(c.x);
        min.y = min.y.min(c.y);
        max.x = max.x.max(c.x);
        max.y = max.y.max(c.y);
    }
    lonlat_rect_box(min, max)
}

/// The 3-D box of the lon/lat rectangle `min`..`max` (x = lon, y = lat, in degrees).
pub fn lonlat_rect_box(min: Coord<f64>, max: Coord<f64>) -> Box3 {
    let coslat = trig_range(min.y, max.y, 0.0, f64::cos);
    let sinlat = (min.y.to_radians().sin(), max.y.to_radians().sin());
    let coslon = trig_range(min.x, max.x, 0.0, f64::cos);
    let sinlon = trig_range(min.x, max.x, 90.0, f64::sin);
    let x = mul_range(coslat, coslon);
    let y = mul_range(coslat, sinlon);
    AABB::from_corners([x.0, y.0, sinlat.0], [x.1, y.1, sinlat.1])
}

/// The range of `f` (cos or sin) over [a, b] degrees: its ends and every extreme (at `phase` plus
/// a multiple of 180 degrees) inside.
fn trig_range(a: f64, b: f64, phase: f64, f: fn(f64) -> f64) -> (f64, f64) {
    let mut lo = f(a.to_radians()).min(f(b.to_radians()));
    let mut hi = f(a.to_radians()).max(f(b.to_radians()));
    let mut k = ((a - phase) / 180.0).ceil();
    while phase + k * 180.0 <= b {
        let v = f((phase + k * 180.0).to_radians());
        lo = lo.min(v);
        hi = hi.max(v);
        k += 1.0;
    }
    (lo, hi)
}

fn mul_range(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let p = [a.0 * b.0, a.0 * b.1, a.1 * b.0, a.1 * b.1];
    (
        p.iter().copied().fold(f64::INFINITY, f64::min),
        p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_box_holds_points_inside_the_rectangle() {
        let b = lonlat_rect_box(Coord { x: -10.0, y: -5.0 }, Coord { x: 100.0, y: 60.0 });
        for lat in (-5..=60).step_by(5) {
            for lon in (-10..=100).step_by(5) {
                let v = LatLon::new(lat as f64, lon as f64).to_vec();
                assert_eq!(box_distance2(&b, v), 0.0, "{lat},{lon}");
            }
        }
        // x reaches 1 at lon 0, lat 0, and y reaches 1 at lon 90
        assert!((b.upper()[0] - 1.0).abs() < 1e-12 && (b.upper()[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn corridor_box_test_keeps_boxes_on_the_path() {
        let shape = Shape::Corridor {
            from: LatLon::new(38.8, -77.0),
            to: LatLon::new(40.3, -76.9),
            half_width_m: 10_000.0,
        };
        let probe = Probe::new(&shape);
        let on = sphere::intermediate(LatLon::new(38.8, -77.0), LatLon::new(40.3, -76.9), 0.3);
        let v = on.to_vec();
        let b = AABB::from_point(v);
        assert!(probe.box_may_touch(&b, 0.0));
        let far = LatLon::new(39.5, -75.0).to_vec();
        assert!(!probe.box_may_touch(&AABB::from_point(far), 0.0));
    }
}
