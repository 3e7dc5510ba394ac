//! A tip's email: forwarded whole to the investigating agency (the photo attached as it was sent,
//! metadata and all: it may be evidence), or an urgent sighting to the case managers on the case
//! (the photo only behind sign-in, in the console).
//!
//! ```text
//! multipart/mixed
//! ├── multipart/alternative
//! │   ├── text/plain   (templates/email/tip.en.txt)
//! │   └── text/html    (templates/email/tip.en.html)
//! └── the photo        (forwarded tips that have one)
//! ```

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use minijinja::context;
use serde::Serialize;

use super::Composer;
use crate::dispatch::email::EmailError;

/// What the email says of the tip.
#[derive(Debug, Clone, Serialize)]
pub struct TipFacts<'a> {
    pub received_at: &'a str,
    pub what: &'a str,
    pub place: &'a str,
    /// How long ago, in words ("within the last hour").
    pub when: &'a str,
    pub time: Option<&'a str>,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    /// The poster that brought it, in words ("Test Partner, store s1, letter poster").
    pub via: Option<&'a str>,
    pub note: Option<&'a str>,
    pub after_close: bool,
}

/// Everything a tip's email is made from.
#[derive(Debug, Clone)]
pub struct TipEmail<'a> {
    /// Becomes the Message-ID: the same on every retry.
    pub message_id: &'a str,
    /// Forwarded to the agency (else urgent, to the case managers).
    pub forward: bool,
    pub case_number: &'a str,
    pub agency: &'a str,
    /// The case's page in the console.
    pub case_url: Option<&'a str>,
    pub tip_id: &'a str,
    pub facts: TipFacts<'a>,
    /// content type and bytes, attached to a forwarded tip
    pub photo: Option<(&'a str, &'a [u8])>,
    pub organisation: &'a str,
}

impl Composer {
    /// The tip's message, to each of `to`, DKIM-signed when a key is configured.
    pub fn compose_tip(&self, t: &TipEmail<'_>, to: &[String]) -> Result<Message, EmailError> {
        let ctx = context! {
            sender => sender(&t.facts), forward => t.forward, case_number => t.case_number, agency => t.agency,
            case_url => t.case_url, tip_id => t.tip_id, tip => &t.facts,
            has_photo => t.photo.is_some(), organisation => t.organisation,
        };
        let render = |kind: &str| {
            self.env
                .get_template(&format!("tip.en.{kind}"))
                .and_then(|tpl| tpl.render(&ctx))
                .map_err(EmailError::Template)
        };
        let (text, html) = (render("txt")?, render("html")?);
        let subject = if t.forward {
            format!("Tip for case {} ({})", t.case_number, t.tip_id)
        } else {
            format!(
                "URGENT sighting, case {}: seen within the hour",
                t.case_number
            )
        };
        let builder = self.addressed(&subject, t.message_id, to)?;
        let alternative = MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html));
        let body = match t.photo.filter(|_| t.forward) {
            Some((content_type, bytes)) => {
                let kind = ContentType::parse(content_type).unwrap_or_else(|_| {
                    ContentType::parse("application/octet-stream").expect("valid")
                });
                let name = format!("{}-photo.{}", t.tip_id, extension(content_type));
                MultiPart::mixed()
                    .multipart(alternative)
                    .singlepart(Attachment::new(name).body(bytes.to_vec(), kind))
            }
            None => MultiPart::mixed().multipart(alternative),
        };
        let mut message = builder.multipart(body).map_err(EmailError::Build)?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}

/// How to reach the sender, in one line.
fn sender(f: &TipFacts<'_>) -> String {
    let mut parts = Vec::new();
    if let Some(n) = f.name {
        parts.push(n.to_string());
    }
    if let Some(p) = f.phone {
        parts.push(format!("phone {p}"));
    }
    if let Some(e) = f.email {
        parts.push(format!("email {e}"));
    }
    if parts.is_empty() {
        "left no contact details".into()
    } else {
        parts.join(", ")
    }
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        _ => "bin",
    }
}
