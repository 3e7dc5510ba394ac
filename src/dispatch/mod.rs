//! Dispatch channels: how a poster reaches a partner, and how each attempt ends.
//!
//! The outbox worker is a thin loop over these pieces: claim a delivery, build its message
//! ([`payload`] for webhooks, [`email::Composer`] for email, [`cap`] for alert feeds), send it with
//! [`webhook::WebhookClient`] or [`email::Mailer`], record the [`SendOutcome`], and on a retry store
//! [`retry::next_attempt`]. Nothing here touches the database.

pub mod cap;
pub mod channels;
pub mod email;
pub mod gate;
pub mod links;
pub mod outcome;
pub mod payload;
pub mod retry;
pub mod ssrf;
pub mod webhook;
pub mod worker;

pub use channels::{Channels, SetupError};
pub use outcome::SendOutcome;
