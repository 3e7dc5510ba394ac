//! Value checks for partners and locations, shared by every way they come in (files, API).
//! Each failure names the field, in the words of the partner format.

use std::net::IpAddr;

use base64::Engine;
use geo::MultiPolygon;
use ipnet::IpNet;

use super::model::{Delivery, Location, Partner};

/// One field at fault: `(field, reason)`.
pub type Problem = (String, String);

fn problem(field: &str, reason: impl Into<String>) -> Problem {
    (field.to_string(), reason.into())
}

pub const MAX_REF: usize = 64;
pub const MAX_NAME: usize = 200;
pub const MAX_REACH_M: f64 = 200_000.0;
pub const MAX_EMAILS: usize = 20;

pub fn check_text(field: &str, s: &str, max: usize) -> Result<(), Problem> {
    if s.trim().is_empty() {
        return Err(problem(field, "required"));
    }
    if s.chars().count() > max {
        return Err(problem(field, format!("at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(problem(field, "must not contain control characters"));
    }
    Ok(())
}

/// A plausible single address that the mail sender (lettre) will also take: what a mail server
/// would be asked to deliver to.
pub fn check_email(field: &str, s: &str) -> Result<(), Problem> {
    let bad = || problem(field, format!("{s:?} is not an email address"));
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    if s.parse::<lettre::Address>().is_err() {
        return Err(bad());
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(bad());
    }
    Ok(())
}

pub fn check_lat_lon(lat: f64, lon: f64) -> Result<(), Problem> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(problem("lat", "must be a number from -90 to 90"));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(problem("lon", "must be a number from -180 to 180"));
    }
    Ok(())
}

/// Positions in one coverage area, at most: a county outline is a few thousand.
pub const MAX_COVERAGE_POSITIONS: usize = 100_000;

/// A coverage area the index can hold: at least one polygon, every ring closed with at least 4
/// positions, every position a finite lon/lat, and each polygon valid as geo's validation says
/// (no ring crossing itself, holes inside their outline).
pub fn check_coverage(mp: &MultiPolygon<f64>) -> Result<(), Problem> {
    use geo::Validation;
    if mp.0.is_empty() {
        return Err(problem("geometry", "has no polygon"));
    }
    let mut positions = 0;
    for p in &mp.0 {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            if ring.0.len() < 4 {
                return Err(problem("geometry", "a ring needs at least 4 positions"));
            }
            positions += ring.0.len();
            for c in &ring.0 {
                check_lat_lon(c.y, c.x).map_err(|_| {
                    problem("geometry", format!("[{}, {}] is not a lon/lat", c.x, c.y))
                })?;
            }
            if !ring.is_closed() {
                return Err(problem(
                    "geometry",
                    "a ring must end where it starts (closed)",
                ));
            }
        }
        p.check_validation()
            .map_err(|e| problem("geometry", format!("not a valid polygon: {e}")))?;
    }
    if positions > MAX_COVERAGE_POSITIONS {
        return Err(problem(
            "geometry",
            format!("at most {MAX_COVERAGE_POSITIONS} positions"),
        ));
    }
    Ok(())
}

/// Everything a location's values must be (its partner id is checked by its type).
pub fn check_location(l: &Location) -> Result<(), Problem> {
    check_text("ref", &l.reference, MAX_REF)?;
    check_text("name", &l.name, MAX_NAME)?;
    // an import derives a coverage area's point from the area: a bad area is named before the point
    if let Some(c) = &l.coverage {
        check_coverage(c)?;
    }
    check_lat_lon(l.lat, l.lon)?;
    if let Some(r) = l.reach_m
        && (!r.is_finite() || !(0.0..=MAX_REACH_M).contains(&r))
    {
        return Err(problem(
            "reach_m",
            format!("must be from 0 to {MAX_REACH_M} metres"),
        ));
    }
    if let Some(e) = &l.email {
        check_email("email", e)?;
    }
    Ok(())
}

/// Everything a partner's values must be beyond their shape. `private_targets` is the
/// configuration's `allow_private_targets`: the only places a webhook may be sent over plain http.
pub fn check_partner(p: &Partner, private_targets: &[IpNet]) -> Result<(), Problem> {
    check_text("name", &p.name, MAX_NAME)?;
    match &p.delivery {
        Delivery::Email(list) => {
            if list.is_empty() || list.len() > MAX_EMAILS {
                return Err(problem(
                    "delivery.email",
                    format!("give 1 to {MAX_EMAILS} addresses"),
                ));
            }
            for (i, e) in list.iter().enumerate() {
                check_email(&format!("delivery.email[{i}]"), e)?;
            }
        }
        Delivery::Webhook(w) => {
            check_webhook_url("delivery.webhook.url", &w.url, private_targets)?;
            check_secret("delivery.webhook.secret", w.secret.expose())?;
            if let Some(prev) = &w.previous_secret {
                check_secret("delivery.webhook.previous_secret", prev.expose())?;
            }
        }
        Delivery::Pull(on) => {
            if !on {
                return Err(problem("delivery.pull", "must be true"));
            }
        }
    }
    if p.formats.is_empty() {
        return Err(problem("formats", "give at least one format"));
    }
    if p.languages.is_empty() {
        return Err(problem("languages", "give at least one language"));
    }
    if p.daily_cap == Some(0) {
        return Err(problem(
            "daily_cap",
            "must be 1 or more (set active to false to pause)",
        ));
    }
    Ok(())
}

/// An https address with a host and no credentials; plain http only to an address inside
/// `private_targets` (a test receiver, an internal relay the operator named), the rule the
/// sender keeps when it connects. A name is not resolved here, so plain http needs the address
/// itself (or `localhost`).
pub fn check_webhook_url(field: &str, s: &str, private_targets: &[IpNet]) -> Result<(), Problem> {
    let url = url::Url::parse(s).map_err(|e| problem(field, format!("not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(problem(field, "must not hold a user name or password"));
    }
    let host = url
        .host()
        .ok_or_else(|| problem(field, "must name a host"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let addrs: Vec<IpAddr> = match host {
                url::Host::Ipv4(v4) => vec![v4.into()],
                url::Host::Ipv6(v6) => vec![v6.to_ipv4_mapped().map_or(v6.into(), IpAddr::V4)],
                url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => {
                    vec![[127, 0, 0, 1].into(), std::net::Ipv6Addr::LOCALHOST.into()]
                }
                url::Host::Domain(_) => Vec::new(),
            };
            let covered = !addrs.is_empty()
                && addrs
                    .iter()
                    .all(|ip| private_targets.iter().any(|net| net.contains(ip)));
            if covered {
                Ok(())
            } else {
                Err(problem(
                    field,
                    "must be an https:// address (plain http:// only to an IP address inside allow_private_targets)",
                ))
            }
        }
        _ => Err(problem(field, "must be an https:// address")),
    }
}

/// `whsec_` and base64 of 24 to 64 random bytes (Standard Webhooks).
fn check_secret(field: &str, s: &str) -> Result<(), Problem> {
    let body = s
        .strip_prefix("whsec_")
        .ok_or_else(|| problem(field, "must start with whsec_"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| problem(field, "must be whsec_ followed by base64"))?;
    if !(24..=64).contains(&bytes.len()) {
        return Err(problem(field, "must hold 24 to 64 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("e", "store17@bluegrass.example").is_ok());
        for bad in [
            "",
            "a@b",
            "@b.example",
            "a b@c.example",
            "a@b.example.",
            "a@@b.example",
            "a\"b@c.example",
        ] {
            assert!(check_email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_only_inside_the_private_targets() {
        let allow: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        for ok in [
            "https://hooks.example/lookout",
            "https://10.0.0.5/hook",
            "http://127.0.0.1:9000/hook",
            "http://[::1]:9000/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://localhost:8080/hook",
        ] {
            assert!(check_webhook_url("u", ok, &allow).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example/lookout",
            "http://10.0.0.5/hook",
            "http://8.8.8.8/",
            "ftp://hooks.example/",
            "https://user:pw@hooks.example/",
            "not a url",
        ] {
            assert!(check_webhook_url("u", bad, &allow).is_err(), "{bad}");
        }
        assert!(check_webhook_url("u", "http://127.0.0.1/", &[]).is_err());
        assert!(check_webhook_url("u", "http://localhost/", &allow[..1]).is_err());
    }

    #[test]
    fn spec_secret_is_accepted_and_short_ones_are_not() {
        assert!(check_secret("s", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(check_secret("s", "whsec_abcd").is_err());
        assert!(check_secret("s", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
    }

    fn polygon(coords: &[(f64, f64)]) -> MultiPolygon<f64> {
        let ring = geo::LineString::from(coords.to_vec());
        MultiPolygon(vec![geo::Polygon::new(ring, vec![])])
    }

    #[test]
    fn hostile_coverage_is_refused_with_the_reason() {
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)];
        assert!(check_coverage(&polygon(&square)).is_ok());
        let cases: Vec<(MultiPolygon<f64>, &str)> = vec![
            (MultiPolygon(vec![]), "no polygon"),
            (polygon(&[]), "at least 4"),
            (
                polygon(&[(0.0, 0.0), (1e19, 0.0), (1.0, 1.0), (0.0, 0.0)]),
                "not a lon/lat",
            ),
            (
                polygon(&[(0.0, 0.0), (f64::NAN, 0.0), (1.0, 1.0), (0.0, 0.0)]),
                "not a lon/lat",
            ),
            // a bow tie: the ring crosses itself
            (
                polygon(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]),
                "self-intersection",
            ),
        ];
        for (mp, why) in cases {
            let err = check_coverage(&mp).unwrap_err();
            assert_eq!(err.0, "geometry");
            assert!(err.1.contains(why), "{why}: {err:?}");
        }
        // as stored or sent, a ring is whatever it says: the constructors would close it
        let open: MultiPolygon<f64> = serde_json::from_value(serde_json::json!([{
            "exterior": [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 0.0}, {"x": 1.0, "y": 1.0},
                         {"x": 0.0, "y": 1.0}],
            "interiors": []
        }]))
        .unwrap();
        assert!(check_coverage(&open).unwrap_err().1.contains("closed"));
    }
}
