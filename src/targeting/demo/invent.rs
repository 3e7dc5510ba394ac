//! Invented partners: names, ids and the settings a partner of each kind would choose.

use base64::Engine;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::cases::{CaseType, Lang};
use crate::config::Secret;
use crate::partners::{Delivery, Partner, PartnerId, PartnerKind, Webhook};
use crate::posters::Format;

pub const NATIONAL: [&str; 10] = [
    "Northwind Market",
    "Bluebird Pharmacy",
    "Cedar Hardware",
    "Lakeside Grocers",
    "Summit Outfitters",
    "Harbor Home Goods",
    "Prairie Fuel & Food",
    "Maple Dollar",
    "Redwood Books",
    "Juniper Drugstores",
];
pub const REGIONAL_FIRST: [&str; 12] = [
    "Hometown",
    "Riverbend",
    "Oak Hollow",
    "Sunrise",
    "Valley",
    "Pinecrest",
    "Golden Field",
    "Stonebridge",
    "Willow",
    "Frontier",
    "Bayview",
    "Heritage",
];
pub const REGIONAL_SECOND: [&str; 8] = [
    "Grocers",
    "Pharmacy",
    "Market",
    "Foods",
    "Variety",
    "Supply",
    "Thrift",
    "Corner Stores",
];
pub const BILLBOARD: [&str; 16] = [
    "Skyline Outdoor",
    "Roadview Media",
    "Brightway Signs",
    "Interstate Boards",
    "Horizon Displays",
    "Milepost Advertising",
    "Crossroads Digital",
    "Highline Signs",
    "Overpass Media",
    "Open Road Outdoor",
    "Beacon Boards",
    "Exit Ramp Media",
    "Lantern Digital",
    "Corridor Signs",
    "Blue Sky Outdoor",
    "Granite Displays",
];
pub const TRUCK_STOPS: [&str; 12] = [
    "Bluegrass Truck Stops",
    "Big Rig Plaza",
    "Long Haul Travel Centers",
    "Diesel Junction",
    "Wayfarer Stops",
    "Crosscountry Fuel",
    "Eighteen Wheels",
    "Rest Easy Travel",
    "Mile Marker Stops",
    "Truckers Haven",
    "Open Range Fuel",
    "Night Owl Travel Plaza",
];
pub const MEDIA: [&str; 4] = ["Courier", "Gazette", "News 6", "Channel 9"];

/// Invented names may meet: the later partner gets a number.
pub fn unique_ids(partners: &mut [Partner]) {
    let mut seen = std::collections::HashSet::new();
    for p in partners.iter_mut() {
        let base = p.id.clone();
        let mut n = 1;
        while !seen.insert(p.id.clone()) {
            n += 1;
            p.id = PartnerId::parse(&format!("{base}-{n}")).expect("an id with a number is valid");
        }
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_ascii_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(char::is_ascii_alphanumeric))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// An invented partner; `area` (a state code) makes regional ids unique.
pub fn partner(name: &str, area: &str, kind: PartnerKind, rng: &mut ChaCha8Rng) -> Partner {
    let id = if area.is_empty() {
        slug(name)
    } else {
        slug(&format!("{name} {area}"))
    };
    let id = PartnerId::parse(&id).expect("a slug of an invented name is a valid id");
    let delivery = match rng.random_range(0..20) {
        0..=11 => Delivery::Email(vec![format!("posters@{id}.example")]),
        12..=16 => {
            let key: [u8; 24] = rng.random();
            Delivery::Webhook(Webhook {
                url: format!("https://hooks.{id}.example/lookout"),
                secret: Secret::new(format!(
                    "whsec_{}",
                    base64::engine::general_purpose::STANDARD.encode(key)
                )),
                previous_secret: None,
                previous_secret_expires: None,
            })
        }
        _ => Delivery::Pull(true),
    };
    let (formats, per_location, cap) = match kind {
        PartnerKind::Retail => (vec![Format::Letter, Format::Square], false, Some(200)),
        PartnerKind::Billboard => (billboard_faces(rng), false, Some(50)),
        PartnerKind::Transport => (vec![Format::Letter], true, Some(300)),
        PartnerKind::Media => (vec![Format::Landscape, Format::Square], false, None),
        PartnerKind::Public | PartnerKind::Other => (vec![Format::Letter, Format::A4], false, None),
    };
    let mut languages = vec![Lang::En];
    if rng.random_bool(0.4) {
        languages.push(Lang::Es);
    }
    // some partners take abductions only
    let case_types = if rng.random_bool(0.15) {
        vec![CaseType::FamilyAbduction, CaseType::NonfamilyAbduction]
    } else {
        CaseType::ALL.to_vec()
    };
    Partner {
        id,
        name: name.to_string(),
        kind,
        delivery,
        per_location,
        formats,
        languages,
        case_types,
        daily_cap: cap.filter(|_| rng.random_bool(0.5)),
        active: true,
        cadence: crate::partners::Cadence::Immediate,
    }
}

/// A digital billboard operator's faces: the bulletin (1400×400) and, as operators publish them,
/// some of the poster (840×400), wide (1600×400) and square (600×600) faces.
fn billboard_faces(rng: &mut ChaCha8Rng) -> Vec<Format> {
    let mut faces = vec![Format::Billboard];
    for face in [
        Format::BillboardPoster,
        Format::BillboardWide,
        Format::BillboardSquare,
    ] {
        if rng.random_bool(0.5) {
            faces.push(face);
        }
    }
    faces
}
