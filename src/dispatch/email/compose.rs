//! Building the message a partner's mailbox receives:
//!
//! ```text
//! multipart/mixed
//! ├── multipart/related
//! │   ├── multipart/alternative
//! │   │   ├── text/plain   (templates/email/*.txt, the partner's language)
//! │   │   └── text/html    (templates/email/*.html)
//! │   └── image/png        (square poster, inline, Content-ID)
//! └── application/pdf      (the print poster, attached)
//! ```
//!
//! A withdrawal has only the two texts: "please remove this poster", the reason, nothing more.

use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{
    Attachment, DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey, Mailbox, MultiPart, SinglePart,
};
use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

mod digest;
mod tip;

pub use digest::{DigestEmail, DigestEntry};
pub use tip::{TipEmail, TipFacts};

use super::EmailError;
use crate::cases::Lang;
use crate::dispatch::payload::{CaseSummary, EventType, PosterFile, WithdrawReason};

/// Each file of `templates/email/` as (name, source).
macro_rules! email_templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../templates/email/", $name)))),*]
    };
}

/// The templates, compiled in so a deployed binary cannot lose them: a tip goes to an agency in
/// English; partners get their messages in each poster language.
const TEMPLATES: &[(&str, &str)] = email_templates!(
    "tip.en.txt",
    "tip.en.html",
    "subject.en.txt",
    "poster.en.txt",
    "poster.en.html",
    "withdrawn.en.txt",
    "withdrawn.en.html",
    "digest.en.txt",
    "digest.en.html",
    "subject.es.txt",
    "poster.es.txt",
    "poster.es.html",
    "withdrawn.es.txt",
    "withdrawn.es.html",
    "digest.es.txt",
    "digest.es.html",
    "subject.fr.txt",
    "poster.fr.txt",
    "poster.fr.html",
    "withdrawn.fr.txt",
    "withdrawn.fr.html",
    "digest.fr.txt",
    "digest.fr.html",
    "subject.vi.txt",
    "poster.vi.txt",
    "poster.vi.html",
    "withdrawn.vi.txt",
    "withdrawn.vi.html",
    "digest.vi.txt",
    "digest.vi.html",
    "subject.tl.txt",
    "poster.tl.txt",
    "poster.tl.html",
    "withdrawn.tl.txt",
    "withdrawn.tl.html",
    "digest.tl.txt",
    "digest.tl.html",
    "subject.zh-Hans.txt",
    "poster.zh-Hans.txt",
    "poster.zh-Hans.html",
    "withdrawn.zh-Hans.txt",
    "withdrawn.zh-Hans.html",
    "digest.zh-Hans.txt",
    "digest.zh-Hans.html",
    "subject.zh-Hant.txt",
    "poster.zh-Hant.txt",
    "poster.zh-Hant.html",
    "withdrawn.zh-Hant.txt",
    "withdrawn.zh-Hant.html",
    "digest.zh-Hant.txt",
    "digest.zh-Hant.html",
    "subject.ko.txt",
    "poster.ko.txt",
    "poster.ko.html",
    "withdrawn.ko.txt",
    "withdrawn.ko.html",
    "digest.ko.txt",
    "digest.ko.html",
    "subject.ar.txt",
    "poster.ar.txt",
    "poster.ar.html",
    "withdrawn.ar.txt",
    "withdrawn.ar.html",
    "digest.ar.txt",
    "digest.ar.html",
);

/// The Content-ID of the inline square poster, referenced as `cid:` from the HTML.
const IMAGE_CID: &str = "poster-square";

/// One of the partner's locations, as listed in the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocationLine {
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
}

/// Who the message speaks to.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// One message to the partner's head office, listing every targeted location.
    Partner { locations: &'a [LocationLine] },
    /// One message to one store, addressed to its manager.
    Location(&'a LocationLine),
}

/// The print poster to attach.
#[derive(Debug, Clone, Copy)]
pub struct PdfAttachment<'a> {
    pub filename: &'a str,
    pub bytes: &'a [u8],
}

/// Everything one email is made from.
#[derive(Debug, Clone, Copy)]
pub struct EmailInput<'a> {
    /// Becomes the Message-ID, so a retried send is recognisably the same message.
    pub delivery_id: &'a str,
    pub event: EventType,
    pub lang: Lang,
    /// For a withdrawal, [`CaseSummary::withdrawn`]: the texts then show only the case number.
    pub case: &'a CaseSummary,
    pub version: u32,
    pub partner_name: &'a str,
    pub audience: Audience<'a>,
    pub reason: Option<WithdrawReason>,
    /// Signed links to every poster file the partner takes.
    pub posters: &'a [PosterFile],
    /// The square PNG poster, shown inline.
    pub square_png: Option<&'a [u8]>,
    pub pdf: Option<PdfAttachment<'a>>,
    /// The organisation's name, signing the message.
    pub organisation: &'a str,
}

/// Where a DKIM key lives and what it signs for.
#[derive(Debug, Clone)]
pub struct DkimSettings {
    pub selector: String,
    pub domain: String,
    /// A PKCS#1 PEM RSA key, or an Ed25519 key as base64 of its 32 bytes.
    pub private_key: String,
}

/// Turns [`EmailInput`]s into signed MIME messages. Build one at start and share it.
pub struct Composer {
    env: Environment<'static>,
    from: Mailbox,
    id_domain: String,
    dkim: Option<DkimConfig>,
}

impl std::fmt::Debug for Composer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composer")
            .field("from", &self.from.to_string())
            .field("dkim", &self.dkim.is_some())
            .finish_non_exhaustive()
    }
}

impl Composer {
    /// `from` is the sender (`Lookout Alerts <alerts@lookout.example.org>`); its domain also names
    /// the Message-IDs.
    pub fn new(from: &str, dkim: Option<&DkimSettings>) -> Result<Composer, EmailError> {
        let from: Mailbox = from.parse().map_err(|e| EmailError::Address {
            field: "mail_from",
            source: e,
        })?;
        let id_domain = from.email.domain().to_string();
        let mut env = Environment::new();
        // Printing an unknown name is an error (a template typo); testing an absent optional
        // field with `if` is not.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_trim_blocks(true);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(EmailError::Template)?;
        }
        let dkim = dkim.map(dkim_config).transpose()?;
        Ok(Composer {
            env,
            from,
            id_domain,
            dkim,
        })
    }

    /// The message for `input`, to each of `to`, DKIM-signed when a key is configured.
    pub fn compose(&self, input: &EmailInput<'_>, to: &[String]) -> Result<Message, EmailError> {
        self.build(input, to, false)
    }

    /// A test of the message `input` describes, for a case manager alone: TEST in the subject
    /// and across the top of both bodies, saying that no partner received it.
    pub fn compose_test(&self, input: &EmailInput<'_>, to: &str) -> Result<Message, EmailError> {
        self.build(input, &[to.to_string()], true)
    }

    fn build(
        &self,
        input: &EmailInput<'_>,
        to: &[String],
        test: bool,
    ) -> Result<Message, EmailError> {
        let (subject, text, html) = self.texts(input, test)?;
        let builder = self.addressed(subject.trim(), input.delivery_id, to)?;
        let alternative = MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html));
        let body = match (input.event, input.square_png) {
            (EventType::Withdrawn, _) | (_, None) => alternative,
            (_, Some(png)) => MultiPart::related().multipart(alternative).singlepart(
                Attachment::new_inline(IMAGE_CID.to_string()).body(png.to_vec(), png_type()),
            ),
        };
        let body = match input.pdf.filter(|_| input.event != EventType::Withdrawn) {
            Some(pdf) => MultiPart::mixed().multipart(body).singlepart(
                Attachment::new(pdf.filename.to_string()).body(pdf.bytes.to_vec(), pdf_type()),
            ),
            None => body,
        };
        let mut message = builder.multipart(body).map_err(EmailError::Build)?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }

    /// A message from the service to each of `to`, under `id` (the Message-ID, the same on
    /// every retry), marked as sent by a machine.
    fn addressed(
        &self,
        subject: &str,
        id: &str,
        to: &[String],
    ) -> Result<lettre::message::MessageBuilder, EmailError> {
        if to.is_empty() {
            return Err(EmailError::NoRecipient);
        }
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .message_id(Some(message_id(id, &self.id_domain)?))
            .header(AutoSubmitted);
        for addr in to {
            let mailbox = addr.parse::<Mailbox>().map_err(|e| EmailError::Address {
                field: "to",
                source: e,
            })?;
            builder = builder.to(mailbox);
        }
        Ok(builder)
    }

    fn texts(
        &self,
        input: &EmailInput<'_>,
        test: bool,
    ) -> Result<(String, String, String), EmailError> {
        let lang = input.lang.code();
        let kind = match input.event {
            EventType::Withdrawn => "withdrawn",
            EventType::Issued | EventType::Updated => "poster",
        };
        let (location, locations) = match input.audience {
            Audience::Partner { locations } => (None, locations),
            Audience::Location(l) => (Some(l), std::slice::from_ref(l)),
        };
        let ctx = context! {
            event => input.event.as_str(),
            case => input.case,
            version => input.version,
            partner_name => input.partner_name,
            location => location,
            // A store's own message does not repeat its address as a list.
            locations => if location.is_some() { &[][..] } else { locations },
            reason => input.reason,
            posters => input.posters,
            has_image => input.square_png.is_some(),
            image_cid => IMAGE_CID,
            organisation => input.organisation,
            delivery_id => input.delivery_id,
            test => test,
        };
        let render = |name: String| {
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&ctx))
                .map_err(EmailError::Template)
        };
        Ok((
            render(format!("subject.{lang}.txt"))?,
            render(format!("{kind}.{lang}.txt"))?,
            render(format!("{kind}.{lang}.html"))?,
        ))
    }
}

/// `<delivery-id@domain>`: the same on every retry, so receivers and their filters can spot
/// a duplicate.
fn message_id(delivery_id: &str, domain: &str) -> Result<String, EmailError> {
    let ok = !delivery_id.is_empty()
        && delivery_id.len() <= 128
        && delivery_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !ok {
        return Err(EmailError::DeliveryId);
    }
    Ok(format!("<{delivery_id}@{domain}>"))
}

fn dkim_config(s: &DkimSettings) -> Result<DkimConfig, EmailError> {
    let algorithm = if s.private_key.contains("-----BEGIN") {
        DkimSigningAlgorithm::Rsa
    } else {
        DkimSigningAlgorithm::Ed25519
    };
    let key = DkimSigningKey::new(s.private_key.trim(), algorithm)
        .map_err(|e| EmailError::DkimKey(e.to_string()))?;
    let headers = ["From", "To", "Subject", "Date", "Message-ID"]
        .into_iter()
        .map(HeaderName::new_from_ascii_str)
        .collect();
    let relaxed = DkimCanonicalization {
        header: DkimCanonicalizationType::Relaxed,
        body: DkimCanonicalizationType::Relaxed,
    };
    Ok(DkimConfig::new(
        s.selector.clone(),
        s.domain.clone(),
        key,
        headers,
        relaxed,
    ))
}

/// `Auto-Submitted: auto-generated` (RFC 3834), so out-of-office replies and other responders stay
/// quiet instead of answering a machine.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

fn png_type() -> ContentType {
    ContentType::parse("image/png").expect("valid media type")
}

fn pdf_type() -> ContentType {
    ContentType::parse("application/pdf").expect("valid media type")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_safe() {
        assert_eq!(message_id("d-1", "x.example").unwrap(), "<d-1@x.example>");
        assert!(message_id("a>b", "x.example").is_err());
        assert!(message_id("", "x.example").is_err());
    }

    #[test]
    fn a_bad_dkim_key_is_reported() {
        let s = DkimSettings {
            selector: "s1".into(),
            domain: "x.example".into(),
            private_key: "not-a-key".into(),
        };
        assert!(matches!(
            Composer::new("a@x.example", Some(&s)),
            Err(EmailError::DkimKey(_))
        ));
    }
}
