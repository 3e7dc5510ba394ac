//! Every active partner location in memory, searchable by region.
//!
//! Points go into an R-tree of 3-D unit vectors, so that a distance on the earth is a chord and a
//! circle is a ball: no special case at the antimeridian or the poles. Locations that cover an
//! area (a coverage polygon, or a reach wider than [`WIDE_REACH_M`]) go into a second R-tree of
//! 3-D boxes and are tested exactly afterwards. Text is kept in one arena so that a million
//! locations fit in well under 200 MB.
//!
//! An index is immutable: when partners change a new one is built and swapped in through
//! [`LiveIndex`], and readers keep the snapshot they started with.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, Envelope, RTree, RTreeObject, SelectionFunction};

use super::shape::{PreparedPolygon, Probe};
use super::sphere::{LatLon, chord_of};
use crate::partners::{Location, Partner, PartnerId};

/// Locations seen from farther than this are indexed as areas, so that one giant reach does not
/// widen every point query.
pub const WIDE_REACH_M: f64 = 5_000.0;

type PointItem = GeomWithData<[f64; 3], u32>;
type AreaItem = GeomWithData<Rectangle<[f64; 3]>, u32>;

/// A slice of the text arena.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
}

/// One indexed location, compact: its strings live in the arena.
#[derive(Debug, Clone)]
struct Entry {
    partner: u32,
    reference: Span,
    name: Span,
    email: Span,
    lat: f64,
    lon: f64,
    reach_m: f32,
    /// Index into `coverages`, or `u32::MAX`.
    coverage: u32,
}

/// A location as the index gives it back: borrowed, cheap.
#[derive(Debug, Clone, Copy)]
pub struct LocationRef<'a> {
    pub id: u32,
    pub partner: &'a Partner,
    pub reference: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub at: LatLon,
    pub reach_m: Option<f64>,
    pub has_coverage: bool,
}

/// What building an index left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildStats {
    pub indexed: usize,
    /// Locations of partners that are not active.
    pub inactive: usize,
    /// Locations whose partner is not in the partner list.
    pub unknown_partner: usize,
}

/// The searchable snapshot of all active locations and their partners.
#[derive(Debug)]
pub struct LocationIndex {
    partners: Vec<Partner>,
    by_id: HashMap<PartnerId, u32>,
    entries: Vec<Entry>,
    text: String,
    coverages: Vec<PreparedPolygon>,
    points: RTree<PointItem>,
    areas: RTree<AreaItem>,
    max_point_reach_m: f64,
    stats: BuildStats,
}

impl LocationIndex {
    /// Bulk-load the locations of the active partners; others are counted in [`BuildStats`].
    pub fn build(partners: Vec<Partner>, locations: impl IntoIterator<Item = Location>) -> Self {
        let by_id: HashMap<PartnerId, u32> = partners
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i as u32))
            .collect();
        let mut b = Builder::default();
        for loc in locations {
            match by_id.get(&loc.partner_id) {
                None => b.stats.unknown_partner += 1,
                Some(&i) if !partners[i as usize].active => b.stats.inactive += 1,
                Some(&i) => b.add(i, loc),
            }
        }
        b.finish(partners, by_id)
    }

    /// An empty index (no partners yet).
    pub fn empty() -> Self {
        Self::build(Vec::new(), Vec::new())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn stats(&self) -> &BuildStats {
        &self.stats
    }

    pub fn partners(&self) -> &[Partner] {
        &self.partners
    }

    pub fn partner(&self, id: &PartnerId) -> Option<&Partner> {
        self.by_id.get(id).map(|&i| &self.partners[i as usize])
    }

    /// The location with this id (ids are positions, stable within one snapshot).
    pub fn get(&self, id: u32) -> LocationRef<'_> {
        let e = &self.entries[id as usize];
        LocationRef {
            id,
            partner: &self.partners[e.partner as usize],
            reference: self.text(e.reference),
            name: self.text(e.name),
            email: (e.email.len > 0).then(|| self.text(e.email)),
            at: LatLon::new(e.lat, e.lon),
            reach_m: (e.reach_m > 0.0).then_some(e.reach_m as f64),
            has_coverage: e.coverage != u32::MAX,
        }
    }

    /// The partner index (position in [`Self::partners`]) of a location.
    pub fn partner_of(&self, id: u32) -> u32 {
        self.entries[id as usize].partner
    }

    fn text(&self, s: Span) -> &str {
        &self.text[s.start as usize..(s.start + s.len) as usize]
    }

    /// Push the id of every location touching the probe's shape (a point inside, its reach circle
    /// or coverage touching it). An id may be pushed once per call.
    pub fn locate(&self, probe: &Probe, out: &mut Vec<u32>) {
        let margin = self.max_point_reach_m;
        let select = ProbeSelect {
            probe,
            margin_m: margin,
        };
        for item in self.points.locate_with_selection_function(select) {
            let e = &self.entries[item.data as usize];
            let ll = LatLon::new(e.lat, e.lon);
            if probe.touches_point(ll, *item.geom(), e.reach_m as f64) {
                out.push(item.data);
            }
        }
        let select = ProbeSelect {
            probe,
            margin_m: 0.0,
        };
        for item in self.areas.locate_with_selection_function(select) {
            let e = &self.entries[item.data as usize];
            let hit = if e.coverage != u32::MAX {
                probe.touches_polygon(&self.coverages[e.coverage as usize])
            } else {
                let ll = LatLon::new(e.lat, e.lon);
                probe.touches_point(ll, ll.to_vec(), e.reach_m as f64)
            };
            if hit {
                out.push(item.data);
            }
        }
    }

    /// Every location's id, for brute-force checks and exports.
    pub fn ids(&self) -> impl Iterator<Item = u32> {
        0..self.entries.len() as u32
    }

    /// Exact test of one location against a probe, without the tree (the reference for tests).
    pub fn touches(&self, id: u32, probe: &Probe) -> bool {
        let e = &self.entries[id as usize];
        if e.coverage != u32::MAX {
            return probe.touches_polygon(&self.coverages[e.coverage as usize]);
        }
        let ll = LatLon::new(e.lat, e.lon);
        probe.touches_point(ll, ll.to_vec(), e.reach_m as f64)
    }
}

/// Walks the tree only into boxes the shape may touch.
struct ProbeSelect<'a> {
    probe: &'a Probe,
    margin_m: f64,
}

impl SelectionFunction<PointItem> for ProbeSelect<'_> {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 3]>) -> bool {
        self.probe.box_may_touch(envelope, self.margin_m)
    }
}

impl SelectionFunction<AreaItem> for ProbeSelect<'_> {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 3]>) -> bool {
        self.probe.box_may_touch(envelope, self.margin_m)
    }

    fn should_unpack_leaf(&self, leaf: &AreaItem) -> bool {
        self.probe
            .box_may_touch(&leaf.geom().envelope(), self.margin_m)
    }
}

#[derive(Default)]
struct Builder {
    entries: Vec<Entry>,
    text: String,
    coverages: Vec<PreparedPolygon>,
    points: Vec<PointItem>,
    areas: Vec<AreaItem>,
    max_point_reach_m: f64,
    stats: BuildStats,
}

impl Builder {
    fn span(&mut self, s: &str) -> Span {
        // the arena is addressed with u32: past 4 GiB of text a string is stored empty
        let start = self.text.len();
        if start + s.len() > u32::MAX as usize {
            return Span::default();
        }
        self.text.push_str(s);
        Span {
            start: start as u32,
            len: s.len() as u32,
        }
    }

    fn add(&mut self, partner: u32, loc: Location) {
        let id = self.entries.len() as u32;
        let reach = loc.reach_m.unwrap_or(0.0).max(0.0);
        let ll = LatLon::new(loc.lat, loc.lon);
        let v = ll.to_vec();
        let coverage = match loc.coverage {
            Some(mp) => {
                let prepared = PreparedPolygon::new(mp);
                let mut env = prepared.parts.iter().fold(AABB::from_point(v), |acc, p| {
                    let mut acc = acc;
                    acc.merge(p);
                    acc
                });
                pad(&mut env, chord_of(reach));
                self.areas
                    .push(GeomWithData::new(Rectangle::from_aabb(env), id));
                self.coverages.push(prepared);
                (self.coverages.len() - 1) as u32
            }
            None if reach > WIDE_REACH_M => {
                let mut env = AABB::from_point(v);
                pad(&mut env, chord_of(reach));
                self.areas
                    .push(GeomWithData::new(Rectangle::from_aabb(env), id));
                u32::MAX
            }
            None => {
                self.max_point_reach_m = self.max_point_reach_m.max(reach);
                self.points.push(GeomWithData::new(v, id));
                u32::MAX
            }
        };
        let entry = Entry {
            partner,
            reference: self.span(&loc.reference),
            name: self.span(&loc.name),
            email: loc
                .email
                .as_deref()
                .map(|e| self.span(e))
                .unwrap_or_default(),
            lat: loc.lat,
            lon: loc.lon,
            reach_m: reach as f32,
            coverage,
        };
        self.entries.push(entry);
        self.stats.indexed += 1;
    }

    fn finish(self, partners: Vec<Partner>, by_id: HashMap<PartnerId, u32>) -> LocationIndex {
        let mut text = self.text;
        text.shrink_to_fit();
        let mut entries = self.entries;
        entries.shrink_to_fit();
        LocationIndex {
            partners,
            by_id,
            entries,
            text,
            coverages: self.coverages,
            points: RTree::bulk_load(self.points),
            areas: RTree::bulk_load(self.areas),
            max_point_reach_m: self.max_point_reach_m,
            stats: self.stats,
        }
    }
}

fn pad(env: &mut AABB<[f64; 3]>, by: f64) {
    *env = AABB::from_corners(env.lower().map(|x| x - by), env.upper().map(|x| x + by));
}

/// The index the service reads from, replaced whole when partners change.
///
/// Readers clone the `Arc` under a read lock held for a pointer copy only, then search without
/// any lock; a writer builds the new index outside the lock and swaps the pointer in.
#[derive(Debug)]
pub struct LiveIndex {
    current: RwLock<Arc<LocationIndex>>,
}

impl LiveIndex {
    pub fn new(index: LocationIndex) -> LiveIndex {
        LiveIndex {
            current: RwLock::new(Arc::new(index)),
        }
    }

    /// The current snapshot; it stays valid however many swaps happen while it is used.
    pub fn load(&self) -> Arc<LocationIndex> {
        // a poisoned lock only means a writer panicked between two pointer writes: the pointer
        // itself is always whole, so keep serving it
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Put a new snapshot in place and give back the previous one.
    pub fn swap(&self, index: LocationIndex) -> Arc<LocationIndex> {
        let new = Arc::new(index);
        let mut g = match self.current.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        std::mem::replace(&mut *g, new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targeting::shape::Shape;

    fn partner(id: &str, active: bool) -> Partner {
        let mut p = Partner::accept_all(PartnerId::parse(id).unwrap(), id.to_string());
        p.active = active;
        p
    }

    fn loc(pid: &str, r: &str, lat: f64, lon: f64, reach: Option<f64>) -> Location {
        Location {
            partner_id: PartnerId::parse(pid).unwrap(),
            reference: r.into(),
            name: format!("Store {r}"),
            lat,
            lon,
            reach_m: reach,
            email: None,
            coverage: None,
        }
    }

    #[test]
    fn inactive_and_unknown_partners_are_left_out() {
        let idx = LocationIndex::build(
            vec![partner("on", true), partner("off", false)],
            vec![
                loc("on", "1", 0.0, 0.0, None),
                loc("off", "2", 0.0, 0.0, None),
                loc("zz", "3", 0.0, 0.0, None),
            ],
        );
        assert_eq!(
            idx.stats(),
            &BuildStats {
                indexed: 1,
                inactive: 1,
                unknown_partner: 1
            }
        );
        assert_eq!(idx.get(0).reference, "1");
    }

    #[test]
    fn reach_brings_a_billboard_into_a_circle() {
        let center = LatLon::new(45.0, 10.0);
        let edge = crate::targeting::sphere::destination(center, 0.0, 10_900.0);
        let idx = LocationIndex::build(
            vec![partner("ab", true)],
            vec![
                loc("ab", "sign", edge.lat, edge.lon, Some(1_000.0)),
                loc("ab", "store", edge.lat, edge.lon, None),
                loc("ab", "tower", 46.0, 10.0, Some(110_000.0)),
            ],
        );
        let probe = Probe::new(&Shape::Circle {
            center,
            radius_m: 10_000.0,
        });
        let mut out = Vec::new();
        idx.locate(&probe, &mut out);
        out.sort();
        let refs: Vec<_> = out.iter().map(|&i| idx.get(i).reference).collect();
        assert_eq!(refs, ["sign", "tower"]);
    }

    #[test]
    fn swap_keeps_old_snapshots_alive() {
        let live = LiveIndex::new(LocationIndex::empty());
        let before = live.load();
        let old = live.swap(LocationIndex::build(
            vec![partner("ab", true)],
            vec![loc("ab", "1", 1.0, 1.0, None)],
        ));
        assert!(Arc::ptr_eq(&before, &old));
        assert_eq!(before.len(), 0);
        assert_eq!(live.load().len(), 1);
    }
}
