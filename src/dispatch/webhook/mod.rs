//! The webhook channel: Standard Webhooks signatures and a guarded, pooled sender.

mod client;
pub mod sign;

pub use client::{Answer, WebhookClient};
pub use sign::{SignError, WebhookSecret, signature_header, verify};
