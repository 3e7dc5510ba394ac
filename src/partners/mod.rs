//! Photo partners and their locations: who can put a poster in front of people, and where.
//!
//! The wire forms are those of `shared/spec/partner-format.md`.

pub mod cadence;
mod model;

pub use cadence::Cadence;
pub use model::*;
pub mod check;
pub mod import;

pub use import::{
    FileKind, ImportError, ImportReport, Row, RowError, import, import_checked, to_multipolygon,
};
