//! The targeting preview as an SVG map: state outlines, the region's pieces and the selected
//! locations, framed on the region. A pure function: values in, a string out.

use std::fmt::Write;

use super::geodata::CREDIT;
use super::region::{PieceKind, Region, States};
use super::select::Selection;
use super::shape::Outline;
use crate::partners::PartnerKind;

const WIDTH: f64 = 960.0;
const MAP_TOP: f64 = 48.0;
const LEGEND: f64 = 120.0;
const MIN_HEIGHT: f64 = 320.0;
const MAX_HEIGHT: f64 = 1100.0;

/// What to write above the map (a case number, never a child's name).
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    pub title: String,
    /// The least the map spans, in degrees of latitude (and of longitude, shrunk by its cosine):
    /// a case's region is shown close up; a partner's few stores with the states around them.
    pub min_span_deg: f64,
}

impl MapOptions {
    /// A case's map: framed on its region, never closer than about 45 km.
    pub fn region(title: String) -> MapOptions {
        MapOptions {
            title,
            min_span_deg: 0.4,
        }
    }

    /// A partner's locations: framed on them, with at least a few states around a small network.
    pub fn locations(title: String) -> MapOptions {
        MapOptions {
            title,
            min_span_deg: 6.0,
        }
    }
}

/// An equirectangular view centred on the region: x east, y south, shrunk by cos(latitude).
struct View {
    lon0: f64,
    min_x: f64,
    max_y: f64,
    scale: f64,
    coslat: f64,
    height: f64,
}

impl View {
    fn framing(outlines: &[Outline], extra: &[[f64; 2]], min_span: f64) -> View {
        let points: Vec<[f64; 2]> = outlines
            .iter()
            .flat_map(|o| o.first().into_iter().flatten().copied())
            .chain(extra.iter().copied())
            .collect();
        let lon0 = points.first().map_or(-98.0, |p| p[0]);
        let unwrap = |lon: f64| lon0 + super::sphere::wrap_lon(lon - lon0);
        let (mut lo_lon, mut hi_lon, mut lo_lat, mut hi_lat) =
            (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in &points {
            let lon = unwrap(p[0]);
            lo_lon = lo_lon.min(lon);
            hi_lon = hi_lon.max(lon);
            lo_lat = lo_lat.min(p[1]);
            hi_lat = hi_lat.max(p[1]);
        }
        if points.is_empty() {
            (lo_lon, hi_lon, lo_lat, hi_lat) = (-125.0, -66.0, 24.0, 50.0);
        }
        let coslat = ((lo_lat + hi_lat) / 2.0).to_radians().cos().max(0.05);
        // a margin of a tenth each side, and never closer than `min_span`
        let (w, h) = (
            ((hi_lon - lo_lon) * coslat).max(min_span),
            (hi_lat - lo_lat).max(min_span),
        );
        let pad = 0.1 * w.max(h);
        let (fw, fh) = (w + 2.0 * pad, h + 2.0 * pad);
        let scale = (WIDTH / fw).min(MAX_HEIGHT / fh);
        let height = (fh * scale).max(MIN_HEIGHT);
        // centre the region in the frame whichever side limits the scale
        let min_x = (lo_lon + hi_lon) / 2.0 * coslat - WIDTH / scale / 2.0;
        let max_y = (lo_lat + hi_lat) / 2.0 + height / scale / 2.0;
        View {
            lon0,
            min_x,
            max_y,
            scale,
            coslat,
            height,
        }
    }

    fn xy(&self, p: [f64; 2]) -> (f64, f64) {
        let lon = self.lon0 + super::sphere::wrap_lon(p[0] - self.lon0);
        (
            (lon * self.coslat - self.min_x) * self.scale,
            MAP_TOP + (self.max_y - p[1]) * self.scale,
        )
    }

    /// Whether a ring could show: any point within a map's width of the frame.
    fn near(&self, ring: &[[f64; 2]]) -> bool {
        ring.iter().any(|&p| {
            let (x, y) = self.xy(p);
            (-WIDTH..2.0 * WIDTH).contains(&x)
                && (-self.height..MAP_TOP + 2.0 * self.height).contains(&y)
        })
    }

    fn path(&self, outline: &Outline) -> String {
        let mut d = String::new();
        for ring in outline {
            for (i, &p) in ring.iter().enumerate() {
                let (x, y) = self.xy(p);
                let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        d
    }
}

fn piece_style(kind: PieceKind) -> (&'static str, &'static str) {
    match kind {
        PieceKind::LastSeen => ("#d7301f", "last seen"),
        PieceKind::Destination => ("#fc8d59", "destination"),
        PieceKind::Corridor => ("#7b3294", "corridor"),
        PieceKind::State => ("#2c7fb8", "state"),
        PieceKind::Polygon => ("#41ab5d", "polygon"),
    }
}

fn partner_colour(kind: PartnerKind) -> (&'static str, &'static str) {
    match kind {
        PartnerKind::Retail => ("#1b9e77", "retail"),
        PartnerKind::Billboard => ("#d95f02", "billboard"),
        PartnerKind::Transport => ("#7570b3", "transport"),
        PartnerKind::Media => ("#e7298a", "media"),
        PartnerKind::Public => ("#66a61e", "public"),
        PartnerKind::Other => ("#666666", "other"),
    }
}

fn counted(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draw the region and its selection over the state outlines.
pub fn render_svg(
    region: &Region,
    selection: &Selection,
    states: &States,
    options: &MapOptions,
) -> String {
    let pieces: Vec<(PieceKind, Vec<Outline>)> = region
        .pieces
        .iter()
        .map(|p| (p.kind, p.shape.outlines()))
        .collect();
    let all: Vec<Outline> = pieces.iter().flat_map(|(_, o)| o.iter().cloned()).collect();
    let points: Vec<[f64; 2]> = selection
        .partners
        .iter()
        .flat_map(|p| p.locations.iter().map(|l| [l.lon, l.lat]))
        .collect();
    let extra = if all.is_empty() { &points[..] } else { &[][..] };
    let view = View::framing(&all, extra, options.min_span_deg);
    let total_h = MAP_TOP + view.height + LEGEND;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total_h:.0}" viewBox="0 0 {WIDTH} {total_h:.0}" font-family="DejaVu Sans, Arial, sans-serif">"##
    );
    let _ = write!(
        svg,
        r##"<title>{}</title><defs><clipPath id="frame"><rect x="0" y="{MAP_TOP}" width="{WIDTH}" height="{:.1}"/></clipPath></defs><rect width="100%" height="100%" fill="#ffffff"/><rect x="0" y="{MAP_TOP}" width="{WIDTH}" height="{:.1}" fill="#dfeaf3"/>"##,
        escape(&options.title),
        view.height,
        view.height
    );
    svg.push_str(
        r##"<g clip-path="url(#frame)"><g fill="#f7f5ef" stroke="#9a9a9a" stroke-width="0.8">"##,
    );
    for state in states.iter() {
        for poly in &state.outline.0 {
            let outline: Outline = std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                .collect();
            if view.near(&outline[0]) {
                let _ = write!(svg, r#"<path d="{}"/>"#, view.path(&outline));
            }
        }
    }
    svg.push_str("</g>");
    for (kind, outlines) in &pieces {
        let (colour, _) = piece_style(*kind);
        for o in outlines {
            let _ = write!(
                svg,
                r#"<path d="{}" fill="{colour}" fill-opacity="0.16" stroke="{colour}" stroke-width="1.6" fill-rule="evenodd"/>"#,
                view.path(o)
            );
        }
    }
    let r = if points.len() > 2_000 { 1.6 } else { 3.2 };
    for p in &selection.partners {
        let (colour, _) = partner_colour(p.kind);
        let _ = write!(
            svg,
            r##"<g fill="{colour}" stroke="#ffffff" stroke-width="0.6">"##
        );
        for l in &p.locations {
            let (x, y) = view.xy([l.lon, l.lat]);
            let _ = write!(svg, r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}"/>"#);
        }
        svg.push_str("</g>");
    }
    for centre in region.centres() {
        let (x, y) = view.xy(centre.lon_lat());
        let _ = write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="#ffffff" stroke="#000000" stroke-width="2"/>"##
        );
    }
    svg.push_str("</g>");
    legend(&mut svg, region, selection, &view, options);
    svg.push_str("</svg>");
    svg
}

fn legend(
    svg: &mut String,
    region: &Region,
    selection: &Selection,
    view: &View,
    options: &MapOptions,
) {
    let _ = write!(
        svg,
        r##"<text x="16" y="30" font-size="20" font-weight="bold" fill="#222">{}</text><text x="{:.0}" y="30" font-size="14" text-anchor="end" fill="#444">{}, {}</text>"##,
        escape(&options.title),
        WIDTH - 16.0,
        counted(selection.location_count(), "location"),
        counted(selection.partners.len(), "partner")
    );
    let top = MAP_TOP + view.height + 24.0;
    let mut x = 16.0;
    let mut kinds: Vec<PieceKind> = region.pieces.iter().map(|p| p.kind).collect();
    kinds.dedup();
    for kind in kinds {
        let (colour, label) = piece_style(kind);
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{:.0}" width="18" height="12" fill="{colour}" fill-opacity="0.3" stroke="{colour}"/><text x="{:.0}" y="{:.0}" font-size="13" fill="#222">{label}</text>"##,
            top - 10.0,
            x + 24.0,
            top
        );
        x += 40.0 + 8.0 * label.len() as f64;
    }
    let mut x = 16.0;
    let row = top + 26.0;
    let mut counts: Vec<(PartnerKind, usize)> = Vec::new();
    for p in &selection.partners {
        match counts.iter_mut().find(|(k, _)| *k == p.kind) {
            Some((_, n)) => *n += p.locations.len(),
            None => counts.push((p.kind, p.locations.len())),
        }
    }
    for (kind, n) in counts {
        let (colour, label) = partner_colour(kind);
        let text = format!("{label} ({n})");
        let _ = write!(
            svg,
            r##"<circle cx="{:.0}" cy="{:.0}" r="5" fill="{colour}"/><text x="{:.0}" y="{:.0}" font-size="13" fill="#222">{text}</text>"##,
            x + 6.0,
            row - 4.0,
            x + 16.0,
            row
        );
        x += 30.0 + 8.0 * text.len() as f64;
    }
    let _ = write!(
        svg,
        r##"<text x="16" y="{:.0}" font-size="11" fill="#666">{}</text>"##,
        row + 40.0,
        escape(CREDIT)
    );
}
