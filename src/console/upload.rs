//! A file sent with a form (`multipart/form-data`): the admin's partner import and a partner's own
//! location upload read it the same way, and show the same report of what was kept and skipped.

use axum::extract::Multipart;
use bytes::Bytes;
use minijinja::context;

use crate::app::partner_import::{Stored, describe, describe_bad};
use crate::partners::RowError;

/// What the form sent.
#[derive(Debug, Default)]
pub struct Upload {
    pub csrf: String,
    /// The file's name as the browser gave it, and its bytes; `None` when no file was chosen.
    pub file: Option<(String, Bytes)>,
    /// The file was larger than the route's body limit: nothing of it was read.
    pub too_large: bool,
}

/// Read the form's `csrf` and `file` fields; others are ignored.
pub async fn read(multipart: &mut Multipart) -> Upload {
    let mut upload = Upload::default();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or_default() {
            "csrf" => upload.csrf = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(b) if b.is_empty() => {}
                    Ok(b) => upload.file = Some((name, b)),
                    Err(_) => {
                        upload.too_large = true;
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    upload
}

/// Bad rows shown on the page at most; the rest are counted.
const ROWS_SHOWN: usize = 1000;

/// The report the page shows: what was stored, and every bad row with where it is in the file.
pub fn report(file: &str, stored: &Stored, errors: &[RowError]) -> minijinja::Value {
    let nothing = stored.partners_created + stored.partners_updated + stored.locations == 0;
    let rows: Vec<_> = errors
        .iter()
        .take(ROWS_SHOWN)
        .map(|e| context! { row => e.row.to_string(), field => &e.field, reason => &e.reason })
        .collect();
    context! {
        file => file, stored => describe(stored), bad => describe_bad(errors.len()),
        rows => rows, more => errors.len().saturating_sub(ROWS_SHOWN), nothing => nothing,
    }
}
