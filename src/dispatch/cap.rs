//! CAP 1.2 alerts (OASIS Common Alerting Protocol) for partners that take alert feeds: an Alert
//! when a poster is issued, an Update for a new version, a Cancel when it is withdrawn, each
//! referencing the messages it follows. Pure: values in, XML text out.
//!
//! The input is this module's own small struct (areas as lat/lon circles and polygons), so it does
//! not depend on how the region was computed.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

use crate::cases::Lang;

pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CapError {
    #[error("{field}: must be non-empty without spaces, commas, '<' or '&'")]
    BadId { field: &'static str },
    #[error("references: an {0} must reference the messages it follows")]
    MissingReferences(&'static str),
    #[error("{field}: {reason}")]
    BadArea { field: String, reason: &'static str },
    #[error("info: at least one is needed")]
    NoInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgType {
    Alert,
    Update,
    Cancel,
}

impl MsgType {
    fn as_str(self) -> &'static str {
        match self {
            MsgType::Alert => "Alert",
            MsgType::Update => "Update",
            MsgType::Cancel => "Cancel",
        }
    }
}

/// An earlier message: `sender,identifier,sent` in the `references` element.
#[derive(Debug, Clone, PartialEq)]
pub struct CapReference {
    pub sender: String,
    pub identifier: String,
    pub sent: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CapCircle {
    pub center: LatLon,
    pub radius_km: f64,
}

/// One area: its description, and its shapes (any mix of polygons and circles).
#[derive(Debug, Clone, PartialEq)]
pub struct CapArea {
    pub description: String,
    /// Rings of at least three points; closed on output if they are not already.
    pub polygons: Vec<Vec<LatLon>>,
    pub circles: Vec<CapCircle>,
}

/// The text of the alert in one language: only what the poster itself shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CapInfo {
    pub lang: Lang,
    /// "Child Abduction Emergency" for an AMBER Alert, else "Missing Child".
    pub event: String,
    pub amber: bool,
    pub headline: String,
    pub description: String,
    pub instruction: Option<String>,
    pub contact: Option<String>,
    /// A signed poster link.
    pub web: Option<String>,
    pub expires: Option<DateTime<Utc>>,
    pub areas: Vec<CapArea>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CapMessage {
    /// Unique per message (the delivery id, for instance).
    pub identifier: String,
    /// The sending organisation, e.g. `lookout.example.org`.
    pub sender: String,
    pub sent: DateTime<Utc>,
    pub msg_type: MsgType,
    pub references: Vec<CapReference>,
    pub infos: Vec<CapInfo>,
}

/// The alert as CAP 1.2 XML.
pub fn to_xml(msg: &CapMessage) -> Result<String, CapError> {
    check(msg)?;
    let mut x = String::with_capacity(2048);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<alert xmlns=\"{CAP_NAMESPACE}\">");
    element(&mut x, 1, "identifier", &msg.identifier);
    element(&mut x, 1, "sender", &msg.sender);
    element(&mut x, 1, "sent", &cap_time(msg.sent.fixed_offset()));
    element(&mut x, 1, "status", "Actual");
    element(&mut x, 1, "msgType", msg.msg_type.as_str());
    element(&mut x, 1, "scope", "Public");
    if !msg.references.is_empty() {
        let refs: Vec<String> = msg
            .references
            .iter()
            .map(|r| format!("{},{},{}", r.sender, r.identifier, cap_time(r.sent)))
            .collect();
        element(&mut x, 1, "references", &refs.join(" "));
    }
    for info in &msg.infos {
        write_info(&mut x, msg.msg_type, info);
    }
    x.push_str("</alert>\n");
    Ok(x)
}

fn write_info(x: &mut String, msg_type: MsgType, info: &CapInfo) {
    // A Cancel tells receivers the event is over; an Alert or Update asks them to look out.
    let (urgency, severity, certainty, response) = match msg_type {
        MsgType::Cancel => ("Past", "Minor", "Observed", "AllClear"),
        _ => ("Immediate", "Severe", "Likely", "Monitor"),
    };
    x.push_str("  <info>\n");
    element(x, 2, "language", cap_language(info.lang));
    element(x, 2, "category", "Rescue");
    element(x, 2, "category", "Safety");
    element(x, 2, "event", &info.event);
    element(x, 2, "responseType", response);
    element(x, 2, "urgency", urgency);
    element(x, 2, "severity", severity);
    element(x, 2, "certainty", certainty);
    if info.amber {
        x.push_str("    <eventCode>\n");
        element(x, 3, "valueName", "SAME");
        element(x, 3, "value", "CAE");
        x.push_str("    </eventCode>\n");
    }
    if let Some(expires) = info.expires {
        element(x, 2, "expires", &cap_time(expires.fixed_offset()));
    }
    element(x, 2, "senderName", "lookout");
    element(x, 2, "headline", &info.headline);
    element(x, 2, "description", &info.description);
    if let Some(s) = &info.instruction {
        element(x, 2, "instruction", s);
    }
    if let Some(s) = &info.web {
        element(x, 2, "web", s);
    }
    if let Some(s) = &info.contact {
        element(x, 2, "contact", s);
    }
    for area in &info.areas {
        x.push_str("    <area>\n");
        element(x, 3, "areaDesc", &area.description);
        for ring in &area.polygons {
            element(x, 3, "polygon", &polygon_text(ring));
        }
        for c in &area.circles {
            let text = format!("{} {}", point(c.center), number(c.radius_km, 3));
            element(x, 3, "circle", &text);
        }
        x.push_str("    </area>\n");
    }
    x.push_str("  </info>\n");
}

fn check(msg: &CapMessage) -> Result<(), CapError> {
    check_id("identifier", &msg.identifier)?;
    check_id("sender", &msg.sender)?;
    for r in &msg.references {
        check_id("references.sender", &r.sender)?;
        check_id("references.identifier", &r.identifier)?;
    }
    match msg.msg_type {
        MsgType::Update if msg.references.is_empty() => {
            return Err(CapError::MissingReferences("Update"));
        }
        MsgType::Cancel if msg.references.is_empty() => {
            return Err(CapError::MissingReferences("Cancel"));
        }
        _ => {}
    }
    if msg.infos.is_empty() {
        return Err(CapError::NoInfo);
    }
    for (i, info) in msg.infos.iter().enumerate() {
        for (j, area) in info.areas.iter().enumerate() {
            check_area(&format!("infos[{i}].areas[{j}]"), area)?;
        }
    }
    Ok(())
}

fn check_id(field: &'static str, s: &str) -> Result<(), CapError> {
    let bad = s.is_empty() || s.chars().any(|c| c.is_whitespace() || ",<&".contains(c));
    if bad {
        Err(CapError::BadId { field })
    } else {
        Ok(())
    }
}

fn check_area(path: &str, area: &CapArea) -> Result<(), CapError> {
    let err = |field: String, reason| Err(CapError::BadArea { field, reason });
    if area.description.trim().is_empty() {
        return err(format!("{path}.description"), "must not be empty");
    }
    for (k, ring) in area.polygons.iter().enumerate() {
        let field = format!("{path}.polygons[{k}]");
        let open = open_ring(ring);
        if open.len() < 3 {
            return err(field, "needs at least three distinct points");
        }
        if !open.iter().all(|p| valid(*p)) {
            return err(field, "latitude or longitude out of range");
        }
    }
    for (k, c) in area.circles.iter().enumerate() {
        let field = format!("{path}.circles[{k}]");
        if !valid(c.center) {
            return err(field, "latitude or longitude out of range");
        }
        if !(c.radius_km.is_finite() && c.radius_km > 0.0) {
            return err(field, "radius must be a positive number of km");
        }
    }
    Ok(())
}

fn valid(p: LatLon) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

/// The ring without its closing point, if it had one.
fn open_ring(ring: &[LatLon]) -> &[LatLon] {
    match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    }
}

/// `lat,lon lat,lon …`, first point repeated at the end as CAP requires.
fn polygon_text(ring: &[LatLon]) -> String {
    let open = open_ring(ring);
    open.iter()
        .chain(open.first())
        .map(|p| point(*p))
        .collect::<Vec<_>>()
        .join(" ")
}

fn point(p: LatLon) -> String {
    format!("{},{}", number(p.lat, 6), number(p.lon, 6))
}

/// Fixed decimals without trailing zeros: `38.8048`, `50`.
fn number(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// CAP times: seconds, numeric offset, and UTC written `-00:00` (CAP 1.2 forbids `Z`).
fn cap_time(t: DateTime<FixedOffset>) -> String {
    let s = t.to_rfc3339_opts(SecondsFormat::Secs, false);
    match s.strip_suffix("+00:00") {
        Some(head) => format!("{head}-00:00"),
        None => s,
    }
}

fn cap_language(lang: Lang) -> &'static str {
    lang.bcp47()
}

fn element(x: &mut String, depth: usize, name: &str, text: &str) {
    for _ in 0..depth {
        x.push_str("  ");
    }
    let _ = writeln!(x, "<{name}>{}</{name}>", escape(text));
}

/// XML text: the five special characters escaped, and characters XML 1.0 cannot carry at all
/// (control characters other than tab and newlines) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
