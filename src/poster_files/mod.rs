//! Poster files of a case version, for everyone who hands them out: the case managers' API, the
//! signed links partners follow, the pull API and the dispatch worker. Rendered once per content key,
//! then served from memory or the database cache.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};

mod memory;

pub use memory::{DEFAULT_BUDGET, PosterMemory};

use crate::cases::{Lang, PhotoSource};
use crate::config::Organisation;
use crate::cpu::{CpuError, SharedCpuLimit, Turn};
use crate::posters::{
    Format, Mark, PosterInput, PreparedPhoto, RenderError, render, render_preview,
};

/// Pixels to the point of the print preview: a letter page is 1224 × 1584.
const PREVIEW_ZOOM: f32 = 2.0;
use crate::store::{
    Actor, AuditEvent, CachedPoster, CaseId, PhotoId, Store, StoreError, VersionRecord, Via,
};

#[derive(Debug, thiserror::Error)]
pub enum PosterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("version {0} has an unreadable creation time")]
    BadDate(i64),
    #[error(transparent)]
    Cpu(#[from] CpuError),
}

/// A rendered poster and its content key (a strong ETag).
#[derive(Debug, Clone)]
pub struct Poster {
    pub key: String,
    pub file: Arc<CachedPoster>,
}

/// What every poster prints besides the case: the organisation, and the case page its QR code opens.
#[derive(Debug, Clone)]
pub struct PosterSettings {
    pub organisation: Organisation,
    /// What a print poster's QR code opens: `{code}` becomes the case's public page code,
    /// `{case_number}` its number.
    pub case_page_url: Option<String>,
}

/// In [`PosterSettings::case_page_url`], the case's public page code.
pub const CODE_PLACEHOLDER: &str = "{code}";

impl PosterSettings {
    /// The QR code's address: the configured `case_page_url`, else this service's own public page
    /// of the case when the service knows its public address.
    pub fn page_url(case_page_url: Option<&str>, public_url: Option<&str>) -> Option<String> {
        case_page_url.map(str::to_string).or_else(|| {
            public_url.map(|u| format!("{}/c/{CODE_PLACEHOLDER}", u.trim_end_matches('/')))
        })
    }
}

/// `url` with the via code as its `from` parameter.
fn with_via(url: &str, code: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}from={code}")
}

#[derive(Clone)]
pub struct PosterSource {
    store: Store,
    settings: Arc<PosterSettings>,
    memory: Arc<PosterMemory>,
    cpu: SharedCpuLimit,
    /// Requests may be turned away when renders queue up; the dispatch worker waits its turn.
    turn: Turn,
}

/// The date printed on a version's poster: the day the version was made, so rendering it again
/// gives the same bytes.
pub fn issue_date(v: &VersionRecord) -> Result<NaiveDate, PosterError> {
    chrono::DateTime::parse_from_rfc3339(&v.meta.created_at)
        .map(|t| t.date_naive())
        .map_err(|_| PosterError::BadDate(v.meta.version))
}

/// The content key of a poster: the SHA-256 of everything it is made from.
pub fn content_key(
    s: &PosterSettings,
    v: &VersionRecord,
    lang: Lang,
    format: Format,
) -> Result<String, PosterError> {
    let material = json!({
        "renderer": env!("CARGO_PKG_VERSION"),
        "format": format,
        "lang": lang,
        "version": v.meta.version,
        "issue_date": issue_date(v)?.to_string(),
        "sample": v.sample,
        "organisation": {"name": s.organisation.name, "hotline": s.organisation.hotline, "web": s.organisation.web},
        "case_page_url": s.case_page_url,
        "case": v.document,
    });
    let bytes = serde_json::to_vec(&material).expect("plain data serialises");
    Ok(hex::encode(Sha256::digest(bytes)))
}

impl PosterSource {
    pub fn new(
        store: Store,
        settings: Arc<PosterSettings>,
        memory: Arc<PosterMemory>,
        cpu: SharedCpuLimit,
    ) -> PosterSource {
        PosterSource {
            store,
            settings,
            memory,
            cpu,
            turn: Turn::Request,
        }
    }

    /// The same source for background work, which waits for a render's turn instead of being
    /// turned away.
    pub fn background(&self) -> PosterSource {
        PosterSource {
            turn: Turn::Background,
            ..self.clone()
        }
    }

    pub fn key(
        &self,
        v: &VersionRecord,
        lang: Lang,
        format: Format,
    ) -> Result<String, PosterError> {
        content_key(&self.settings, v, lang, format)
    }

    /// The poster of version `v` of case `id`, rendering it (and auditing the render as `actor`)
    /// only when no cache has it.
    pub async fn get(
        &self,
        actor: &Actor,
        id: CaseId,
        v: &VersionRecord,
        lang: Lang,
        format: Format,
    ) -> Result<Poster, PosterError> {
        let key = self.key(v, lang, format)?;
        if let Some(file) = self.memory.get(&key) {
            return Ok(Poster { key, file });
        }
        let file = Arc::new(
            self.load_or_render(actor, id, v, lang, format, &key)
                .await?,
        );
        self.memory.put(&key, file.clone());
        Ok(Poster { key, file })
    }

    /// Whether the posters' page address is this service's own public page, which counts via
    /// codes (a configured outside address has no use for them).
    fn counts_vias(&self) -> bool {
        matches!(&self.settings.case_page_url, Some(t) if t.contains(CODE_PLACEHOLDER))
    }

    /// The content key of the poster of `v` made for `via`, without drawing it (for an ETag).
    pub async fn partner_key(
        &self,
        v: &VersionRecord,
        lang: Lang,
        format: Format,
        via: &Via,
    ) -> Result<String, PosterError> {
        let shared = self.key(v, lang, format)?;
        if !self.counts_vias() {
            return Ok(shared);
        }
        let code = self.store.via_code(via).await?;
        Ok(format!("{shared}-{code}"))
    }

    /// The poster of version `v` made for one partner (and location): its QR code and printed
    /// address carry the partner's via code, so the visits and tips it brings are counted for
    /// them. Kept in memory only: every partner has its own, and each is quick to draw again.
    /// Without a page address of this service's own, the shared poster serves.
    pub async fn for_partner(
        &self,
        actor: &Actor,
        id: CaseId,
        v: &VersionRecord,
        lang: Lang,
        format: Format,
        via: &Via,
    ) -> Result<Poster, PosterError> {
        if !self.counts_vias() {
            return self.get(actor, id, v, lang, format).await;
        }
        let key = self.partner_key(v, lang, format, via).await?;
        if let Some(file) = self.memory.get(&key) {
            return Ok(Poster { key, file });
        }
        let code = key.rsplit('-').next().unwrap_or_default().to_string();
        let mark = v.sample.then_some(Mark::Sample);
        let bytes = self
            .draw(id, v, lang, mark, Some(code), move |input| {
                render(input, format)
            })
            .await?;
        let file = Arc::new(CachedPoster {
            content_type: format.content_type().to_string(),
            bytes,
        });
        self.memory.put(&key, file.clone());
        Ok(Poster { key, file })
    }

    async fn load_or_render(
        &self,
        actor: &Actor,
        id: CaseId,
        version: &VersionRecord,
        lang: Lang,
        format: Format,
        key: &str,
    ) -> Result<CachedPoster, PosterError> {
        if let Some(p) = self.store.cached_poster(key).await? {
            return Ok(p);
        }
        let mark = version.sample.then_some(Mark::Sample);
        let bytes = self.render(id, version, lang, format, mark).await?;
        let poster = CachedPoster {
            content_type: format.content_type().to_string(),
            bytes,
        };
        self.store.cache_poster(key, id, &poster).await?;
        self.store
            .record_audit(AuditEvent {
                actor,
                action: "poster.render",
                case_id: Some(id),
                subject: Some(format!(
                    "{}:{}:{}",
                    format.as_str(),
                    lang.code(),
                    &key[..16]
                )),
                version: Some(version.meta.version),
            })
            .await?;
        tracing::info!(case_id = %id, version = version.meta.version, format = format.as_str(), "poster rendered");
        Ok(poster)
    }

    /// The print poster of version `v` as a PNG for the console's page (twice the point size in
    /// pixels), kept in memory beside the poster files.
    pub async fn print_preview(
        &self,
        id: CaseId,
        v: &VersionRecord,
        lang: Lang,
    ) -> Result<Arc<CachedPoster>, PosterError> {
        let key = format!("{}#preview", self.key(v, lang, Format::Letter)?);
        if let Some(file) = self.memory.get(&key) {
            return Ok(file);
        }
        let mark = v.sample.then_some(Mark::Sample);
        let bytes = self
            .draw(id, v, lang, mark, None, |input| {
                render_preview(input, Format::Letter, PREVIEW_ZOOM)
            })
            .await?;
        let file = Arc::new(CachedPoster {
            content_type: "image/png".into(),
            bytes,
        });
        self.memory.put(&key, file.clone());
        Ok(file)
    }

    /// A poster of version `v` with TEST across it, for a case manager's test send. Never cached,
    /// so it can never be served as the live poster.
    pub async fn test_poster(
        &self,
        id: CaseId,
        v: &VersionRecord,
        lang: Lang,
        format: Format,
    ) -> Result<Vec<u8>, PosterError> {
        self.render(id, v, lang, format, Some(Mark::Test)).await
    }

    async fn render(
        &self,
        id: CaseId,
        version: &VersionRecord,
        lang: Lang,
        format: Format,
        mark: Option<Mark>,
    ) -> Result<Vec<u8>, PosterError> {
        self.draw(id, version, lang, mark, None, move |input| {
            render(input, format)
        })
        .await
    }

    /// Run `write` over the poster input of `version` on the CPU limit: the one place a poster of
    /// this source is drawn, whatever the writer. `via`: the via code its page address carries.
    async fn draw(
        &self,
        id: CaseId,
        version: &VersionRecord,
        lang: Lang,
        mark: Option<Mark>,
        via: Option<String>,
        write: impl FnOnce(&PosterInput<'_>) -> Result<Vec<u8>, RenderError> + Send + 'static,
    ) -> Result<Vec<u8>, PosterError> {
        let photos = self.load_photos(version).await?;
        let issue_date = issue_date(version)?;
        // the QR code opens the case's public page: its short address, made at first use
        let page_url = match &self.settings.case_page_url {
            Some(t) if t.contains(CODE_PLACEHOLDER) => {
                let url = t.replace(CODE_PLACEHOLDER, &self.store.public_code(id).await?);
                Some(match via {
                    Some(code) => with_via(&url, &code),
                    None => url,
                })
            }
            other => other.clone(),
        };
        let settings = self.settings.clone();
        let document = version.document.clone();
        let number = version.meta.version;
        let bytes = self
            .cpu
            .run(self.turn, move || {
                write(&PosterInput {
                    case: &document,
                    photos: &photos,
                    lang,
                    issue_date,
                    version: u32::try_from(number).unwrap_or(u32::MAX),
                    organisation: &settings.organisation,
                    case_page_url: page_url.as_deref(),
                    mark,
                })
            })
            .await??;
        Ok(bytes)
    }

    async fn load_photos(
        &self,
        version: &VersionRecord,
    ) -> Result<HashMap<PhotoSource, PreparedPhoto>, PosterError> {
        let mut photos = HashMap::new();
        for (_, photo) in version.document.photos() {
            if let PhotoSource::Id(raw) = &photo.source
                && let Ok(id) = raw.parse::<PhotoId>()
                && let Some(p) = self.store.photo(&id).await?
            {
                photos.insert(photo.source.clone(), p);
            }
        }
        // A photo that is missing is named by the renderer (RenderError::MissingPhoto).
        Ok(photos)
    }
}
