//! Photo partners and their locations: who can put a poster in front of people, and where.
//!
//! The wire forms are those of `shared/spec/partner-format.md`.

mod model;

pub use model::*;
pub mod check;
pub mod import;

pub use import::{ImportError, ImportReport, Row, RowError, import, import_checked};
pub mod demo;

pub use demo::DemoNetwork;
