//! `lookout partners import FILE`: register partners (`partners.json`) or replace their location
//! lists (CSV or GeoJSON) in the database, keeping the good rows of a file with some bad ones.
//!
//! A location file is each named partner's whole current list: the partners it names get exactly
//! its good rows; partners it does not name keep theirs. A running service picks the change up
//! within `WATCH_EVERY`.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::{CliError, data};
use crate::app::partner_import::{self, Stored};
use crate::partners::{ImportReport, PartnerId};
use crate::store::{Actor, Store, StoreError};

/// Files from this size on get a progress bar while they are read.
const PROGRESS_FROM_BYTES: u64 = 4 * 1024 * 1024;
/// Lists from this many locations on get a progress bar while they are stored.
const PROGRESS_FROM_ROWS: usize = 50_000;

const ACTOR: Actor = Actor::System("import");

#[derive(clap::Args)]
pub struct PartnersArgs {
    #[command(subcommand)]
    command: PartnersCommand,
}

#[derive(clap::Subcommand)]
enum PartnersCommand {
    /// Import partners.json, or partner locations as CSV or GeoJSON (the partner format).
    Import(ImportArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    /// partners.json, locations .csv or .geojson (by extension, else by content).
    file: PathBuf,
    /// TOML configuration file (for the database URL).
    #[arg(long)]
    config: Option<PathBuf>,
    /// sqlite://PATH or postgres://… [default: the configuration's, else sqlite://lookout.db].
    #[arg(long)]
    database: Option<String>,
}

pub fn run(args: PartnersArgs) -> Result<(), CliError> {
    match args.command {
        PartnersCommand::Import(a) => import(a),
    }
}

fn import(args: ImportArgs) -> Result<(), CliError> {
    let config = data::load_config(args.config.as_deref(), args.database.as_deref())?;
    let path = args.file.as_path();
    let file =
        File::open(path).map_err(|e| CliError::input(format!("file: {}: {e}", path.display())))?;
    data::runtime()?.block_on(async move {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| data::store_failure(e.into()))?;
        let known = partner_import::known_partners(&store)
            .await
            .map_err(failure)?;
        let report = read(path, file, &known, &config.allow_private_targets)?;
        for e in &report.errors {
            eprintln!("{}: {e} (skipped)", path.display());
        }
        let bad = report.errors.len();
        if report.partners.is_empty() && report.locations.is_empty() {
            store.close().await;
            return Err(CliError::input(format!(
                "{}: nothing imported: no usable row ({bad} bad)",
                path.display()
            )));
        }
        let stored = store_report(&store, report).await;
        store.close().await;
        println!("{}", summary(path, &stored?, bad));
        Ok(())
    })
}

/// Read the file, with a progress bar for a large one. Locations of a partner that is not
/// registered are bad rows.
fn read(
    path: &Path,
    file: File,
    known: &HashSet<PartnerId>,
    private_targets: &[ipnet::IpNet],
) -> Result<ImportReport, CliError> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = bar(size, size >= PROGRESS_FROM_BYTES, "reading", true);
    let name = path.to_string_lossy();
    let report = partner_import::read_checked(&name, file, known, private_targets, &mut |n| {
        bar.set_position(n)
    })
    .map_err(|e| CliError::input(format!("{}: {e}", path.display())));
    bar.finish_and_clear();
    report
}

fn bar(len: u64, show: bool, what: &str, bytes: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let template = if bytes {
        "{msg} {wide_bar} {bytes}/{total_bytes} {eta}"
    } else {
        "{msg} {wide_bar} {pos}/{len} {eta}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

async fn store_report(store: &Store, report: ImportReport) -> Result<Stored, CliError> {
    let total = report.locations.len();
    let bar = bar(total as u64, total >= PROGRESS_FROM_ROWS, "storing", false);
    let stored = partner_import::store_report(store, report, &ACTOR, &mut |n| bar.set_position(n))
        .await
        .map_err(failure);
    bar.finish_and_clear();
    stored
}

fn failure(e: StoreError) -> CliError {
    CliError::failure(e.to_string())
}

fn summary(path: &Path, s: &Stored, bad: usize) -> String {
    let skipped = if bad == 0 {
        "no bad rows".to_string()
    } else {
        format!("{} (listed above)", partner_import::describe_bad(bad))
    };
    format!(
        "{}: imported {}; {skipped}",
        path.display(),
        partner_import::describe(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_what_was_skipped() {
        let s = Stored {
            locations: 2,
            partners_with_locations: 1,
            ..Stored::default()
        };
        assert_eq!(
            summary(Path::new("l.csv"), &s, 1),
            "l.csv: imported 2 locations for 1 partner; 1 bad row skipped (listed above)"
        );
        let s = Stored {
            partners_created: 2,
            partners_updated: 1,
            ..Stored::default()
        };
        assert_eq!(
            summary(Path::new("p.json"), &s, 0),
            "p.json: imported 3 partners (2 new, 1 updated); no bad rows"
        );
    }
}
