//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
//! keyed with the bytes of a `whsec_<base64>` secret. Several signatures, space-separated, while a
//! partner rotates its secret, so either of its keys verifies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const SECRET_PREFIX: &str = "whsec_";

/// How far a receiver lets a timestamp drift before refusing the message (replay window).
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    #[error("secret: must be whsec_ followed by base64")]
    SecretFormat,
    #[error("secret: must hold at least 16 bytes")]
    SecretTooShort,
    #[error("webhook-timestamp: not a whole number of seconds")]
    TimestampFormat,
    #[error("webhook-timestamp: outside the allowed window")]
    TimestampOutOfWindow,
    #[error("webhook-signature: no valid v1 signature")]
    NoMatch,
}

/// A partner's webhook key. Debug never shows the bytes.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

impl WebhookSecret {
    /// `whsec_<base64>` as partners are given it. A bare base64 string is accepted too, as the
    /// Standard Webhooks libraries do.
    pub fn parse(s: &str) -> Result<WebhookSecret, SignError> {
        let b64 = s.trim().strip_prefix(SECRET_PREFIX).unwrap_or(s.trim());
        let bytes = B64.decode(b64).map_err(|_| SignError::SecretFormat)?;
        if bytes.len() < 16 {
            return Err(SignError::SecretTooShort);
        }
        Ok(WebhookSecret(bytes))
    }

    /// A fresh 32-byte secret in `whsec_` form, for registering a partner.
    pub fn generate<R: RngCore + ?Sized>(rng: &mut R) -> String {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        format!("{SECRET_PREFIX}{}", B64.encode(bytes))
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// One signature, `v1,<base64>`.
pub fn sign(secret: &WebhookSecret, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = secret.mac(msg_id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", B64.encode(tag))
}

/// The `webhook-signature` header value: one signature per secret, current first.
pub fn signature_header(
    secrets: &[WebhookSecret],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a received message as a partner would: the timestamp lies within `tolerance_secs` of
/// `now` and at least one `v1` signature in the header matches (compared in constant time).
pub fn verify(
    secret: &WebhookSecret,
    msg_id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignError::TimestampFormat)?;
    if (now - ts).abs() > tolerance_secs {
        return Err(SignError::TimestampOutOfWindow);
    }
    let matched = signature_header
        .split(' ')
        .filter_map(|sig| sig.strip_prefix("v1,"))
        .filter_map(|b64| B64.decode(b64).ok())
        .any(|tag| secret.mac(msg_id, ts, body).verify_slice(&tag).is_ok());
    if matched {
        Ok(())
    } else {
        Err(SignError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    // The published example of the Standard Webhooks specification.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: i64 = 1614265330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn matches_the_specification_example() {
        let s = WebhookSecret::parse(SPEC_SECRET).unwrap();
        assert_eq!(sign(&s, SPEC_ID, SPEC_TS, SPEC_BODY.as_bytes()), SPEC_SIG);
        verify(
            &s,
            SPEC_ID,
            "1614265330",
            SPEC_SIG,
            SPEC_BODY.as_bytes(),
            SPEC_TS + 10,
            300,
        )
        .unwrap();
    }

    #[test]
    fn rejects_tampering_and_stale_messages() {
        let s = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let body = SPEC_BODY.as_bytes();
        let v = |id: &str, ts: &str, sig: &str, body: &[u8], now: i64| {
            verify(&s, id, ts, sig, body, now, DEFAULT_TOLERANCE_SECS)
        };
        assert_eq!(
            v(SPEC_ID, "1614265330", SPEC_SIG, b"{}", SPEC_TS),
            Err(SignError::NoMatch)
        );
        assert_eq!(
            v("msg_other", "1614265330", SPEC_SIG, body, SPEC_TS),
            Err(SignError::NoMatch)
        );
        assert_eq!(
            v(SPEC_ID, "1614265331", SPEC_SIG, body, SPEC_TS),
            Err(SignError::NoMatch)
        );
        assert_eq!(
            v(SPEC_ID, "1614265330", SPEC_SIG, body, SPEC_TS + 301),
            Err(SignError::TimestampOutOfWindow)
        );
        assert_eq!(
            v(SPEC_ID, "yesterday", SPEC_SIG, body, SPEC_TS),
            Err(SignError::TimestampFormat)
        );
        assert_eq!(
            v(SPEC_ID, "1614265330", "v2,abc", body, SPEC_TS),
            Err(SignError::NoMatch)
        );
    }

    #[test]
    fn rotation_sends_both_signatures_and_either_key_verifies() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let new = WebhookSecret::parse(&WebhookSecret::generate(&mut rng)).unwrap();
        let old = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let stranger = WebhookSecret::parse(&WebhookSecret::generate(&mut rng)).unwrap();
        let header = signature_header(&[new.clone(), old.clone()], "msg_1", 1000, b"body");
        assert_eq!(header.split(' ').count(), 2);
        for key in [&new, &old] {
            verify(key, "msg_1", "1000", &header, b"body", 1000, 300).unwrap();
        }
        assert_eq!(
            verify(&stranger, "msg_1", "1000", &header, b"body", 1000, 300),
            Err(SignError::NoMatch)
        );
    }

    #[test]
    fn secrets_are_checked_and_never_printed() {
        assert_eq!(
            WebhookSecret::parse("whsec_!!!").unwrap_err(),
            SignError::SecretFormat
        );
        assert_eq!(
            WebhookSecret::parse("whsec_c2hvcnQ=").unwrap_err(),
            SignError::SecretTooShort
        );
        let s = WebhookSecret::parse(SPEC_SECRET).unwrap();
        assert!(!format!("{s:?}").contains("MfKQ"));
    }
}
