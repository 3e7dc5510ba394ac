//! Geo-targeting: which partner locations should see a case's poster.
//!
//! A pure library: values in, values out, no clock, database or network.
//! - [`policy`]: the region policy (`templates/targeting.toml`);
//! - [`region`]: a case's target region, piece by piece, each with its reason;
//! - [`index`]: all active locations in an R-tree, swapped whole when partners change;
//! - [`select`]: the locations inside a region, grouped per partner and filtered;
//! - [`geojson`] and [`map`]: the preview as GeoJSON and as an SVG map;
//! - [`demo`]: a made-up network of SAMPLE partners around real US cities, from a seed.

pub mod demo;
pub mod geodata;
pub mod grid;
pub mod index;
pub mod shape;
pub mod sphere;

pub use demo::DemoNetwork;
pub use index::{BuildStats, LiveIndex, LocationIndex, LocationRef};
pub use shape::{Probe, Shape};
pub use sphere::LatLon;
pub mod policy;
pub mod region;
pub mod select;

pub use policy::{Policy, PolicyError};
pub use region::{Piece, PieceKind, Region, RegionError, RegionExtras, States, region_for};
pub use select::{Audience, PartnerSelection, SelectedLocation, Selection, select};
pub mod geojson;
pub mod map;

pub use geojson::preview;
pub use map::{MapOptions, render_svg};
