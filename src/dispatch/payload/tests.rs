use super::*;
use crate::cases::parse_case;

fn example() -> Case {
    let json = include_bytes!("../../../tests/fixtures/case-example.json");
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    parse_case(json, today).unwrap()
}

fn ts() -> DateTime<Utc> {
    "2026-11-19T02:31:00Z".parse().unwrap()
}

#[test]
fn issued_payload_has_the_documented_shape() {
    let case = example();
    let issue = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
    let p = WebhookPayload {
        event: EventType::Issued,
        id: "0190d3f2-delivery".into(),
        timestamp: ts(),
        case: CaseSummary::from_case(&case, issue, "1-800-THE-LOST"),
        version: 2,
        locations: vec!["0412".into()],
        posters: vec![PosterFile {
            format: Format::Letter,
            lang: Lang::Es,
            url: "https://x.example/p/1/2/letter?sig=a".into(),
            content_type: "application/pdf".into(),
            expires: ts(),
        }],
        pdf_base64: None,
        reason: None,
    };
    let v: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
    assert_eq!(v["type"], "poster.issued");
    assert_eq!(v["id"], "0190d3f2-delivery");
    assert_eq!(v["timestamp"], "2026-11-19T02:31:00Z");
    assert_eq!(v["version"], 2);
    assert_eq!(v["case"]["case_number"], case.case_number.as_str());
    assert_eq!(
        v["case"]["children"][0]["name"],
        case.children[0].name.as_str()
    );
    let born = case.children[0].date_of_birth.0;
    assert_eq!(v["case"]["children"][0]["age"], age_on(born, issue));
    assert_eq!(v["case"]["contact"]["hotline"], "1-800-THE-LOST");
    assert_eq!(v["posters"][0]["format"], "letter");
    assert_eq!(v["posters"][0]["lang"], "es");
    assert!(v.get("pdf_base64").is_none() && v.get("reason").is_none());
    if let Some(vehicle) = v["case"]["companions"][0]["vehicle"].as_str() {
        assert!(!vehicle.starts_with(','), "{vehicle}");
    }
    // Internal photo references never leave the service.
    let text = String::from_utf8(p.to_json()).unwrap();
    assert!(
        !text.contains("photos/") && !text.contains("photo_id"),
        "{text}"
    );
    let back: WebhookPayload = serde_json::from_slice(&p.to_json()).unwrap();
    assert_eq!(back, p);
}

#[test]
fn withdrawal_carries_no_personal_data() {
    let case = example();
    let p = WebhookPayload {
        event: EventType::Withdrawn,
        id: "d-2".into(),
        timestamp: ts(),
        case: CaseSummary::withdrawn(&case.case_number, case.case_type, CaseStatus::Resolved),
        version: 3,
        locations: vec!["0412".into()],
        posters: vec![],
        pdf_base64: None,
        reason: Some(WithdrawReason::Resolved),
    };
    let text = String::from_utf8(p.to_json()).unwrap();
    assert!(text.contains(r#""type":"poster.withdrawn""#));
    assert!(text.contains(r#""reason":"resolved""#));
    for person in case
        .children
        .iter()
        .map(|c| &c.name)
        .chain(case.companions.iter().map(|c| &c.name))
    {
        assert!(!text.contains(person.as_str()), "{person} leaked");
    }
    assert!(!text.contains(&case.contact.phone));
    assert!(!text.contains(&case.missing_from.display()));
}
