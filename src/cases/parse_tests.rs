use super::*;

const EXAMPLE: &str = include_str!("../../tests/fixtures/case-example.json");

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn with(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Case, CaseError> {
    let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    edit(&mut v);
    parse_case(v.to_string().as_bytes(), today())
}

#[test]
fn example_parses_and_round_trips() {
    let case = parse_case(EXAMPLE.as_bytes(), today()).unwrap();
    assert_eq!(case.children.len(), 2);
    assert_eq!(case.children[1].name, "Tomás Ortega");
    assert_eq!(case.languages, vec![Lang::En, Lang::Es]);
    let again = serde_json::to_vec(&case).unwrap();
    assert_eq!(parse_case(&again, today()).unwrap(), case);
}

#[test]
fn a_bad_date_names_its_field() {
    let err = with(|v| v["children"][0]["date_of_birth"] = "2015-13-40".into()).unwrap_err();
    assert_eq!(err.to_string(), "children[0].date_of_birth: not a date");
}

#[test]
fn missing_and_unknown_fields_are_named() {
    let err = with(|v| {
        v["contact"].as_object_mut().unwrap().remove("phone");
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "contact.phone: required");
    let err = with(|v| v["children"][1]["nickname"] = "T".into()).unwrap_err();
    assert_eq!(err.to_string(), "children[1].nickname: unknown field");
}

#[test]
fn wrong_enum_and_type_are_named() {
    let err = with(|v| v["case_type"] = "kidnapping".into()).unwrap_err();
    assert!(
        err.to_string().starts_with("case_type: unknown variant"),
        "{err}"
    );
    let err = with(|v| v["missing_from"]["lat"] = "north".into()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("missing_from.lat: invalid type"),
        "{err}"
    );
}

#[test]
fn value_rules_report_every_problem() {
    let err = with(|v| {
        v["missing_since"] = "2027-01-01".into();
        v["missing_from"]["lat"] = 91.0.into();
        v["children"][0]["photos"] = serde_json::json!([]);
        v["case_number"] = "x".repeat(33).into();
    })
    .unwrap_err();
    let fields: Vec<String> = err.fields().into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "case_number",
            "missing_since",
            "missing_from.lat",
            "children[0].photos"
        ]
    );
}

#[test]
fn children_count_is_bounded() {
    let err = with(|v| {
        let c = v["children"][0].clone();
        v["children"] = serde_json::json!([c.clone(), c.clone(), c.clone(), c]);
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "children: must have 1 to 3 entries");
}

#[test]
fn photo_needs_exactly_one_source() {
    let err = with(|v| v["children"][0]["photos"][0]["photo_id"] = "abc".into()).unwrap_err();
    assert!(
        err.to_string().starts_with("children[0].photos[0]"),
        "{err}"
    );
}

#[test]
fn bare_date_is_accepted_for_missing_since() {
    let case = with(|v| v["missing_since"] = "2026-11-18".into()).unwrap();
    assert_eq!(case.missing_since.local_date().to_string(), "2026-11-18");
}

#[test]
fn the_agency_email_for_tips_is_optional_and_checked() {
    let case = with(|v| v["contact"]["email"] = "tips@apd.example".into()).unwrap();
    assert_eq!(case.contact.email.as_deref(), Some("tips@apd.example"));
    let err = with(|v| v["contact"]["email"] = "the detective".into()).unwrap_err();
    assert!(err.to_string().starts_with("contact.email:"), "{err}");
}
