//! Reading partner files (`partners.json`, locations as CSV or GeoJSON) as the partner format
//! describes them. A bad row is reported with where it is and what is wrong; the good rows are
//! kept. Files are read as streams so that a million locations need not sit in memory twice, and
//! a progress callback is told how many bytes have been read.

use std::collections::HashSet;
use std::fmt;
use std::io::{BufRead, BufReader, Read};

use geo::{Centroid, MultiPolygon};
use ipnet::IpNet;
use serde::Serialize;

use super::check::{Problem, check_location, check_partner};
use super::model::{Location, Partner, PartnerId};

/// Where a bad row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Row {
    /// A CSV line, counted from 1 (the header).
    Line(u64),
    /// A GeoJSON feature, counted from 0 as in `features[i]`.
    Feature(u64),
    /// An element of the partners array, counted from 0.
    Item(u64),
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Row::Line(n) => write!(f, "line {n}"),
            Row::Feature(i) => write!(f, "features[{i}]"),
            Row::Item(i) => write!(f, "[{i}]"),
        }
    }
}

/// One bad row: where, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    #[serde(flatten)]
    pub row: Row,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.row, self.field, self.reason)
    }
}

fn row_error(row: Row, (field, reason): Problem) -> RowError {
    RowError { row, field, reason }
}

/// A whole file that cannot be read: nothing in it was taken.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{field}: {reason}")]
    Malformed { field: String, reason: String },
    #[error("reading the file: {0}")]
    Io(#[from] std::io::Error),
}

fn malformed(field: &str, reason: impl Into<String>) -> ImportError {
    ImportError::Malformed {
        field: field.into(),
        reason: reason.into(),
    }
}

/// What a file held: the good rows and every bad one.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub partners: Vec<Partner>,
    pub locations: Vec<Location>,
    pub errors: Vec<RowError>,
}

/// Which of the partner file forms a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Partners,
    LocationsCsv,
    LocationsGeoJson,
}

impl FileKind {
    /// From the name's extension, else from the first character (`[` partners, `{` GeoJSON).
    pub fn detect(name: &str, start: &[u8]) -> FileKind {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            return FileKind::LocationsCsv;
        }
        if lower.ends_with(".geojson") {
            return FileKind::LocationsGeoJson;
        }
        match start.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => FileKind::Partners,
            Some(b'{') => FileKind::LocationsGeoJson,
            _ => FileKind::LocationsCsv,
        }
    }
}

/// Read any partner file, choosing the form by `name` and its first bytes. `private_targets` is
/// where a webhook may go over plain http (see [`super::check::check_webhook_url`]).
pub fn import(
    name: &str,
    reader: impl Read,
    private_targets: &[IpNet],
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    import_checked(name, reader, private_targets, progress, &mut |_| Ok(()))
}

/// [`import`], with one more check on each well-formed location (say, that its partner is
/// registered): a location it refuses is a bad row, reported where it is in the file.
pub fn import_checked(
    name: &str,
    reader: impl Read,
    private_targets: &[IpNet],
    progress: &mut dyn FnMut(u64),
    accept: &mut dyn FnMut(&Location) -> Result<(), Problem>,
) -> Result<ImportReport, ImportError> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let kind = FileKind::detect(name, reader.fill_buf()?);
    let mut report = ImportReport::default();
    match kind {
        FileKind::Partners => {
            let (partners, errors) = read_partners(reader, private_targets, progress)?;
            report.partners = partners;
            report.errors = errors;
        }
        FileKind::LocationsCsv => {
            report.errors = csv_rows(reader, progress, &mut |l| {
                accept(&l)?;
                report.locations.push(l);
                Ok(())
            })?;
        }
        FileKind::LocationsGeoJson => {
            report.errors = geojson_rows(reader, progress, &mut |l| {
                accept(&l)?;
                report.locations.push(l);
                Ok(())
            })?;
        }
    }
    Ok(report)
}

/// Counts the bytes read and tells the callback.
struct Counting<'a, R> {
    inner: R,
    read: u64,
    progress: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

/// `partners.json`: an array of partners. Ids must be unique; a repeated id is a bad row.
pub fn read_partners(
    reader: impl Read,
    private_targets: &[IpNet],
    progress: &mut dyn FnMut(u64),
) -> Result<(Vec<Partner>, Vec<RowError>), ImportError> {
    let counting = Counting {
        inner: reader,
        read: 0,
        progress,
    };
    let items: Vec<serde_json::Value> = serde_json::from_reader(BufReader::new(counting))
        .map_err(|e| malformed("partners", format!("not a JSON array of partners: {e}")))?;
    let mut partners = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashSet<PartnerId> = HashSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let row = Row::Item(i as u64);
        let parsed: Result<Partner, _> = serde_path_to_error::deserialize(item);
        let partner = match parsed {
            Ok(p) => p,
            Err(e) => {
                errors.push(row_error(row, serde_problem(&e)));
                continue;
            }
        };
        if let Err(p) = check_partner(&partner, private_targets) {
            errors.push(row_error(row, p));
        } else if !seen.insert(partner.id.clone()) {
            errors.push(row_error(
                row,
                ("id".into(), format!("{} is given twice", partner.id)),
            ));
        } else {
            partners.push(partner);
        }
    }
    Ok((partners, errors))
}

fn serde_problem(e: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let path = e.path().to_string();
    let msg = e.inner().to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some(name) = rest.split('`').next()
        {
            let field = if path == "." {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            let reason = if prefix.starts_with("missing") {
                "required"
            } else {
                "unknown field"
            };
            return (field, reason.into());
        }
    }
    (if path == "." { "partner".into() } else { path }, msg)
}

/// Keeps each (partner, ref) once.
#[derive(Default)]
struct Refs(HashSet<(PartnerId, String)>);

impl Refs {
    fn first(&mut self, l: &Location) -> Result<(), Problem> {
        if self.0.insert((l.partner_id.clone(), l.reference.clone())) {
            Ok(())
        } else {
            Err((
                "ref".into(),
                format!("{} of {} is given twice", l.reference, l.partner_id),
            ))
        }
    }
}

/// Locations as CSV with a header naming at least `partner_id,ref,name,lat,lon` (also `reach_m`,
/// `email`; other columns are ignored). Each good row goes to `sink`; bad rows are returned.
pub fn read_locations_csv(
    reader: impl Read,
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Location),
) -> Result<Vec<RowError>, ImportError> {
    csv_rows(reader, progress, &mut |l| {
        sink(l);
        Ok(())
    })
}

/// The CSV reader; a location the sink refuses is a bad row.
fn csv_rows(
    reader: impl Read,
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Location) -> Result<(), Problem>,
) -> Result<Vec<RowError>, ImportError> {
    let counting = Counting {
        inner: reader,
        read: 0,
        progress,
    };
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(counting);
    let header = csv
        .headers()
        .map_err(|e| malformed("header", e.to_string()))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let required = ["partner_id", "ref", "name", "lat", "lon"];
    let mut cols = [0usize; 5];
    for (slot, name) in cols.iter_mut().zip(required) {
        *slot = col(name).ok_or_else(|| malformed("header", format!("no {name} column")))?;
    }
    let (reach, email) = (col("reach_m"), col("email"));
    let mut errors = Vec::new();
    let mut refs = Refs::default();
    let mut record = csv::StringRecord::new();
    loop {
        let line = csv.position().line() + 1;
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if e.is_io_error() => match e.into_kind() {
                csv::ErrorKind::Io(io) => return Err(ImportError::Io(io)),
                _ => unreachable!("is_io_error"),
            },
            Err(e) => {
                errors.push(row_error(Row::Line(line), ("row".into(), e.to_string())));
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue; // a blank line, e.g. at the end
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|s| !s.is_empty());
        let parsed = csv_location(&cols, get(reach), get(email), &record)
            .and_then(|l| check_location(&l).map(|()| l))
            .and_then(|l| refs.first(&l).map(|()| l));
        if let Err(p) = parsed.and_then(&mut *sink) {
            errors.push(row_error(Row::Line(line), p));
        }
    }
    Ok(errors)
}

fn csv_location(
    cols: &[usize; 5],
    reach: Option<&str>,
    email: Option<&str>,
    record: &csv::StringRecord,
) -> Result<Location, Problem> {
    let field = |i: usize| record.get(cols[i]).unwrap_or("");
    let number = |name: &str, s: &str| {
        s.parse::<f64>()
            .map_err(|_| (name.to_string(), format!("{s:?} is not a number")))
    };
    let partner_id = PartnerId::parse(field(0)).map_err(|r| ("partner_id".to_string(), r))?;
    Ok(Location {
        partner_id,
        reference: field(1).to_string(),
        name: field(2).to_string(),
        lat: number("lat", field(3))?,
        lon: number("lon", field(4))?,
        reach_m: reach.map(|s| number("reach_m", s)).transpose()?,
        email: email.map(str::to_string),
        coverage: None,
    })
}

/// Locations as a GeoJSON FeatureCollection: Points with the CSV fields as properties, and
/// (Multi)Polygons with `partner_id`, `ref` and `name` as coverage areas (placed at their
/// `lat`/`lon` properties when given, else at their centroid).
pub fn read_locations_geojson(
    reader: impl Read,
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Location),
) -> Result<Vec<RowError>, ImportError> {
    geojson_rows(reader, progress, &mut |l| {
        sink(l);
        Ok(())
    })
}

/// The GeoJSON reader; a location the sink refuses is a bad row.
fn geojson_rows(
    reader: impl Read,
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Location) -> Result<(), Problem>,
) -> Result<Vec<RowError>, ImportError> {
    let counting = Counting {
        inner: reader,
        read: 0,
        progress,
    };
    let mut errors = Vec::new();
    let mut refs = Refs::default();
    let features = geojson::FeatureReader::from_reader(BufReader::new(counting)).features();
    for (i, feature) in features.enumerate() {
        let row = Row::Feature(i as u64);
        let feature = match feature {
            Ok(f) => f,
            Err(e) => {
                // the stream cannot go on past a feature it could not parse: keep what came before
                if i == 0 {
                    return Err(malformed("features", e.to_string()));
                }
                errors.push(row_error(
                    row,
                    (
                        "feature".into(),
                        format!("{e}; the rest of the file was not read"),
                    ),
                ));
                break;
            }
        };
        let parsed = geojson_location(&feature)
            .and_then(|l| check_location(&l).map(|()| l))
            .and_then(|l| refs.first(&l).map(|()| l));
        if let Err(p) = parsed.and_then(&mut *sink) {
            errors.push(row_error(row, p));
        }
    }
    Ok(errors)
}

fn geojson_location(f: &geojson::Feature) -> Result<Location, Problem> {
    let text = |k: &str| -> Result<String, Problem> {
        match f.property(k) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
            Some(serde_json::Value::Null) | None => {
                Err((format!("properties.{k}"), "required".into()))
            }
            Some(_) => Err((format!("properties.{k}"), "must be a string".into())),
        }
    };
    let number = |k: &str| -> Result<Option<f64>, Problem> {
        match f.property(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| (format!("properties.{k}"), "must be a number".into())),
        }
    };
    let partner_id = PartnerId::parse(&text("partner_id")?)
        .map_err(|r| ("properties.partner_id".to_string(), r))?;
    let reference = text("ref")?;
    let name = text("name")?;
    let email = match f.property("email") {
        None | Some(serde_json::Value::Null) => None,
        Some(_) => Some(text("email")?),
    };
    let geometry = f
        .geometry
        .as_ref()
        .ok_or_else(|| ("geometry".to_string(), "required".to_string()))?;
    let (lat, lon, coverage) = match &geometry.value {
        geojson::GeometryValue::Point { coordinates: p } if p.len() >= 2 => (p[1], p[0], None),
        geojson::GeometryValue::Polygon { .. } | geojson::GeometryValue::MultiPolygon { .. } => {
            let mp = to_multipolygon(geometry)
                .ok_or_else(|| ("geometry".to_string(), "not a valid polygon".to_string()))?;
            let (lat, lon) = match (number("lat")?, number("lon")?) {
                (Some(lat), Some(lon)) => (lat, lon),
                _ => {
                    let c = mp
                        .centroid()
                        .ok_or_else(|| ("geometry".to_string(), "empty polygon".to_string()))?;
                    (c.y(), c.x())
                }
            };
            (lat, lon, Some(mp))
        }
        _ => {
            return Err((
                "geometry".into(),
                "must be a Point, Polygon or MultiPolygon".into(),
            ));
        }
    };
    Ok(Location {
        partner_id,
        reference,
        name,
        lat,
        lon,
        reach_m: number("reach_m")?,
        email,
        coverage,
    })
}

/// A GeoJSON (Multi)Polygon geometry as a geo MultiPolygon: a location's coverage, or a region a
/// case manager draws.
pub fn to_multipolygon(g: &geojson::Geometry) -> Option<MultiPolygon<f64>> {
    match geo::Geometry::<f64>::try_from(g.clone()).ok()? {
        geo::Geometry::Polygon(p) => Some(MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(mp) => Some(mp),
        _ => None,
    }
}
