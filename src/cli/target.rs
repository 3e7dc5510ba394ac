//! `lookout target`: a case's target region and the partner locations in it, as GeoJSON (and an
//! SVG map), from files: what the service previews at `GET /v1/cases/{id}/targeting`.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use crate::cases::{parse_case, parse_instant};
use crate::partners::{self, ImportReport, Partner, PartnerId};
use crate::targeting::{
    Audience, LocationIndex, MapOptions, Policy, RegionExtras, States, preview, region_for,
    render_svg, select,
};

/// Files above this size get a progress bar while they are read.
const PROGRESS_FROM_BYTES: u64 = 8 * 1024 * 1024;

#[derive(clap::Args)]
pub struct TargetArgs {
    /// The case document (JSON in the case format).
    #[arg(long, value_name = "FILE")]
    case: PathBuf,
    /// Partner locations, CSV or GeoJSON in the partner format.
    #[arg(long, value_name = "FILE")]
    locations: PathBuf,
    /// The partners (partners.json); without it every location accepts every case.
    #[arg(long, value_name = "FILE")]
    partners: Option<PathBuf>,
    /// The moment to target for, RFC 3339 or YYYY-MM-DD (midnight UTC); default now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Also draw the region and the selection as an SVG map into this file.
    #[arg(long, value_name = "OUT.svg")]
    map: Option<PathBuf>,
    /// States to add to the region: USPS codes separated by commas (VA,MD).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    states: Vec<String>,
    /// Polygons to add to the region: a GeoJSON file of Polygon/MultiPolygon features.
    #[arg(long, value_name = "FILE")]
    polygons: Option<PathBuf>,
    /// A region policy to use instead of the shipped templates/targeting.toml.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// TOML configuration file, as `lookout serve` reads it (and its `LOOKOUT_*` environment):
    /// partners are checked as the service checks them (`allow_private_targets`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(args: TargetArgs) -> Result<(), CliError> {
    let config = super::data::load_config(args.config.as_deref(), None)?;
    let private_targets = &config.allow_private_targets;
    let now = Utc::now();
    let at: DateTime<Utc> = match &args.at {
        None => now,
        Some(s) => parse_instant(s)
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| CliError::input("at: not an RFC 3339 date-time or YYYY-MM-DD"))?,
    };
    let case_bytes = read(&args.case, "case")?;
    let case =
        parse_case(&case_bytes, now.date_naive()).map_err(|e| CliError::input(e.to_string()))?;
    let policy = match &args.policy {
        None => Policy::shipped(),
        Some(p) => Policy::from_toml(&String::from_utf8_lossy(&read(p, "policy")?)),
    }
    .map_err(|e| CliError::input(e.to_string()))?;
    let states = States::us().map_err(|e| CliError::failure(e.to_string()))?;
    let polygons = match &args.polygons {
        None => Vec::new(),
        Some(p) => read_polygons(p)?,
    };
    let codes: Vec<&str> = args
        .states
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let extras =
        RegionExtras::new(&codes, polygons, &states).map_err(|e| CliError::input(e.to_string()))?;

    let locations = import_file(&args.locations, "locations", private_targets)?;
    if !locations.partners.is_empty() {
        return Err(CliError::input(
            "locations: the file holds partners, not locations",
        ));
    }
    let partners = match &args.partners {
        Some(p) => {
            let report = import_file(p, "partners", private_targets)?;
            if !report.locations.is_empty() {
                return Err(CliError::input(
                    "partners: the file holds locations, not partners",
                ));
            }
            known_partners(report.partners, &locations.locations)
        }
        None => accept_all(&locations.locations),
    };
    if locations.locations.is_empty() && !locations.errors.is_empty() {
        return Err(CliError::input("locations: no usable row"));
    }

    let region = region_for(&case, &policy, at, &extras);
    let index = LocationIndex::build(partners, locations.locations);
    let selection = select(&index, &region, Audience::of(&case), &HashMap::new());
    let json = serde_json::to_string_pretty(&preview(&region, &selection))
        .map_err(|e| CliError::failure(format!("writing the GeoJSON: {e}")))?;
    if let Some(out) = &args.map {
        let title = format!("Case {} — targeting preview", case.case_number);
        let svg = render_svg(&region, &selection, &states, &MapOptions::region(title));
        write_atomically(out, svg.as_bytes())?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{json}").map_err(|e| CliError::failure(format!("stdout: {e}")))
}

fn read(path: &Path, field: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::input(format!("{field}: {}: {e}", path.display())))
}

/// Read a partner file with a progress bar for large ones; bad rows are warned about and skipped.
fn import_file(
    path: &Path,
    field: &str,
    private_targets: &[ipnet::IpNet],
) -> Result<ImportReport, CliError> {
    let file = File::open(path)
        .map_err(|e| CliError::input(format!("{field}: {}: {e}", path.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if size >= PROGRESS_FROM_BYTES {
        let bar = ProgressBar::new(size);
        if let Ok(style) =
            ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {eta}")
        {
            bar.set_style(style);
        }
        bar.set_message(format!("reading {field}"));
        bar
    } else {
        ProgressBar::hidden()
    };
    let name = path.to_string_lossy();
    // The same checks as the service's import: a webhook over plain http is a bad row unless the
    // configuration allows its target.
    let report = partners::import(&name, file, private_targets, &mut |n| bar.set_position(n))
        .map_err(|e| CliError::input(format!("{field}: {e}")))?;
    bar.finish_and_clear();
    for e in &report.errors {
        eprintln!("{field}: {}: skipped {e}", path.display());
    }
    Ok(report)
}

/// Without a partner list, every partner named by a location takes every case.
fn accept_all(locations: &[partners::Location]) -> Vec<Partner> {
    let ids: BTreeSet<&PartnerId> = locations.iter().map(|l| &l.partner_id).collect();
    ids.into_iter()
        .map(|id| Partner::accept_all(id.clone(), id.to_string()))
        .collect()
}

/// The given partners; locations of partners not among them are warned about.
fn known_partners(partners: Vec<Partner>, locations: &[partners::Location]) -> Vec<Partner> {
    let known: BTreeSet<&PartnerId> = partners.iter().map(|p| &p.id).collect();
    let unknown: BTreeSet<&PartnerId> = locations
        .iter()
        .map(|l| &l.partner_id)
        .filter(|id| !known.contains(id))
        .collect();
    for id in unknown {
        eprintln!(
            "locations: partner {id} is not in the partners file; its locations are left out"
        );
    }
    partners
}

fn read_polygons(path: &Path) -> Result<Vec<(String, geo::MultiPolygon<f64>)>, CliError> {
    let text = String::from_utf8_lossy(&read(path, "polygons")?).into_owned();
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e| CliError::input(format!("polygons: {e}")))?;
    let features = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc.features,
        geojson::GeoJson::Feature(f) => vec![f],
        geojson::GeoJson::Geometry(g) => vec![geojson::Feature::from(g)],
    };
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mp = f
                .geometry
                .as_ref()
                .and_then(crate::partners::to_multipolygon)
                .ok_or_else(|| {
                    CliError::input(format!(
                        "polygons.features[{i}].geometry: must be a Polygon or MultiPolygon"
                    ))
                })?;
            let label = f
                .property("name")
                .and_then(|v| v.as_str())
                .map_or_else(|| format!("polygon {}", i + 1), str::to_string);
            Ok((label, mp))
        })
        .collect()
}

/// Write beside the target and rename, so that a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail = |e: std::io::Error| CliError::failure(format!("map: {}: {e}", path.display()));
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}
