//! The OpenAPI document against what the service answers: a tour of every operation, as each role
//! and with the errors a client meets, holding every response to its documented status, content
//! type and schema. The document is the one served at `/openapi.json`, derived from the code.

mod common;

use common::contract::Contract;
use common::{Backend, TestApp, case_doc, spawn_app};
use serde_json::{Value, json};

const ALEXANDRIA: (f64, f64) = (38.8048, -77.0469);

struct Tour<'a> {
    app: &'a TestApp,
    contract: Contract,
}

impl Tour<'_> {
    /// Sends `method path` with `token` and an optional JSON body; checks the answer against the
    /// document and that its status is `expect`.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expect: u16,
    ) -> Value {
        let m: reqwest::Method = method.parse().unwrap();
        let mut req = self.app.client.request(m, self.app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let checked = self.contract.check(method, req.send().await.unwrap()).await;
        assert_eq!(checked.status, expect, "{method} {path}: {}", checked.body);
        checked.body
    }
}

async fn every_operation_answers_as_documented(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t = Tour {
        app: &app,
        contract: Contract::new(doc),
    };
    let (admin, manager, partner) = (
        Some(app.admin.as_str()),
        Some(app.manager.as_str()),
        Some(app.partner.as_str()),
    );

    // operations
    t.call("GET", "/healthz", None, None, 200).await;
    t.call("GET", "/readyz", None, None, 200).await;
    t.call("GET", "/openapi.json", None, None, 200).await;
    t.call("GET", "/metrics", admin, None, 200).await;
    t.call("GET", "/metrics", None, None, 401).await;
    t.call("GET", "/metrics", manager, None, 403).await;

    // partners and locations
    let store =
        json!([{"ref": "p1", "name": "Pull store", "lat": ALEXANDRIA.0, "lon": ALEXANDRIA.1}]);
    t.call(
        "PUT",
        "/v1/partners/test-partner/locations",
        admin,
        Some(&store),
        200,
    )
    .await;
    let hook = json!({
        "id": "hook-partner", "name": "Hook Stores", "kind": "retail",
        "delivery": {"webhook": {"url": "https://hooks.example.org/in", "secret": "whsec_a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="}},
        "cadence": {"daily": {"at": "07:00", "time_zone": "America/New_York"}}
    });
    let created = t
        .call("POST", "/v1/partners", admin, Some(&hook), 201)
        .await;
    assert_eq!(created["partner"]["delivery"]["webhook"]["secret"], "(set)");
    t.call("POST", "/v1/partners", admin, Some(&hook), 409)
        .await;
    let coverage = json!([{"ref": "paper", "name": "The Gazette", "lat": 38.8, "lon": -77.0,
        "coverage": [{"exterior": [{"x": -77.1, "y": 38.7}, {"x": -76.9, "y": 38.7}, {"x": -76.9, "y": 38.9}, {"x": -77.1, "y": 38.7}], "interiors": []}]}]);
    t.call(
        "PUT",
        "/v1/partners/hook-partner/locations",
        admin,
        Some(&coverage),
        200,
    )
    .await;
    let hostile = json!([{"ref": "x", "name": "X", "lat": 1e19, "lon": 0}]);
    t.call(
        "PUT",
        "/v1/partners/hook-partner/locations",
        admin,
        Some(&hostile),
        422,
    )
    .await;
    t.call("GET", "/v1/partners", manager, None, 200).await;
    t.call("GET", "/v1/partners?limit=1", admin, None, 200)
        .await;
    t.call("GET", "/v1/partners?limit=0", admin, None, 400)
        .await;
    t.call("GET", "/v1/partners/hook-partner", manager, None, 200)
        .await;
    t.call("GET", "/v1/partners/test-partner", partner, None, 200)
        .await;
    t.call("GET", "/v1/partners/hook-partner", partner, None, 403)
        .await;
    t.call("GET", "/v1/partners/nobody", admin, None, 404).await;
    let patch = json!({"name": "Hook Stores East"});
    t.call(
        "PATCH",
        "/v1/partners/hook-partner",
        admin,
        Some(&patch),
        200,
    )
    .await;
    t.call(
        "PATCH",
        "/v1/partners/hook-partner",
        manager,
        Some(&patch),
        403,
    )
    .await;
    t.call(
        "GET",
        "/v1/partners/hook-partner/locations",
        admin,
        None,
        200,
    )
    .await;
    t.call(
        "GET",
        "/v1/partners/test-partner/locations?limit=1",
        partner,
        None,
        200,
    )
    .await;
    t.call("POST", "/v1/partners/hook-partner/enable", admin, None, 204)
        .await;

    // cases
    let photo = app.photo(3).await;
    let doc = case_doc("CT-1", &photo);
    let case = t.call("POST", "/v1/cases", manager, Some(&doc), 201).await;
    let id = case["id"].as_str().unwrap().to_string();
    t.call("POST", "/v1/cases", manager, Some(&doc), 409).await;
    let mut bad = doc.clone();
    bad["children"][0]["date_of_birth"] = json!("2099-01-01");
    bad["case_number"] = json!("CT-2");
    t.call("POST", "/v1/cases", manager, Some(&bad), 422).await;
    t.call("POST", "/v1/cases", partner, Some(&doc), 403).await;
    t.call("POST", "/v1/cases", None, Some(&doc), 401).await;
    t.call("GET", "/v1/cases", manager, None, 200).await;
    t.call("GET", "/v1/cases?status=active&limit=1", manager, None, 200)
        .await;
    t.call("GET", "/v1/cases?status=lost", manager, None, 400)
        .await;
    t.call("GET", &format!("/v1/cases/{id}"), manager, None, 200)
        .await;
    t.call("GET", "/v1/cases/not-an-id", manager, None, 404)
        .await;
    let fix = json!({"circumstances": "Corrected for a test."});
    t.call(
        "PATCH",
        &format!("/v1/cases/{id}"),
        manager,
        Some(&fix),
        200,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/versions"),
        manager,
        None,
        200,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/versions/1"),
        manager,
        None,
        200,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/versions/9"),
        manager,
        None,
        404,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/posters/letter"),
        manager,
        None,
        200,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/posters/square?lang=es"),
        manager,
        None,
        200,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/posters/poster"),
        manager,
        None,
        400,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/targeting"),
        manager,
        None,
        200,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/targeting.svg"),
        manager,
        None,
        200,
    )
    .await;

    // distribution and the partner feed
    let states = json!({"states": ["MD"]});
    t.call(
        "POST",
        &format!("/v1/cases/{id}/dispatch"),
        manager,
        Some(&states),
        202,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/distributions"),
        manager,
        None,
        200,
    )
    .await;
    let feed = t
        .call("GET", "/partner/v1/deliveries", partner, None, 200)
        .await;
    let delivery = feed["deliveries"][0]["id"].as_str().unwrap().to_string();
    t.call("GET", "/partner/v1/deliveries?limit=1", partner, None, 200)
        .await;
    t.call("GET", "/partner/v1/deliveries", manager, None, 403)
        .await;
    let one = format!("/partner/v1/deliveries/{delivery}");
    t.call("GET", &one, partner, None, 200).await;
    t.call("GET", &format!("{one}/posters/letter"), partner, None, 200)
        .await;
    t.call("GET", &format!("{one}/cap"), partner, None, 200)
        .await;
    let (_, alert) = app.text(&format!("{one}/cap"), &app.partner).await;
    common::xml::assert_valid_cap(&alert);
    t.call("GET", "/partner/v1/cap", partner, None, 200).await;
    t.call("POST", &format!("{one}/ack"), partner, None, 200)
        .await;
    t.call("GET", "/partner/v1/deliveries/nothing", partner, None, 404)
        .await;
    let link = feed["deliveries"][0]["posters"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let link = link.split_once("://").unwrap().1;
    let link = &link[link.find('/').unwrap()..];
    t.call("GET", link, None, None, 200).await;
    // the same link with another expiry: the signature no longer holds
    let forged: String = link
        .split('&')
        .map(|kv| {
            if kv.starts_with("exp=") {
                "exp=4102444800"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    t.call("GET", &forged, None, None, 403).await;

    // closing the case: the feed withdraws, nothing of the child is served
    let resolve = json!({"outcome": "found_safe", "reason": "Found by family"});
    t.call(
        "POST",
        &format!("/v1/cases/{id}/resolve"),
        manager,
        Some(&resolve),
        200,
    )
    .await;
    t.call(
        "POST",
        &format!("/v1/cases/{id}/resolve"),
        manager,
        Some(&resolve),
        409,
    )
    .await;
    t.call(
        "GET",
        &format!("/v1/cases/{id}/distributions"),
        manager,
        None,
        200,
    )
    .await;
    let after = t
        .call("GET", "/partner/v1/deliveries", partner, None, 200)
        .await;
    assert!(!after.to_string().contains("Test Child"), "{after}");
    t.call("GET", &one, partner, None, 200).await;
    t.call("GET", &format!("{one}/posters/letter"), partner, None, 410)
        .await;
    // the takedown is a CAP Cancel, valid too
    let takedown = after["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "poster.withdrawn")
        .expect("a takedown in the feed");
    let cancel = format!(
        "/partner/v1/deliveries/{}/cap",
        takedown["id"].as_str().unwrap()
    );
    let (status, cancel) = app.text(&cancel, &app.partner).await;
    assert_eq!(status, 200, "{cancel}");
    assert!(cancel.contains("<msgType>Cancel</msgType>"), "{cancel}");
    common::xml::assert_valid_cap(&cancel);

    // photos
    let jpeg = std::fs::read("tests/fixtures/photos/mara.jpg").unwrap();
    for (kind, body, status) in [
        ("image/jpeg", jpeg, 201),
        ("image/jpeg", b"not a picture".to_vec(), 422),
        ("text/plain", b"x".to_vec(), 415),
    ] {
        let res = app
            .client
            .post(app.url("/v1/photos"))
            .bearer_auth(&app.manager)
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(t.contract.check("POST", res).await.status, status, "{kind}");
    }

    // tokens and the audit log
    let body = json!({"role": "partner", "partner_id": "hook-partner", "label": "Hook IT"});
    let token = t.call("POST", "/v1/tokens", admin, Some(&body), 201).await;
    t.call(
        "POST",
        "/v1/tokens",
        admin,
        Some(&json!({"role": "partner"})),
        422,
    )
    .await;
    t.call("GET", "/v1/tokens", admin, None, 200).await;
    t.call("GET", "/v1/tokens?limit=1", admin, None, 200).await;
    let token_id = token["id"].as_str().unwrap();
    t.call(
        "DELETE",
        &format!("/v1/tokens/{token_id}"),
        admin,
        None,
        204,
    )
    .await;
    t.call("GET", "/v1/audit", admin, None, 200).await;
    t.call(
        "GET",
        &format!("/v1/audit?case_id={id}&limit=2"),
        admin,
        None,
        200,
    )
    .await;
    t.call("GET", "/v1/audit?cursor=bogus", admin, None, 400)
        .await;
}
both!(every_operation_answers_as_documented);

/// Every operation names its responses and its roles; the webhooks are described.
#[test]
fn the_document_describes_security_and_webhooks() {
    let doc: Value = serde_json::from_str(lookout::api::openapi_document()).unwrap();
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for role in ["admin", "case_manager", "partner"] {
        assert_eq!(schemes[role]["scheme"], "bearer", "{role}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["responses"]["default"].is_object(), "{method} {path}");
            let open = ["/healthz", "/readyz", "/openapi.json"].contains(&path.as_str())
                || path.starts_with("/p/");
            assert_eq!(op["security"].is_array(), !open, "{method} {path}");
        }
    }
    for event in ["poster.issued", "poster.updated", "poster.withdrawn"] {
        let hook = &doc["webhooks"][event]["post"];
        assert_eq!(
            hook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/WebhookPayload",
            "{event}"
        );
        let headers: Vec<&str> = hook["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
    }
    // the case format is described whole, not as a bare object
    let case = &doc["components"]["schemas"]["Case"];
    for field in ["case_number", "children", "contact", "missing_from"] {
        assert!(case["properties"][field].is_object(), "{field}");
    }
}

/// Every example in the document is an instance of the schema it illustrates.
#[test]
fn every_example_matches_its_schema() {
    let doc: Value = serde_json::from_str(lookout::api::openapi_document()).unwrap();
    let contract = Contract::new(doc.clone());
    let mut seen = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if let Some(example) = schema.get("example") {
            contract.validate(schema, example, &format!("the example of {name}"));
            seen += 1;
        }
    }
    assert!(seen >= 8, "only {seen} examples");
}
