//! A digest's email: every poster held for the partner's digest time, listed in the text with its
//! locations, and the bulletin PDF attached (a cover, then each poster).
//!
//! ```text
//! multipart/mixed
//! ├── multipart/alternative
//! │   ├── text/plain   (templates/email/digest.*.txt)
//! │   └── text/html    (templates/email/digest.*.html)
//! └── application/pdf  (the bulletin)
//! ```

use lettre::Message;
use lettre::message::{Attachment, MultiPart, SinglePart};
use minijinja::context;
use serde::Serialize;

use super::{Composer, LocationLine, PdfAttachment, pdf_type};
use crate::cases::Lang;
use crate::dispatch::email::EmailError;
use crate::dispatch::payload::{CaseSummary, EventType};

/// One poster of a digest, as the email lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DigestEntry {
    pub case: CaseSummary,
    pub event: EventType,
    pub version: u32,
    pub locations: Vec<LocationLine>,
}

/// Everything a digest's email is made from.
#[derive(Debug, Clone, Copy)]
pub struct DigestEmail<'a> {
    /// Becomes the Message-ID: the same on every retry.
    pub digest_id: &'a str,
    pub lang: Lang,
    pub partner_name: &'a str,
    /// The bulletin's title, also the subject.
    pub title: &'a str,
    pub entries: &'a [DigestEntry],
    pub pdf: PdfAttachment<'a>,
    pub organisation: &'a str,
}

impl Composer {
    /// The digest's message, to each of `to`, DKIM-signed when a key is configured.
    pub fn compose_digest(
        &self,
        d: &DigestEmail<'_>,
        to: &[String],
    ) -> Result<Message, EmailError> {
        let ctx = context! {
            partner_name => d.partner_name, title => d.title, entries => d.entries,
            pdf_name => d.pdf.filename, organisation => d.organisation, digest_id => d.digest_id,
        };
        let render = |kind: &str| {
            self.env
                .get_template(&format!("digest.{}.{kind}", d.lang.code()))
                .and_then(|t| t.render(&ctx))
                .map_err(EmailError::Template)
        };
        let (text, html) = (render("txt")?, render("html")?);
        let builder = self.addressed(d.title, d.digest_id, to)?;
        let body = MultiPart::mixed()
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(text))
                    .singlepart(SinglePart::html(html)),
            )
            .singlepart(
                Attachment::new(d.pdf.filename.to_string()).body(d.pdf.bytes.to_vec(), pdf_type()),
            );
        let mut message = builder.multipart(body).map_err(EmailError::Build)?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}
