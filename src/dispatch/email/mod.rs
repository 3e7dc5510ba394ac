//! The email channel: compose (lettre builder, minijinja templates, DKIM) and send (pooled SMTP or
//! `.eml` files).

mod compose;
mod transport;

pub use compose::{
    Audience, Composer, DigestEmail, DigestEntry, DkimSettings, EmailInput, LocationLine,
    PdfAttachment, TipEmail, TipFacts,
};
pub use transport::{Mailer, PoolSettings, SmtpSecurity, SmtpSettings};

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("{field}: not an email address: {source}")]
    Address {
        field: &'static str,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("smtp_url: {0}")]
    SmtpUrl(String),
    #[error("dkim key: {0}")]
    DkimKey(String),
    #[error("email template: {0}")]
    Template(#[source] minijinja::Error),
    #[error("email: {0}")]
    Build(#[source] lettre::error::Error),
    #[error("email: no recipient")]
    NoRecipient,
    #[error("delivery id: must be 1 to 128 of A-Z, a-z, 0-9, '-', '_' and '.'")]
    DeliveryId,
    #[error("smtp: the SMTP pool must be built inside the tokio runtime")]
    NoRuntime,
    #[error("smtp tls: {0}")]
    Tls(#[source] lettre::transport::smtp::Error),
}
