//! `lookout render`: a case file and its photos in, poster files out.
//!
//! Bad input exits 2 with `field: reason` and leaves no file behind: every poster is rendered in
//! memory first, then written to a temporary file beside its destination and renamed into place.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::CliError;
use crate::cases::{Case, Lang, PhotoSource, parse_case};
use crate::config::Config;
use crate::posters::{
    Format, Mark, PosterInput, PreparedPhoto, RenderError, normalize_photo, render,
};

#[derive(clap::Args)]
pub struct RenderArgs {
    /// The case document (JSON); photo paths in it are relative to this file.
    #[arg(long, value_name = "FILE")]
    case: PathBuf,
    /// letter (default), a4, square, story, landscape, billboard, or all (every format and language).
    #[arg(long, value_name = "F", default_value = "letter")]
    format: String,
    /// Language of the poster (en, es, fr, vi, tl, zh-Hans, zh-Hant, ko, ar). Default: the case's first language; with `all`, every one.
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
    /// The poster file, or with `--format all` the directory to write every poster into.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// The poster's issue date (YYYY-MM-DD); age now is computed from it. Default: today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// Configuration file (organisation, case page address).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Mark the posters SAMPLE (demos, training).
    #[arg(long)]
    sample: bool,
    /// The case version the posters show.
    #[arg(long, value_name = "N", default_value_t = 1)]
    poster_version: u32,
}

pub fn run(args: RenderArgs) -> Result<(), CliError> {
    let config = Config::load(args.config.as_deref(), &Config::process_env())
        .map_err(|e| CliError::input(e.to_string()))?;
    let issue_date = match &args.date {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| CliError::input("--date: not a date (YYYY-MM-DD)"))?,
        // The command line is where the clock is read; the renderer only sees the date.
        None => chrono::Local::now().date_naive(),
    };
    let lang = args
        .lang
        .as_deref()
        .map(|l| {
            Lang::parse(l).ok_or_else(|| CliError::input(format!("--lang: {l} is not en or es")))
        })
        .transpose()?;
    let all = args.format == "all";
    let format = if all {
        None
    } else {
        Some(Format::parse(&args.format).ok_or_else(|| {
            CliError::input(format!(
                "--format: {} is not letter, a4, square, story, landscape, billboard or all",
                args.format
            ))
        })?)
    };

    let json = fs::read(&args.case).map_err(|e| {
        CliError::input(format!("--case: cannot read {}: {e}", args.case.display()))
    })?;
    // A case cannot have gone missing after the poster's own issue date.
    let case = parse_case(&json, issue_date).map_err(|e| CliError::input(e.to_string()))?;
    let unprintable = crate::posters::unprintable(&case)
        .map_err(|e| CliError::failure(format!("the poster fonts: {e}")))?;
    if let Some(f) = unprintable.first() {
        return Err(CliError::input(format!("--case: {f}")));
    }
    let base = args.case.parent().unwrap_or(Path::new("."));
    let photos = load_photos(&case, base)?;

    let jobs: Vec<(Format, Lang)> = match format {
        Some(f) => vec![(f, lang.unwrap_or(case.languages[0]))],
        None => {
            let langs = lang.map_or_else(|| case.languages.clone(), |l| vec![l]);
            Format::ALL
                .into_iter()
                .flat_map(|f| langs.iter().map(move |&l| (f, l)))
                .collect()
        }
    };
    let mut files = Vec::new();
    for (f, l) in jobs {
        let input = PosterInput {
            case: &case,
            photos: &photos,
            lang: l,
            issue_date,
            version: args.poster_version,
            organisation: &config.organisation,
            case_page_url: config.case_page_url.as_deref(),
            mark: args.sample.then_some(Mark::Sample),
        };
        let bytes = render(&input, f).map_err(render_error)?;
        let path = if all {
            args.out.join(file_name(&case.case_number, f, l))
        } else {
            args.out.clone()
        };
        files.push((path, bytes));
    }
    if all {
        fs::create_dir_all(&args.out).map_err(|e| {
            CliError::failure(format!("--out: cannot create {}: {e}", args.out.display()))
        })?;
    }
    write_all(&files)
}

/// `2026-004217-letter-en.pdf`; anything but letters, digits, `-` and `_` in the case number
/// becomes `_` so a case number can never name a path elsewhere.
pub fn file_name(case_number: &str, f: Format, l: Lang) -> String {
    let safe: String = case_number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}-{}-{}.{}", f.as_str(), l.code(), f.extension())
}

fn render_error(e: RenderError) -> CliError {
    match e {
        RenderError::Write(_)
        | RenderError::Template(_)
        | RenderError::Font(_)
        | RenderError::Unavailable(_) => CliError::failure(e.to_string()),
        _ => CliError::input(e.to_string()),
    }
}

/// Every photo the case names, read beside the case file and normalised once.
fn load_photos(case: &Case, base: &Path) -> Result<HashMap<PhotoSource, PreparedPhoto>, CliError> {
    let mut photos = HashMap::new();
    for (field, photo) in case.photos() {
        if photos.contains_key(&photo.source) {
            continue;
        }
        let file = match &photo.source {
            PhotoSource::File(f) => f,
            PhotoSource::Id(_) => {
                return Err(CliError::input(format!(
                    "{field}.photo_id: the command line needs photo files; photo ids belong to the service"
                )));
            }
        };
        let bytes = fs::read(base.join(file))
            .map_err(|e| CliError::input(format!("{field}.file: cannot read {file}: {e}")))?;
        let prepared =
            normalize_photo(&bytes).map_err(|e| CliError::input(format!("{field}.file: {e}")))?;
        photos.insert(photo.source.clone(), prepared);
    }
    Ok(photos)
}

/// Write every file or none: all go to temporary files first, then are renamed into place.
fn write_all(files: &[(PathBuf, Vec<u8>)]) -> Result<(), CliError> {
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = fs::remove_file(t);
        }
    };
    for (path, bytes) in files {
        let temp = temp_path(path);
        if let Err(e) = fs::write(&temp, bytes) {
            cleanup(&temps);
            let _ = fs::remove_file(&temp);
            return Err(CliError::failure(format!(
                "--out: cannot write {}: {e}",
                path.display()
            )));
        }
        temps.push(temp);
    }
    let mut done: Vec<&Path> = Vec::new();
    for ((path, _), temp) in files.iter().zip(&temps) {
        if let Err(e) = fs::rename(temp, path) {
            cleanup(&temps);
            for d in &done {
                let _ = fs::remove_file(d);
            }
            return Err(CliError::failure(format!(
                "--out: cannot write {}: {e}",
                path.display()
            )));
        }
        done.push(path);
    }
    Ok(())
}

/// A hidden temporary name in the destination's own directory, so the rename cannot cross devices.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "poster".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_name("2026-004217", Format::Letter, Lang::En),
            "2026-004217-letter-en.pdf"
        );
        assert_eq!(
            file_name("../x/1", Format::Billboard, Lang::Es),
            "___x_1-billboard-es.jpg"
        );
    }
}
