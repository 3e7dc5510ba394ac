//! Distribution planning: given what each recipient of a case holds and who should hold it now, decide
//! what to send so that every partner ends up with the newest poster, or none.
//!
//! [`plan`] is pure: the outbox reads the standings from the database, calls [`plan`], and writes the steps (and the
//! supersessions) in the same transaction as the change that caused them; [`reissue`] is that part.

mod closed;
mod plan;
pub mod reissue;
mod service;
mod targeting_index;

pub use closed::ClosedCases;
pub use plan::{Action, CaseState, Plan, Queued, Recipient, Standing, Step, WithdrawReason, plan};
pub use service::{DispatchError, Distributor};
pub use targeting_index::{IndexError, TargetingIndex, WATCH_EVERY};
