//! schemathesis over `/openapi.json`, with all its checks, as an admin, a case manager and a
//! partner, each with a fixed seed: every status code, content type, header and response body as
//! documented, and never a server error. The service is the real one over a SQLite file, holding a
//! case already sent to a partner so that the partner's feed has something in it.
//!
//! schemathesis is a Python program (`pip install schemathesis`); `.ci/run` installs it. Outside CI a
//! machine without it skips this test and says so; under `CI=true` its absence fails the test.

mod common;

use std::process::Command;

use common::{Backend, spawn_app};
use serde_json::json;

const SEED: &str = "20261201";
/// Test cases per operation and phase: enough to reach every parameter, small enough for CI.
const EXAMPLES: &str = "12";

/// Schema-valid data may still be refused for what a schema cannot say: a case whose child is born
/// after going missing (422), an opaque cursor made up by the tester (400), a photo whose bytes are
/// not an image (422). A conditional request may be answered 304. Every such answer must still be
/// documented, which `status_code_conformance` checks.
const CONFIG: &str = r#"
[checks.positive_data_acceptance]
expected-statuses = ["2xx", 304, 400, 401, 403, 404, 409, 410, 412, 422]
"#;

/// The `st` command: on the PATH, or where pip put Python's scripts (a fresh pip install may not have
/// made a PATH shim for it yet).
fn schemathesis() -> Option<String> {
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let found = ["st".to_string(), format!("{scripts}/st")]
        .into_iter()
        .find(|bin| {
            Command::new(bin)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "schemathesis is not installed: .ci/run installs it with pip"
        );
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_for_any_role() {
    let Some(st) = schemathesis() else {
        return;
    };
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    app.put_locations(
        "test-partner",
        json!([{"ref": "p1", "name": "Pull store", "lat": 38.8048, "lon": -77.0469}]),
    )
    .await;
    let case = app.create_case("ST-1").await;
    app.dispatch(case["id"].as_str().unwrap()).await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schemathesis.toml"), CONFIG).unwrap();
    let schema = app.url("/openapi.json");
    for (role, token) in [
        ("admin", &app.admin),
        ("case_manager", &app.manager),
        ("partner", &app.partner),
    ] {
        let mut cmd = Command::new(&st);
        cmd.current_dir(dir.path())
            .args(["run", &schema, "--checks", "all", "--seed", SEED])
            .args(["--max-examples", EXAMPLES, "--workers", "1"])
            .args(["--phases", "examples,coverage,fuzzing", "--no-color"])
            .args(["--request-timeout", "30"])
            .arg("--header")
            .arg(format!("Authorization: Bearer {token}"));
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .expect("run schemathesis");
        let text = String::from_utf8_lossy(&out.stdout);
        let summary = text
            .lines()
            .rev()
            .find(|l| l.contains(" in ") && l.contains('='))
            .unwrap_or("");
        eprintln!("schemathesis as {role}: {summary}");
        assert!(
            out.status.success(),
            "schemathesis as {role} found problems:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
