//! The API's response bodies, typed. What a handler serialises is a type from here (or a domain
//! type), and the OpenAPI document is derived from the same types, so the two cannot drift apart.

use serde::Serialize;
use utoipa::ToSchema;

use crate::cases::{Case, CaseStatus, CaseType, MissingSince};
use crate::dispatch::payload::WebhookPayload;
use crate::distribution::reissue::Planned;
use crate::partners::{Location, Partner, PartnerId};
use crate::store::outbox::{DeliveryView, PartnerHealth, State as DeliveryState};
use crate::store::{
    AuditEntry, CaseId, CaseRecord, CaseSummary, Resolution, Role, TokenInfo, VersionMeta,
    VersionRecord,
};

/// `/healthz` and `/readyz`.
#[derive(Serialize, ToSchema)]
pub struct Status {
    #[schema(examples("ok", "ready"))]
    pub status: &'static str,
}

/// A case as it is now.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub id: CaseId,
    /// The version of the document; also the ETag `"v<version>"`.
    pub version: i64,
    pub status: CaseStatus,
    /// A demo case, never sent to partners.
    pub sample: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub resolution: Option<Resolution>,
    /// When the retention period erased everything personal of the closed case.
    #[schema(format = DateTime)]
    pub erased_at: Option<String>,
    pub case: Shown,
}

impl CaseView {
    pub fn of(r: &CaseRecord) -> CaseView {
        CaseView {
            id: r.id,
            version: r.version,
            status: r.document.status,
            sample: r.sample,
            created_at: r.created_at.clone(),
            updated_at: r.updated_at.clone(),
            resolution: r.resolution.clone(),
            erased_at: r.erased_at.clone(),
            case: Shown::of(&r.document, r.erased_at.is_some()),
        }
    }
}

/// The case document, or what is left of it once erased.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Shown {
    Whole(Box<Case>),
    Erased(ErasedCase),
}

impl Shown {
    pub fn of(case: &Case, erased: bool) -> Shown {
        if erased {
            Shown::Erased(ErasedCase {
                case_number: case.case_number.clone(),
                case_type: case.case_type,
                status: case.status,
                missing_since: case.missing_since,
            })
        } else {
            Shown::Whole(Box::new(case.clone()))
        }
    }
}

/// What remains of an erased case: its number, type, status and the day it began.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasedCase {
    pub case_number: String,
    pub case_type: CaseType,
    pub status: CaseStatus,
    pub missing_since: MissingSince,
}

/// One page of cases, newest first.
#[derive(Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseSummary>,
    /// The id of the last case on the page (the older paging parameter `before`).
    pub next_before: Option<String>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub versions: Vec<VersionMeta>,
}

/// One version of a case, as it was written.
#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub actor: String,
    /// The field paths this version changed.
    pub changed: Vec<String>,
    #[schema(format = DateTime)]
    pub erased_at: Option<String>,
    pub case: Shown,
}

impl VersionView {
    pub fn of(v: &VersionRecord) -> VersionView {
        VersionView {
            version: v.meta.version,
            created_at: v.meta.created_at.clone(),
            actor: v.meta.actor.clone(),
            changed: v.meta.changed.clone(),
            erased_at: v.erased_at.clone(),
            case: Shown::of(&v.document, v.erased_at.is_some()),
        }
    }
}

/// A new token: its secret is shown this once.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "01938f3e-8a2b-7c41-9d55-2f6a0e1b7c3d", "role": "partner",
    "partner_id": "northwind-retail", "token": "lk_3q9ZxV0c7mE2rT8uY1wB5nK4hJ6gF0dS"}))]
pub struct NewToken {
    pub id: String,
    pub role: Role,
    pub partner_id: Option<PartnerId>,
    /// `lk_…`: keep it; it is never shown again.
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// A partner as shown: webhook secrets are write-only, shown as `(set)`.
#[derive(Serialize, ToSchema)]
pub struct PartnerView {
    pub partner: Partner,
    /// How many locations it has.
    pub locations: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Its delivery health (failing since when, disabled and why), on a single partner's page;
    /// absent before anything was ever queued for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<PartnerHealth>,
}

#[derive(Serialize, ToSchema)]
pub struct PartnerList {
    pub partners: Vec<PartnerView>,
    pub next_cursor: Option<String>,
}

/// What replacing a location list did.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"partner_id": "northwind-retail", "locations": 412}))]
pub struct LocationsReplaced {
    pub partner_id: PartnerId,
    /// How many locations the partner has now.
    pub locations: u64,
}

#[derive(Serialize, ToSchema)]
pub struct LocationList {
    pub partner_id: PartnerId,
    pub locations: Vec<Location>,
    pub next_cursor: Option<String>,
}

/// A dispatch started (or planned again).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"case_id": "01938f3e-8a2b-7c41-9d55-2f6a0e1b7c3d", "version": 2,
    "states": ["MD"], "started_at": "2026-11-19T02:31:00Z",
    "planned": {"queued": 37, "issued": 35, "updated": 2, "withdrawn": 0,
                "superseded_recipients": 0, "not_before": "2026-11-19T02:31:00Z", "skipped": []}}))]
pub struct Dispatched {
    pub case_id: CaseId,
    /// The case version partners are sent.
    pub version: u32,
    /// USPS codes added to the region.
    pub states: Vec<String>,
    #[schema(format = DateTime)]
    pub started_at: String,
    pub planned: Planned,
}

/// Who has which version of a case's poster.
#[derive(Serialize, ToSchema)]
pub struct Distributions {
    pub case_id: CaseId,
    pub case_version: i64,
    pub distribution: Option<DistributionView>,
    pub recipients: Vec<Recipient>,
    /// Partners among the recipients whose deliveries are stopped until an operator enables them.
    pub disabled_partners: Vec<PartnerHealth>,
    /// Of a closed case: every recipient whose takedown has not arrived yet.
    pub takedown_pending: Vec<TakedownPending>,
}

#[derive(Serialize, ToSchema)]
pub struct DistributionView {
    /// False once the case is taken down.
    pub active: bool,
    pub poster_version: u32,
    pub states: Vec<String>,
    #[schema(format = DateTime)]
    pub started_at: String,
    #[schema(format = DateTime)]
    pub planned_at: String,
    #[schema(format = DateTime)]
    pub next_retarget_at: String,
    #[schema(format = DateTime)]
    pub taken_down_at: Option<String>,
    #[schema(format = DateTime)]
    pub takedown_done_at: Option<String>,
}

/// One recipient of a case: what it holds now and everything sent to it.
#[derive(Serialize, ToSchema)]
pub struct Recipient {
    pub partner_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_ref: Option<String>,
    /// Where its newest delivery is.
    #[schema(pattern = "^(pending|sending|delivered|failed|acknowledged|superseded|withdrawn)$")]
    pub state: &'static str,
    /// The version it holds (its last poster delivered and not withdrawn since).
    pub holds: Option<u32>,
    pub attempts: u32,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub timeline: Vec<DeliveryView>,
}

#[derive(Serialize, ToSchema)]
pub struct TakedownPending {
    pub partner_id: String,
    pub location_ref: Option<String>,
    pub delivery_id: String,
    pub channel: crate::store::outbox::Channel,
    pub state: DeliveryState,
    pub attempts: u32,
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
}

/// A delivery in the pull feed: the webhook body with its feed position and state. Of a closed
/// case the body withdraws the poster and carries nothing of the child.
#[derive(Serialize, ToSchema)]
pub struct FeedItem {
    #[serde(flatten)]
    pub payload: WebhookPayload,
    /// The feed position: a cursor resumes after it.
    pub seq: i64,
    pub state: DeliveryState,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeedPage {
    pub deliveries: Vec<FeedItem>,
    /// The feed position to resume after (the older parameter `after`).
    pub next_after: i64,
    pub next_cursor: Option<String>,
}

/// An acknowledged delivery.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "msg_01a2333c7cf373fd8aa74475e847ada6", "state": "acknowledged",
    "acked_at": "2026-11-19T03:02:11Z"}))]
pub struct Acked {
    pub id: String,
    pub state: DeliveryState,
    #[schema(format = DateTime)]
    pub acked_at: Option<String>,
}

/// A targeting preview: a GeoJSON FeatureCollection (RFC 7946) of the region's pieces and the
/// selected locations, with the partners chosen and skipped. Built as GeoJSON by
/// [`crate::targeting::preview`]; this type describes it, and a test holds the two together.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TargetingPreview {
    #[schema(rename = "type", pattern = "^FeatureCollection$")]
    kind: String,
    /// The region's pieces (circles, corridors, states) and then each selected location as a Point.
    features: Vec<GeoFeature>,
    partners: Vec<PreviewPartner>,
    skipped: Vec<PreviewSkipped>,
    totals: PreviewTotals,
    case_id: CaseId,
    version: i64,
    /// The moment targeted for.
    #[schema(format = DateTime)]
    at: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GeoFeature {
    #[schema(rename = "type", pattern = "^Feature$")]
    kind: String,
    /// A GeoJSON geometry: Point, Polygon or MultiPolygon.
    geometry: Object,
    properties: Object,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PreviewPartner {
    partner_id: PartnerId,
    name: String,
    kind: crate::partners::PartnerKind,
    locations: u64,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PreviewSkipped {
    partner_id: PartnerId,
    name: String,
    reason: crate::targeting::select::SkipReason,
    locations: u64,
    refs: Vec<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PreviewTotals {
    partners: u64,
    locations: u64,
}

/// Any JSON object.
type Object = serde_json::Map<String, serde_json::Value>;
