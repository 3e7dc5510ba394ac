//! The case: what a case manager enters when a child is reported missing.
//!
//! `parse` turns a JSON document (the format in `shared/spec/case-format.md`) into a [`Case`]
//! whose every field has been checked; the rest of the program never sees an unchecked case.

mod dates;
mod erase;
mod labels;
mod lang;
mod model;
mod parse;
mod patch;
mod schema;
mod units;

pub use dates::{Date, MissingSince};
pub use lang::Lang;
pub use model::*;
pub use parse::{CaseError, FieldError, limits, parse_case, parse_instant, validate_case};
pub use patch::{changed_paths, merge_patch, merge3};
pub use units::{age_on, cm_to_feet_inches, kg_to_pounds};
