//! Point-in-polygon in constant time for most points: a grid over each polygon's lon/lat box
//! whose cells are known to lie wholly inside, wholly outside, or near the boundary, where the
//! exact test decides.

use geo::{Coord, Intersects, Point, Polygon};

/// Cells per side: 1,024 cells cost about a thousand exact tests to classify, and leave about a
/// tenth of a state's box near its boundary.
const SIDE: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Inside,
    Outside,
    Boundary,
}

/// One polygon (exterior and holes) with its grid.
#[derive(Debug, Clone)]
pub struct PolygonGrid {
    polygon: Polygon<f64>,
    min: Coord<f64>,
    max: Coord<f64>,
    step: Coord<f64>,
    cells: Vec<Cell>,
}

impl PolygonGrid {
    pub fn new(polygon: Polygon<f64>) -> PolygonGrid {
        let (mut min, mut max) = (
            Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        );
        for c in &polygon.exterior().0 {
            min = Coord {
                x: min.x.min(c.x),
                y: min.y.min(c.y),
            };
            max = Coord {
                x: max.x.max(c.x),
                y: max.y.max(c.y),
            };
        }
        let step = Coord {
            x: (max.x - min.x) / SIDE as f64,
            y: (max.y - min.y) / SIDE as f64,
        };
        let mut grid = PolygonGrid {
            polygon,
            min,
            max,
            step,
            cells: vec![Cell::Outside; SIDE * SIDE],
        };
        if !(step.x > 0.0 && step.y > 0.0) {
            grid.cells.fill(Cell::Boundary); // a degenerate box: always test exactly
            return grid;
        }
        // every cell an edge's box reaches, and their neighbours (for points on cell borders)
        let rings = std::iter::once(grid.polygon.exterior()).chain(grid.polygon.interiors());
        let mut boundary = vec![false; SIDE * SIDE];
        for line in rings.flat_map(|r| r.lines()) {
            let (x0, x1) = (
                grid.col(line.start.x.min(line.end.x)),
                grid.col(line.start.x.max(line.end.x)),
            );
            let (y0, y1) = (
                grid.row(line.start.y.min(line.end.y)),
                grid.row(line.start.y.max(line.end.y)),
            );
            for y in y0.saturating_sub(1)..=(y1 + 1).min(SIDE - 1) {
                for x in x0.saturating_sub(1)..=(x1 + 1).min(SIDE - 1) {
                    boundary[y * SIDE + x] = true;
                }
            }
        }
        for (i, b) in boundary.into_iter().enumerate() {
            grid.cells[i] = if b {
                Cell::Boundary
            } else {
                let centre = Point::new(
                    min.x + step.x * ((i % SIDE) as f64 + 0.5),
                    min.y + step.y * ((i / SIDE) as f64 + 0.5),
                );
                if grid.polygon.intersects(&centre) {
                    Cell::Inside
                } else {
                    Cell::Outside
                }
            };
        }
        grid
    }

    fn col(&self, x: f64) -> usize {
        (((x - self.min.x) / self.step.x).floor().max(0.0) as usize).min(SIDE - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.min.y) / self.step.y).floor().max(0.0) as usize).min(SIDE - 1)
    }

    /// Inside or on the boundary, as geo's `intersects` says.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        if !(self.min.x..=self.max.x).contains(&x) || !(self.min.y..=self.max.y).contains(&y) {
            return false;
        }
        match self.cells[self.row(y) * SIDE + self.col(x)] {
            Cell::Inside => true,
            Cell::Outside => false,
            Cell::Boundary => self.polygon.intersects(&Point::new(x, y)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targeting::region::States;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn grid_answers_as_the_exact_test_on_real_states_and_a_hole() {
        let states = States::us().unwrap();
        let mut polygons: Vec<Polygon<f64>> = ["TX", "AK", "MI", "VA"]
            .iter()
            .flat_map(|c| states.get(c).unwrap().outline.0.clone())
            .collect();
        let square = |x: f64, y: f64, s: f64| {
            geo::LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)])
        };
        polygons.push(Polygon::new(
            square(0.0, 0.0, 4.0),
            vec![square(1.0, 1.0, 2.0)],
        ));
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for p in polygons {
            let grid = PolygonGrid::new(p.clone());
            let (lo, hi) = (grid.min, grid.max);
            for _ in 0..3_000 {
                let x = rng.random_range(lo.x - 0.5..hi.x + 0.5);
                let y = rng.random_range(lo.y - 0.5..hi.y + 0.5);
                assert_eq!(
                    grid.contains(x, y),
                    p.intersects(&Point::new(x, y)),
                    "{x},{y}"
                );
            }
            // vertices lie on the boundary: inside
            for c in p.exterior().0.iter().step_by(7) {
                assert!(grid.contains(c.x, c.y));
            }
        }
    }
}
