//! A delivery as a CAP 1.2 alert for partners that take alert feeds: Alert when issued, Update for
//! a newer version, Cancel when withdrawn, each referencing the messages it follows. Pure.

use chrono::{DateTime, Utc};

use super::message::{About, languages, poster_files, summary};
use crate::dispatch::cap::{
    CapArea, CapCircle, CapInfo, CapMessage, CapReference, LatLon, MsgType,
};
use crate::dispatch::links::LinkSigner;
use crate::store::outbox::Kind;
use crate::targeting::{Region, Shape};

/// One earlier message to the same recipient about the same case.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub identifier: String,
    pub sent: DateTime<Utc>,
}

fn area(region: &Region) -> CapArea {
    let mut out = CapArea {
        description: "Search region".into(),
        polygons: Vec::new(),
        circles: Vec::new(),
    };
    for piece in &region.pieces {
        match &piece.shape {
            Shape::Circle { center, radius_m } => out.circles.push(CapCircle {
                center: LatLon {
                    lat: center.lat,
                    lon: center.lon,
                },
                radius_km: radius_m / 1000.0,
            }),
            shape => {
                for outline in shape.outlines() {
                    if let Some(ring) = outline.first() {
                        out.polygons.push(
                            ring.iter()
                                .map(|[lon, lat]| LatLon {
                                    lat: *lat,
                                    lon: ((lon + 180.0).rem_euclid(360.0)) - 180.0,
                                })
                                .collect(),
                        );
                    }
                }
            }
        }
    }
    out
}

/// The CAP message for a delivery. `region` is the case's region when the delivery was queued.
pub fn cap_alert(
    a: &About<'_>,
    region: &Region,
    earlier: &[Earlier],
    sender: &str,
    links: &LinkSigner,
    sent: DateTime<Utc>,
) -> CapMessage {
    // Update and Cancel must reference what they follow; with nothing earlier it is an Alert.
    let msg_type = match (a.kind, earlier.is_empty()) {
        (_, true) => MsgType::Alert,
        (Kind::Withdrawn, false) => MsgType::Cancel,
        _ => MsgType::Update,
    };
    let case = summary(a);
    let files = poster_files(a, links);
    let infos = languages(a.partner, a.case)
        .into_iter()
        .map(|lang| {
            let web = files.iter().find(|f| f.lang == lang).map(|f| f.url.clone());
            let (headline, description, instruction) = if a.kind == Kind::Withdrawn {
                (
                    format!("Poster withdrawn: case {}", case.case_number),
                    "This poster is no longer needed.".to_string(),
                    Some("Please remove this poster.".to_string()),
                )
            } else {
                let who: Vec<&str> = case.children.iter().map(|c| c.name.as_str()).collect();
                (
                    format!("MISSING: {} (case {})", who.join(", "), case.case_number),
                    case.circumstances.clone().unwrap_or_else(|| {
                        format!(
                            "Missing from {}",
                            case.missing_from.clone().unwrap_or_default()
                        )
                    }),
                    Some("If you have seen this child, call the number on the poster.".into()),
                )
            };
            CapInfo {
                lang,
                event: if a.case.amber_alert {
                    "Child Abduction Emergency".into()
                } else {
                    "Missing Child".into()
                },
                amber: a.case.amber_alert,
                headline,
                description,
                instruction,
                contact: case
                    .contact
                    .as_ref()
                    .map(|c| format!("{} {} / {}", c.agency, c.phone, c.hotline)),
                web,
                expires: None,
                // a withdrawal says nothing of where the child was last seen
                areas: if a.kind == Kind::Withdrawn {
                    Vec::new()
                } else {
                    vec![area(region)]
                },
            }
        })
        .collect();
    CapMessage {
        identifier: a.delivery_id.to_string(),
        sender: sender.to_string(),
        sent,
        msg_type,
        references: earlier
            .iter()
            .map(|e| CapReference {
                sender: sender.to_string(),
                identifier: e.identifier.clone(),
                sent: e.sent.fixed_offset(),
            })
            .collect(),
        infos,
    }
}
