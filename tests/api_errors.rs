//! Bad input: every error is JSON `{code, message, field}` with a 4xx, bodies are bounded, unknown
//! fields refused, and no mutated body takes the service to a 5xx.

mod common;

use common::{Backend, case_doc, error_of, spawn_app};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

async fn bodies_are_checked_and_bounded(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let photo = app.photo(4).await;
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/v1/cases"))
            .bearer_auth(&app.manager)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let (code, field) = error_of(
        post(b"{not json".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("malformed", Some("body"))
    );
    let (code, _) = error_of(post(b"{}".to_vec(), "text/plain").await.unwrap(), 415).await;
    assert_eq!(code, "unsupported_media_type");

    let mut unknown = case_doc("2026-002001", &photo);
    unknown["children"][0]["nickname"] = json!("x");
    let (code, field) = error_of(
        post(unknown.to_string().into_bytes(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("malformed", Some("children[0].nickname"))
    );

    let mut future = case_doc("2026-002002", &photo);
    future["missing_since"] = json!("2999-01-01");
    let (code, field) = error_of(
        post(future.to_string().into_bytes(), "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid", Some("missing_since"))
    );

    let mut big = case_doc("2026-002003", &photo);
    big["circumstances"] = json!("x".repeat(300 * 1024));
    let (code, _) = error_of(
        post(big.to_string().into_bytes(), "application/json")
            .await
            .unwrap(),
        413,
    )
    .await;
    assert_eq!(code, "too_large");

    // A chunked body, with no length given, still meets the limit.
    assert_eq!(
        chunked_post(&app.addr.to_string(), &app.manager, 400 * 1024).await,
        413
    );

    // Query and path problems are named too.
    let res = app
        .get("/v1/cases?colour=red", &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 400).await.1.as_deref(), Some("colour"));
    let res = app
        .get("/v1/cases?limit=lots", &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 400).await.1.as_deref(), Some("limit"));
    let res = app
        .get("/v1/cases?status=lost", &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 400).await.1.as_deref(), Some("status"));
    let res = app
        .get("/v1/cases/not-an-id", &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 404).await.0, "not_found");
    let res = app
        .get("/v1/cases?before=zzz", &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 400).await.1.as_deref(), Some("before"));
    let res = app
        .post_json("/v1/cases", &app.manager, &case_doc("2026-002004", &photo))
        .header("idempotency-key", "")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(res, 400).await.1.as_deref(),
        Some("Idempotency-Key")
    );
}
both!(bodies_are_checked_and_bounded);

/// POST `size` bytes of JSON-ish filler with `Transfer-Encoding: chunked`; the response status.
async fn chunked_post(addr: &str, token: &str, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/cases HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 8192];
    for _ in 0..size / chunk.len() {
        // The server may answer and close before the whole body is sent.
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Send raw bytes, return the response's status.
async fn raw_status(addr: &str, request: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Flip, drop, duplicate and splice bytes and values of a valid document; nothing may give a 5xx.
fn mutate(rng: &mut rand_chacha::ChaCha8Rng, doc: &Value) -> Vec<u8> {
    let text = doc.to_string().into_bytes();
    let mut bytes = text.clone();
    match rng.random_range(0..6) {
        0 => {
            let i = rng.random_range(0..bytes.len());
            bytes[i] = rng.random();
        }
        1 => {
            let i = rng.random_range(0..bytes.len());
            bytes.truncate(i);
        }
        2 => {
            let i = rng.random_range(0..bytes.len());
            let j = rng.random_range(i..bytes.len());
            bytes.drain(i..j);
        }
        3 => {
            let i = rng.random_range(0..bytes.len());
            let piece: Vec<u8> = bytes[i..(i + 12).min(bytes.len())].to_vec();
            let at = rng.random_range(0..bytes.len());
            bytes.splice(at..at, piece);
        }
        4 => {
            // Replace a value by one of another type.
            let mut v = doc.clone();
            let odd = [
                json!(null),
                json!(-1),
                json!(1e308),
                json!("ü\u{0}"),
                json!([]),
                json!({}),
                json!(true),
            ];
            let keys = [
                "case_number",
                "case_type",
                "missing_since",
                "children",
                "contact",
                "travel",
                "languages",
            ];
            v[keys[rng.random_range(0..keys.len())]] = odd[rng.random_range(0..odd.len())].clone();
            bytes = v.to_string().into_bytes();
        }
        _ => {
            let mut v = doc.clone();
            let odd = [
                json!(null),
                json!(-90.5),
                json!("x".repeat(5000)),
                json!([1, 2]),
                json!(1u64 << 60),
            ];
            let fields = ["name", "date_of_birth", "sex", "height_cm", "photos"];
            v["children"][0][fields[rng.random_range(0..fields.len())]] =
                odd[rng.random_range(0..odd.len())].clone();
            bytes = v.to_string().into_bytes();
        }
    }
    bytes
}

async fn mutated_bodies_never_give_a_5xx(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let photo = app.photo(6).await;
    let doc = case_doc("2026-003000", &photo);
    let id = app.create_case("2026-003999").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x1000_00C0);
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..300 {
        let body = mutate(&mut rng, &doc);
        let (method, path) = match i % 3 {
            0 => (reqwest::Method::POST, "/v1/cases".to_string()),
            1 => (reqwest::Method::PATCH, format!("/v1/cases/{id}")),
            _ => (reqwest::Method::POST, format!("/v1/cases/{id}/resolve")),
        };
        let res = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&app.manager)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let json: Value = res.json().await.unwrap_or(Value::Null);
        assert!(
            status < 500,
            "{method} {path} → {status} {json} for {}",
            String::from_utf8_lossy(&body)
        );
        if status >= 400 {
            assert!(
                json["code"].is_string()
                    && json["message"].is_string()
                    && json.get("field").is_some(),
                "{json}"
            );
        }
        *statuses.entry(status).or_insert(0) += 1;
    }
    // The mutations reach past the JSON parser into the checks, and some still pass.
    assert!(
        statuses.contains_key(&400) && statuses.contains_key(&422),
        "{statuses:?}"
    );
    assert!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
    );
}
both!(mutated_bodies_never_give_a_5xx);

async fn broken_photos_are_refused_cleanly(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let upload = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/v1/photos"))
            .bearer_auth(&app.manager)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let (code, field) = error_of(
        upload(b"not an image".to_vec(), "image/jpeg")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("bad_photo", Some("photo"))
    );
    let mut truncated = lookout::app::portrait_jpeg(1);
    truncated.truncate(truncated.len() / 3);
    assert_eq!(
        error_of(upload(truncated, "image/jpeg").await.unwrap(), 422)
            .await
            .0,
        "bad_photo"
    );
    assert_eq!(
        error_of(upload(vec![], "image/png").await.unwrap(), 422)
            .await
            .0,
        "invalid"
    );
    assert_eq!(
        error_of(upload(vec![0; 10], "text/plain").await.unwrap(), 415)
            .await
            .0,
        "unsupported_media_type"
    );
    // Refused on its declared length, before 25 MB is read.
    let addr = app.addr.to_string();
    let head = format!(
        "POST /v1/photos HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.manager,
        lookout::api::PHOTO_LIMIT + 1
    );
    assert_eq!(raw_status(&addr, head.as_bytes()).await, 413);

    let form = "--b0undary\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nno photo here\r\n--b0undary--\r\n";
    let res = app
        .client
        .post(app.url("/v1/photos"))
        .bearer_auth(&app.manager)
        .header("content-type", "multipart/form-data; boundary=b0undary")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 422).await.1.as_deref(), Some("photo"));
    let res = app
        .client
        .post(app.url("/v1/photos"))
        .bearer_auth(&app.manager)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nbroken")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
}
both!(broken_photos_are_refused_cleanly);

/// A case whose text the poster fonts cannot show, or that a poster format cannot hold, is
/// refused at intake, the field named, and nothing is kept: not a case that is accepted and whose every poster then fails in dispatch.
async fn unprintable_text_is_refused_at_intake(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let photo = app.photo(4).await;
    let mut doc = case_doc("2026-002101", &photo);
    // letters no poster font has (Ethiopic, a rare ideograph), and Thai, which must be shaped
    // and which no poster font writes
    // and a name of letters that print, too wide for any billboard even at its smallest size
    // (U+FDFD is one glyph nearly eight ems wide)
    let too_wide = format!("SAMPLE {}", "\u{FDFD}".repeat(73));
    for name in [
        "SAMPLE \u{20BB7}田",
        "SAMPLE ሰላም",
        "SAMPLE สมชาย",
        too_wide.as_str(),
    ] {
        doc["children"][0]["name"] = json!(name);
        let res = app.post("/v1/cases", &app.manager, &doc).await;
        let (code, field) = error_of(res, 422).await;
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid", Some("children[0].name")),
            "{name}"
        );
    }

    // nothing was kept: the same case number is free, and a name in print is taken
    doc["children"][0]["name"] = json!("SAMPLE Zoë Łukasz");
    let res = app.post("/v1/cases", &app.manager, &doc).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // a change that brings in an unprintable letter is refused, and the case stays as it was
    let path = format!("/v1/cases/{id}");
    let res = app
        .patch(
            &path,
            &app.manager,
            &json!({"circumstances": "Seen near ሰ"}),
        )
        .await;
    let (code, field) = error_of(res, 422).await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid", Some("circumstances"))
    );
    let case: Value = app
        .get(&path, &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case["version"], 1);
}
both!(unprintable_text_is_refused_at_intake);
