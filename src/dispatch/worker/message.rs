//! What a claimed delivery says: the webhook body, the email's parts, the pull API's item. Pure:
//! the case version, the partner and the clock come in; nothing is read or sent here.

use chrono::{DateTime, Utc};

use crate::cases::{Case, CaseStatus, Lang};
use crate::config::Organisation;
use crate::dispatch::links::{LinkSigner, PosterLink};
use crate::dispatch::payload::{self, CaseSummary, PosterFile, WebhookPayload};
use crate::partners::Partner;
use crate::store::outbox::WithdrawReason;
use crate::store::outbox::{DeliveryLocation, Kind};

/// Poster links in a message stay valid this long: long enough for a store to print the poster days
/// later, short enough that an old message does not publish a case for ever.
pub const LINK_LIFETIME: chrono::Duration = chrono::Duration::days(14);

/// Everything a message is built from.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub delivery_id: &'a str,
    pub kind: Kind,
    pub reason: Option<WithdrawReason>,
    pub version: u32,
    /// The case as that version printed it.
    pub case: &'a Case,
    pub issue_date: chrono::NaiveDate,
    pub locations: &'a [DeliveryLocation],
    pub partner: &'a Partner,
    pub organisation: &'a Organisation,
    pub now: DateTime<Utc>,
}

pub fn payload_reason(r: WithdrawReason) -> payload::WithdrawReason {
    match r {
        WithdrawReason::FoundSafe => payload::WithdrawReason::Resolved,
        WithdrawReason::Closed => payload::WithdrawReason::Cancelled,
        WithdrawReason::OutsideRegion => payload::WithdrawReason::OutOfRegion,
    }
}

/// The languages the partner gets posters in: those it takes of the case's, else the case's first.
pub fn languages(partner: &Partner, case: &Case) -> Vec<Lang> {
    let both: Vec<Lang> = case
        .languages
        .iter()
        .copied()
        .filter(|l| partner.languages.contains(l))
        .collect();
    if both.is_empty() {
        case.languages.first().copied().into_iter().collect()
    } else {
        both
    }
}

/// The case as the message shows it: all the poster prints, or for a withdrawal only its number.
pub fn summary(a: &About<'_>) -> CaseSummary {
    match a.kind {
        Kind::Withdrawn => {
            let status = match a.reason {
                Some(WithdrawReason::FoundSafe) => CaseStatus::Resolved,
                Some(WithdrawReason::Closed) => CaseStatus::Cancelled,
                _ => a.case.status,
            };
            CaseSummary::withdrawn(&a.case.case_number, a.case.case_type, status)
        }
        _ => CaseSummary::from_case(a.case, a.issue_date, &a.organisation.hotline),
    }
}

/// Signed links to every poster file the partner takes; none for a withdrawal.
pub fn poster_files(a: &About<'_>, links: &LinkSigner) -> Vec<PosterFile> {
    if a.kind == Kind::Withdrawn {
        return Vec::new();
    }
    let expires = a.now + LINK_LIFETIME;
    let mut files = Vec::new();
    for lang in languages(a.partner, a.case) {
        for &format in &a.partner.formats {
            let link = PosterLink {
                case_number: a.case.case_number.clone(),
                version: a.version,
                format,
                lang,
                expires,
                delivery: Some(a.delivery_id.to_string()),
            };
            files.push(PosterFile {
                format,
                lang,
                url: links.sign(&link),
                content_type: format.content_type().to_string(),
                expires,
            });
        }
    }
    files
}

pub fn webhook_payload(a: &About<'_>, links: &LinkSigner) -> WebhookPayload {
    WebhookPayload {
        event: a.kind.into(),
        id: a.delivery_id.to_string(),
        timestamp: a.now,
        case: summary(a),
        version: a.version,
        locations: a.locations.iter().map(|l| l.reference.clone()).collect(),
        posters: poster_files(a, links),
        pdf_base64: None,
        reason: a.reason.map(payload_reason),
    }
}

/// Who an email goes to: a location's own address when the partner takes posters per location and
/// the location has one, else the partner's addresses.
pub fn email_recipients(
    partner: &Partner,
    locations: &[DeliveryLocation],
    per_location: bool,
) -> Vec<String> {
    if per_location && let Some(own) = locations.first().and_then(|l| l.email.clone()) {
        return vec![own];
    }
    match &partner.delivery {
        crate::partners::Delivery::Email(list) => list.clone(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partners::{Delivery, PartnerId};

    fn case() -> Case {
        let json = include_str!("../../../tests/fixtures/case-example.json");
        crate::cases::parse_case(json.as_bytes(), "2026-11-23".parse().unwrap()).unwrap()
    }

    fn partner() -> Partner {
        let mut p = Partner::accept_all(PartnerId::parse("mart").unwrap(), "Mart".into());
        p.languages = vec![Lang::Es];
        p.delivery = Delivery::Email(vec!["posters@mart.example".into()]);
        p
    }

    fn about<'a>(
        case: &'a Case,
        partner: &'a Partner,
        org: &'a Organisation,
        kind: Kind,
        reason: Option<WithdrawReason>,
        locations: &'a [DeliveryLocation],
    ) -> About<'a> {
        About {
            delivery_id: "msg_1",
            kind,
            reason,
            version: 3,
            case,
            issue_date: "2026-11-20".parse().unwrap(),
            locations,
            partner,
            organisation: org,
            now: "2026-11-23T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn withdrawals_carry_the_number_and_reason_only() {
        let (c, p, org) = (case(), partner(), Organisation::default());
        let links = LinkSigner::new("https://lookout.example.org", &[7; 32]).unwrap();
        let a = about(
            &c,
            &p,
            &org,
            Kind::Withdrawn,
            Some(WithdrawReason::FoundSafe),
            &[],
        );
        let body = webhook_payload(&a, &links);
        assert!(body.posters.is_empty());
        assert_eq!(body.reason, Some(payload::WithdrawReason::Resolved));
        assert_eq!(body.case.status, CaseStatus::Resolved);
        let text = String::from_utf8(body.to_json()).unwrap();
        assert!(
            !text.contains(&c.children[0].name),
            "a name in a withdrawal: {text}"
        );
        let a = about(&c, &p, &org, Kind::Issued, None, &[]);
        let body = webhook_payload(&a, &links);
        assert!(
            String::from_utf8(body.to_json())
                .unwrap()
                .contains(&c.children[0].name)
        );
    }

    #[test]
    fn links_follow_the_partners_languages_and_formats() {
        let (mut c, p, org) = (case(), partner(), Organisation::default());
        c.languages = vec![Lang::En, Lang::Es];
        let links = LinkSigner::new("https://lookout.example.org", &[7; 32]).unwrap();
        let a = about(&c, &p, &org, Kind::Updated, None, &[]);
        let files = poster_files(&a, &links);
        assert_eq!(files.len(), p.formats.len());
        assert!(files.iter().all(|f| f.lang == Lang::Es));
        let verified = links.verify_url(&files[0].url, a.now).unwrap();
        assert_eq!(verified.version, 3);
        c.languages = vec![Lang::En];
        assert_eq!(languages(&p, &c), vec![Lang::En]);
    }

    #[test]
    fn per_location_email_goes_to_the_store_when_it_has_an_address() {
        let p = partner();
        let store = DeliveryLocation {
            reference: "0412".into(),
            name: "Store 412".into(),
            email: Some("store412@mart.example".into()),
        };
        assert_eq!(
            email_recipients(&p, std::slice::from_ref(&store), true),
            ["store412@mart.example"]
        );
        assert_eq!(
            email_recipients(&p, &[store], false),
            ["posters@mart.example"]
        );
    }
}
