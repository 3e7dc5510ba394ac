//! Signed, expiring poster links: `{public_url}/p/{case}/{version}/{format}?lang=..&exp=..&sig=..`.
//!
//! Partners receive links rather than open URLs, so a forwarded webhook does not leave a child's
//! poster downloadable for ever, and nobody can walk case numbers to collect posters. The signature
//! is an HMAC-SHA256 under a server key over every part of the link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use sha2::Sha256;
use url::Url;

use crate::cases::Lang;
use crate::posters::Format;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("public_url: {0}")]
    PublicUrl(String),
    #[error("link key: must hold at least 32 bytes")]
    WeakKey,
    #[error("{0}: malformed")]
    Malformed(&'static str),
    #[error("link: expired")]
    Expired,
    #[error("sig: does not match")]
    BadSignature,
}

/// One poster file a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterLink {
    pub case_number: String,
    pub version: u32,
    pub format: Format,
    pub lang: Lang,
    pub expires: DateTime<Utc>,
    /// The delivery the link was sent in: its poster is the partner's own, whose QR code counts
    /// the visits and tips it brings for them.
    pub delivery: Option<String>,
}

/// The query part of a link, as the poster route receives it.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    #[param(value_type = crate::cases::Lang)]
    pub lang: String,
    pub exp: i64,
    pub sig: String,
    /// [`PosterLink::delivery`].
    #[serde(default)]
    pub to: Option<String>,
}

/// Signs and verifies poster links. Holds the key; Debug does not print it.
#[derive(Clone)]
pub struct LinkSigner {
    base: Url,
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSigner")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl LinkSigner {
    /// `public_url` is the configured base (`https://lookout.example.org`, a path prefix allowed);
    /// `key` a server secret of at least 32 bytes.
    pub fn new(public_url: &str, key: &[u8]) -> Result<LinkSigner, LinkError> {
        let mut base = Url::parse(public_url).map_err(|e| LinkError::PublicUrl(e.to_string()))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(LinkError::PublicUrl("must be an http(s) URL".into()));
        }
        if key.len() < 32 {
            return Err(LinkError::WeakKey);
        }
        base.set_query(None);
        base.set_fragment(None);
        Ok(LinkSigner {
            base,
            key: key.to_vec(),
        })
    }

    /// The public base URL links start with.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    /// The full URL of a poster file, valid until `link.expires`.
    pub fn sign(&self, link: &PosterLink) -> String {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked in new")
            .pop_if_empty()
            .extend([
                "p",
                &link.case_number,
                &link.version.to_string(),
                link.format.as_str(),
            ]);
        let exp = link.expires.timestamp();
        let sig = B64URL.encode(self.tag(link, exp));
        let mut query = url.query_pairs_mut();
        query.append_pair("lang", link.lang.code());
        if let Some(d) = &link.delivery {
            query.append_pair("to", d);
        }
        query
            .append_pair("exp", &exp.to_string())
            .append_pair("sig", &sig);
        drop(query);
        url.into()
    }

    /// Checks the parts of a requested link (path parameters and query) at `now`.
    pub fn verify(
        &self,
        case_number: &str,
        version: u32,
        format: Format,
        query: &LinkQuery,
        now: DateTime<Utc>,
    ) -> Result<PosterLink, LinkError> {
        let lang = Lang::parse(&query.lang).ok_or(LinkError::Malformed("lang"))?;
        let expires = DateTime::from_timestamp(query.exp, 0).ok_or(LinkError::Malformed("exp"))?;
        let sig = B64URL
            .decode(&query.sig)
            .map_err(|_| LinkError::Malformed("sig"))?;
        let link = PosterLink {
            case_number: case_number.to_string(),
            version,
            format,
            lang,
            expires,
            delivery: query.to.clone(),
        };
        // Signature before expiry: only a genuine link learns that it has expired.
        self.mac(&link, query.exp)
            .verify_slice(&sig)
            .map_err(|_| LinkError::BadSignature)?;
        if now >= expires {
            return Err(LinkError::Expired);
        }
        Ok(link)
    }

    /// Verifies a whole URL as produced by [`LinkSigner::sign`] (handy for tests and tools).
    pub fn verify_url(&self, url: &str, now: DateTime<Utc>) -> Result<PosterLink, LinkError> {
        let url = Url::parse(url).map_err(|_| LinkError::Malformed("url"))?;
        let segments: Vec<String> = url
            .path_segments()
            .ok_or(LinkError::Malformed("url"))?
            .map(|s| {
                percent_decode_str(s)
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| LinkError::Malformed("url"))
            })
            .collect::<Result<_, _>>()?;
        let [.., p, case, version, format] = segments.as_slice() else {
            return Err(LinkError::Malformed("url"));
        };
        if p != "p" {
            return Err(LinkError::Malformed("url"));
        }
        let version = version
            .parse()
            .map_err(|_| LinkError::Malformed("version"))?;
        let format = Format::parse(format).ok_or(LinkError::Malformed("format"))?;
        let get = |k: &str| {
            url.query_pairs()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.into_owned())
        };
        let query = LinkQuery {
            lang: get("lang").ok_or(LinkError::Malformed("lang"))?,
            exp: get("exp")
                .and_then(|e| e.parse().ok())
                .ok_or(LinkError::Malformed("exp"))?,
            sig: get("sig").ok_or(LinkError::Malformed("sig"))?,
            to: get("to"),
        };
        self.verify(case, version, format, &query, now)
    }

    fn mac(&self, link: &PosterLink, exp: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        // Length-prefixed fields: no two different links share a signed string.
        for field in [
            "lookout-poster-link-v1",
            &link.case_number,
            &link.version.to_string(),
            link.format.as_str(),
            link.lang.code(),
            &exp.to_string(),
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        // after the fixed fields, so a link without one signs as it always did
        if let Some(d) = &link.delivery {
            for field in ["delivery", d.as_str()] {
                mac.update(&(field.len() as u64).to_be_bytes());
                mac.update(field.as_bytes());
            }
        }
        mac
    }

    fn tag(&self, link: &PosterLink, exp: i64) -> Vec<u8> {
        self.mac(link, exp).finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn link() -> PosterLink {
        PosterLink {
            case_number: "NCMEC-2026-0001".into(),
            version: 3,
            format: Format::Letter,
            lang: Lang::Es,
            expires: now() + chrono::Duration::days(7),
            delivery: None,
        }
    }

    #[test]
    fn a_delivery_is_signed_with_its_link() {
        let signer = LinkSigner::new("https://lookout.example.org", KEY).unwrap();
        let mine = PosterLink {
            delivery: Some("d-1".into()),
            ..link()
        };
        let url = signer.sign(&mine);
        assert_eq!(signer.verify_url(&url, now()), Ok(mine));
        let other = url.replace("to=d-1", "to=d-2");
        assert_eq!(
            signer.verify_url(&other, now()),
            Err(LinkError::BadSignature)
        );
        let dropped = url.replace("to=d-1&", "");
        assert_eq!(
            signer.verify_url(&dropped, now()),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let s = LinkSigner::new("https://lookout.example.org/base/", KEY).unwrap();
        let url = s.sign(&link());
        assert!(
            url.starts_with(
                "https://lookout.example.org/base/p/NCMEC-2026-0001/3/letter?lang=es&exp="
            ),
            "{url}"
        );
        assert_eq!(s.verify_url(&url, now()).unwrap(), link());
        assert_eq!(s.verify_url(&url, link().expires), Err(LinkError::Expired));
    }

    #[test]
    fn every_part_is_covered_by_the_signature() {
        let s = LinkSigner::new("https://lookout.example.org", KEY).unwrap();
        let url = s.sign(&link());
        for (from, to) in [
            ("/3/", "/4/"),
            ("/letter", "/a4"),
            ("lang=es", "lang=en"),
            ("0001", "0002"),
        ] {
            let forged = url.replacen(from, to, 1);
            assert_eq!(
                s.verify_url(&forged, now()),
                Err(LinkError::BadSignature),
                "{forged}"
            );
        }
        let exp = link().expires.timestamp();
        let later = url.replace(&exp.to_string(), &(exp + 86400).to_string());
        assert_eq!(s.verify_url(&later, now()), Err(LinkError::BadSignature));
        let other = LinkSigner::new("https://lookout.example.org", &[7u8; 32]).unwrap();
        assert_eq!(other.verify_url(&url, now()), Err(LinkError::BadSignature));
    }

    #[test]
    fn odd_case_numbers_are_escaped_and_round_trip() {
        let s = LinkSigner::new("https://lookout.example.org", KEY).unwrap();
        let mut l = link();
        l.case_number = "A/B ?#&%+é".into();
        let url = s.sign(&l);
        assert!(!url.contains(' ') && !url.contains("B ?"));
        assert_eq!(s.verify_url(&url, now()).unwrap(), l);
    }

    #[test]
    fn rejects_bad_settings_and_queries() {
        assert_eq!(
            LinkSigner::new("https://x.example", b"short").unwrap_err(),
            LinkError::WeakKey
        );
        assert!(matches!(
            LinkSigner::new("mailto:a@b", KEY),
            Err(LinkError::PublicUrl(_))
        ));
        let s = LinkSigner::new("https://x.example", KEY).unwrap();
        let q = LinkQuery {
            lang: "xx".into(),
            exp: 0,
            sig: "AAAA".into(),
            to: None,
        };
        assert_eq!(
            s.verify("C", 1, Format::A4, &q, now()),
            Err(LinkError::Malformed("lang"))
        );
    }
}
