//! Operations: health, readiness, the OpenAPI document against the router, request ids, JSON for
//! unmatched requests, the token command, and graceful shutdown of the real binary.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Backend, case_doc, error_of, spawn_app, spawn_app_with};
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Store};
use serde_json::Value;

async fn health_readiness_and_request_ids(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID request id");
    let res = app
        .client
        .get(app.url("/readyz"))
        .header("x-request-id", "given-id-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["x-request-id"],
        "given-id-1",
        "a caller's id is kept"
    );

    let (code, _) = error_of(
        app.client.get(app.url("/v1/nowhere")).send().await.unwrap(),
        404,
    )
    .await;
    assert_eq!(code, "not_found");
    // outside the API's paths a person gets a page, not JSON
    let res = app.client.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("There is nothing here"));
    let (code, _) = error_of(
        app.client.put(app.url("/v1/cases")).send().await.unwrap(),
        405,
    )
    .await;
    assert_eq!(code, "method_not_allowed");

    // The database gone: not ready, but alive.
    app.store.close().await;
    let (code, _) = error_of(
        app.client.get(app.url("/readyz")).send().await.unwrap(),
        503,
    )
    .await;
    assert_eq!(code, "unavailable");
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
both!(health_readiness_and_request_ids);

fn openapi_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn openapi_describes_exactly_the_routes_served() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let served: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented = openapi_operations(&served);
    let routed: BTreeSet<(String, String)> = lookout::api::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed);
    for op in served["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|i| i.as_object().unwrap().values())
    {
        assert!(
            op["summary"].is_string() && op["responses"].is_object(),
            "{op}"
        );
    }

    // Each route in the table really is served: no request to it meets the fallbacks.
    let placeholder = uuid::Uuid::now_v7().to_string();
    for (method, path) in &routed {
        let url = app.url(
            &path
                .replace(
                    "{id}",
                    if path.contains("partners") {
                        "test-partner"
                    } else {
                        &placeholder
                    },
                )
                .replace("{version}", "1")
                .replace("{format}", "letter"),
        );
        let req = app
            .client
            .request(method.parse().unwrap(), url)
            .bearer_auth(&app.admin)
            .header("content-type", "application/json")
            .body("{}");
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 405, "{method} {path}");
        assert!(
            !body["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("no route"),
            "{method} {path} is not routed"
        );
        assert!(status < 500, "{method} {path}: {status} {body}");
    }
}

fn lookout() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lookout"))
}

#[test]
fn token_create_prints_the_token_alone_on_its_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = lookout()
        .args([
            "token",
            "create",
            "--role",
            "case_manager",
            "--database",
            &db,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("lk_") && !last.contains(' '), "{stdout}");

    let out = lookout()
        .args(["token", "create", "--role", "partner", "--database", &db])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("--partner: "));
    let out = lookout()
        .args(["token", "create", "--role", "root", "--database", &db])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = lookout()
        .args(["migrate", "--database", "mysql://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // Only the hash is stored: the secret appears nowhere in the database file.
    let bytes = std::fs::read(dir.path().join("t.db")).unwrap();
    let wal = std::fs::read(dir.path().join("t.db-wal")).unwrap_or_default();
    let needle = last.as_bytes();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle),
            "the token is stored in clear"
        );
    }
}

/// Start `lookout serve` on port 0 and return it with the address it printed.
fn start_server(db: &str) -> (std::process::Child, String) {
    let mut child = lookout()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", db])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.strip_prefix("lookout listening on http://") {
            break rest.trim().to_string();
        }
    };
    // Keep draining the logs so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (token, photo) = rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let token = store
            .create_token(
                lookout::store::Role::CaseManager,
                None,
                None,
                &Actor::System("test"),
            )
            .await
            .unwrap()
            .secret;
        let photo = PreparedPhoto {
            jpeg: lookout::app::portrait_jpeg(5),
            width: 600,
            height: 750,
        };
        let photo = store
            .put_photo(&photo, &Actor::System("test"), None)
            .await
            .unwrap()
            .id;
        store.close().await;
        (token, photo.to_string())
    });
    let (mut child, addr) = start_server(&db);

    let body = serde_json::to_vec(&case_doc("2026-009001", &photo)).unwrap();
    let mut stream = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "POST /v1/cases HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server quit with a request in flight"
    );

    stream.write_all(&body[body.len() / 2..]).unwrap();
    let mut response = String::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let status = wait_for(&mut child, Duration::from_secs(10));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "clean exit after the last request"
    );
    assert!(TcpStream::connect(&addr).is_err(), "no longer listening");
}

fn wait_for(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

/// `/metrics` needs an admin token on the service's address; `metrics_listen` serves it, and
/// nothing else, without one.
async fn metrics_need_a_token_or_their_own_address(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let Some(app) = spawn_app_with(backend, |c| c.metrics_listen = Some(port)).await else {
        return;
    };
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(error_of(res, 401).await.0, "unauthenticated");
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 403).await.0, "forbidden");
    assert!(app.metrics().await.contains("lookout_"));

    let open = app
        .client
        .get(format!("http://{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 200);
    assert!(open.text().await.unwrap().contains("lookout_"));
    let other = app
        .client
        .get(format!("http://{port}/v1/cases"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "only /metrics is served there");
}
both!(metrics_need_a_token_or_their_own_address);
