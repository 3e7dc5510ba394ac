//! Geometry on a spherical earth: unit vectors, great-circle distances, arcs and geodesic circles.
//!
//! Everything is on a sphere of the mean earth radius (IUGG, 6,371,008.8 m). The error against the
//! ellipsoid is under 0.5 %, far below how precisely anyone knows where a child might be, and the
//! sphere makes every test exact and cheap: a distance on the earth is a chord in 3-D, which an
//! R-tree of unit vectors can search without any trouble at the antimeridian or the poles.

/// Mean earth radius in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Slack for "on the boundary": a location exactly on a circle's edge is inside.
pub const BOUNDARY_TOLERANCE_M: f64 = 0.001;

/// A point on the earth in degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub fn new(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    /// The unit vector from the earth's centre (x towards 0°E, z towards the north pole).
    pub fn to_vec(self) -> [f64; 3] {
        let (slat, clat) = self.lat.to_radians().sin_cos();
        let (slon, clon) = self.lon.to_radians().sin_cos();
        [clat * clon, clat * slon, slat]
    }

    pub fn from_vec(v: [f64; 3]) -> LatLon {
        let v = normalize(v);
        LatLon {
            lat: v[2].clamp(-1.0, 1.0).asin().to_degrees(),
            lon: v[1].atan2(v[0]).to_degrees(),
        }
    }

    /// GeoJSON order.
    pub fn lon_lat(self) -> [f64; 2] {
        [self.lon, self.lat]
    }
}

pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

pub fn normalize(a: [f64; 3]) -> [f64; 3] {
    let n = norm(a);
    if n == 0.0 {
        return a;
    }
    [a[0] / n, a[1] / n, a[2] / n]
}

/// Squared straight-line distance between two unit vectors.
pub fn chord2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    dot(d, d)
}

/// The chord length (on the unit sphere) of a surface distance in metres; beyond half the
/// circumference every point is within reach, so the chord is capped at the diameter.
pub fn chord_of(distance_m: f64) -> f64 {
    let angle = (distance_m / EARTH_RADIUS_M).clamp(0.0, std::f64::consts::PI);
    2.0 * (angle / 2.0).sin()
}

/// The angle between two unit vectors, accurate at small and large angles alike.
pub fn angle(a: [f64; 3], b: [f64; 3]) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Great-circle distance in metres (haversine formula; the brute-force reference uses it too).
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Distance in metres between two unit vectors.
pub fn distance_m(a: [f64; 3], b: [f64; 3]) -> f64 {
    angle(a, b) * EARTH_RADIUS_M
}

/// The point `distance_m` away from `from` in the direction `bearing_deg` (clockwise from north).
pub fn destination(from: LatLon, bearing_deg: f64, distance_m: f64) -> LatLon {
    let d = distance_m / EARTH_RADIUS_M;
    let (lat1, lon1) = (from.lat.to_radians(), from.lon.to_radians());
    let brg = bearing_deg.to_radians();
    let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * brg.cos()).asin();
    let lon2 = lon1 + (brg.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
    LatLon::new(lat2.to_degrees(), wrap_lon(lon2.to_degrees()))
}

/// Initial bearing from `a` to `b` in degrees.
pub fn bearing(a: LatLon, b: LatLon) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlon = (b.lon - a.lon).to_radians();
    let y = dlon.sin() * lat2.cos();
    let x = lat1.cos() * lat2.sin() - lat1.sin() * lat2.cos() * dlon.cos();
    y.atan2(x).to_degrees()
}

/// The point a fraction `t` of the way along the great circle from `a` to `b`.
pub fn intermediate(a: LatLon, b: LatLon, t: f64) -> LatLon {
    let (va, vb) = (a.to_vec(), b.to_vec());
    let omega = angle(va, vb);
    if omega < 1e-12 {
        return a;
    }
    let (sa, sb) = (((1.0 - t) * omega).sin(), (t * omega).sin());
    let s = omega.sin();
    LatLon::from_vec([
        (sa * va[0] + sb * vb[0]) / s,
        (sa * va[1] + sb * vb[1]) / s,
        (sa * va[2] + sb * vb[2]) / s,
    ])
}

/// Longitude into [-180, 180).
pub fn wrap_lon(lon: f64) -> f64 {
    let l = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if l.is_nan() { lon } else { l }
}

/// A minor great-circle arc between two unit vectors, ready for distance tests.
#[derive(Debug, Clone, Copy)]
pub struct GreatArc {
    pub a: [f64; 3],
    pub b: [f64; 3],
    /// Unit normal of the arc's great circle; zero when the ends coincide.
    pub n: [f64; 3],
}

impl GreatArc {
    pub fn new(a: [f64; 3], b: [f64; 3]) -> GreatArc {
        let c = cross(a, b);
        let n = if norm(c) < 1e-15 {
            [0.0; 3]
        } else {
            normalize(c)
        };
        GreatArc { a, b, n }
    }

    /// The smallest angle from `p` to any point of the arc.
    pub fn angle_to(&self, p: [f64; 3]) -> f64 {
        if self.n == [0.0; 3] {
            return angle(p, self.a);
        }
        // p projects inside the arc when it lies on the inner side of both end meridians
        let inside_a = dot(cross(self.a, p), self.n) >= 0.0;
        let inside_b = dot(cross(p, self.b), self.n) >= 0.0;
        if inside_a && inside_b {
            dot(p, self.n).clamp(-1.0, 1.0).asin().abs()
        } else {
            angle(p, self.a).min(angle(p, self.b))
        }
    }

    pub fn distance_m(&self, p: [f64; 3]) -> f64 {
        self.angle_to(p) * EARTH_RADIUS_M
    }

    /// Whether two arcs cross (share a point).
    pub fn crosses(&self, o: &GreatArc) -> bool {
        if self.n == [0.0; 3] || o.n == [0.0; 3] {
            return false;
        }
        let line = cross(self.n, o.n);
        if norm(line) < 1e-15 {
            return false; // same great circle: the endpoint distances decide
        }
        let x = normalize(line);
        [x, [-x[0], -x[1], -x[2]]]
            .into_iter()
            .any(|c| self.angle_to(c) < 1e-12 && o.angle_to(c) < 1e-12)
    }

    /// The smallest angle between two arcs: zero when they cross, else at an endpoint of one.
    pub fn angle_to_arc(&self, o: &GreatArc) -> f64 {
        if self.crosses(o) {
            return 0.0;
        }
        self.angle_to(o.a)
            .min(self.angle_to(o.b))
            .min(o.angle_to(self.a))
            .min(o.angle_to(self.b))
    }
}

/// A geodesic circle as a closed ring of lon/lat points (the first repeated at the end).
/// Longitudes are unwrapped so that the ring is continuous even where it crosses the antimeridian.
pub fn circle_ring(center: LatLon, radius_m: f64, steps: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..steps)
        .map(|i| destination(center, 360.0 * i as f64 / steps as f64, radius_m).lon_lat())
        .collect();
    ring.push(ring[0]);
    unwrap_ring(&mut ring, center.lon);
    let (first, last) = (ring[0], ring[ring.len() - 1]);
    if (last[0] - first[0]).abs() > 180.0 {
        // the circle holds a pole: the outline goes round it along the pole's "edge"
        let pole = if center.lat > 0.0 { 90.0 } else { -90.0 };
        ring.push([last[0], pole]);
        ring.push([first[0], pole]);
        ring.push(first);
    }
    ring
}

/// Shift longitudes by whole turns so that consecutive points never jump by more than 180°,
/// starting near `reference`.
pub fn unwrap_ring(ring: &mut [[f64; 2]], reference: f64) {
    let mut prev = reference;
    for p in ring.iter_mut() {
        let mut lon = p[0];
        while lon - prev > 180.0 {
            lon -= 360.0;
        }
        while prev - lon > 180.0 {
            lon += 360.0;
        }
        p[0] = lon;
        prev = lon;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_vector_angle() {
        let a = LatLon::new(38.8048, -77.0469);
        let b = LatLon::new(40.2732, -76.8867);
        let h = haversine_m(a, b);
        let v = distance_m(a.to_vec(), b.to_vec());
        assert!((h - v).abs() < 0.01, "{h} vs {v}");
        assert!((h - 163_700.0).abs() < 1_000.0, "Alexandria-Harrisburg {h}");
    }

    #[test]
    fn destination_is_at_the_distance_and_wraps() {
        let from = LatLon::new(52.0, 179.5);
        let to = destination(from, 90.0, 100_000.0);
        assert!(to.lon < -179.0, "crossed the antimeridian: {to:?}");
        assert!((haversine_m(from, to) - 100_000.0).abs() < 0.01);
    }

    #[test]
    fn arc_distance_inside_and_beyond_the_ends() {
        let arc = GreatArc::new(
            LatLon::new(0.0, 0.0).to_vec(),
            LatLon::new(0.0, 10.0).to_vec(),
        );
        let above = LatLon::new(1.0, 5.0).to_vec();
        let expect = 1f64.to_radians() * EARTH_RADIUS_M;
        assert!((arc.distance_m(above) - expect).abs() < 1.0);
        let beyond = LatLon::new(0.0, 12.0).to_vec();
        assert!((arc.distance_m(beyond) - 2f64.to_radians() * EARTH_RADIUS_M).abs() < 1.0);
    }

    #[test]
    fn crossing_arcs_have_zero_distance() {
        let a = GreatArc::new(
            LatLon::new(-1.0, 0.0).to_vec(),
            LatLon::new(1.0, 0.0).to_vec(),
        );
        let b = GreatArc::new(
            LatLon::new(0.0, -1.0).to_vec(),
            LatLon::new(0.0, 1.0).to_vec(),
        );
        assert_eq!(a.angle_to_arc(&b), 0.0);
        let c = GreatArc::new(
            LatLon::new(0.0, 2.0).to_vec(),
            LatLon::new(0.0, 3.0).to_vec(),
        );
        assert!((a.angle_to_arc(&c) - 2f64.to_radians()).abs() < 1e-9);
    }

    #[test]
    fn circle_ring_is_continuous_across_the_antimeridian() {
        let ring = circle_ring(LatLon::new(51.9, -179.9), 50_000.0, 32);
        assert!(ring.windows(2).all(|w| (w[0][0] - w[1][0]).abs() < 10.0));
    }
}
