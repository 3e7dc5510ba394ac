//! The service degrades with a clear answer instead of falling over: a request that never finishes
//! is stopped by the request timeout (a problem document on the API, a page in the console), and a
//! shutdown does not wait past its deadline for a client that never finishes its request.

mod common;

use std::time::Duration;

use common::{Backend, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Send the head of a request whose body never comes, and read whatever the server answers.
async fn half_a_request(addr: &str, path: &str, extra: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: 1000\r\n\
         Connection: close\r\n\r\n{{\"case"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

async fn a_request_that_never_finishes_is_stopped(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| c.request_timeout_secs = 1).await else {
        return;
    };
    let addr = app.addr.to_string();
    let auth = format!(
        "Authorization: Bearer {}\r\nContent-Type: application/json\r\n",
        app.manager
    );
    let answer = half_a_request(&addr, "/v1/cases", &auth).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let lower = answer.to_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(lower.contains("retry-after: 2"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
    assert!(answer.contains("\"instance\":\"/v1/cases\""), "{answer}");

    // the console answers with a page
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let answer = half_a_request(&addr, "/sign-in", form).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("This took too long"), "{answer}");

    // and the service goes on answering
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
both!(a_request_that_never_finishes_is_stopped);

/// A client that never finishes its request holds a shutdown for the deadline, not for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_waiting_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lookout.db").display());
    let store = lookout::store::Store::open(&url).await.unwrap();
    let config = lookout::config::Config {
        database_url: url.as_str().into(),
        outbox_dir: dir.path().join("outbox"),
        shutdown_deadline_secs: 1,
        // far longer than this test may take: only the shutdown deadline can end the request
        request_timeout_secs: 3600,
        ..lookout::config::Config::default()
    };
    let state = lookout::app::state(store, &config).unwrap();
    let listener = lookout::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(lookout::server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    // a request that is never finished (the sign-in form reads its body before anything else)
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "POST /sign-in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail="
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // the server has the request once an ordinary one after it is answered
    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    stop.send(()).unwrap();
    // Without the deadline this waits an hour; the bound is generous, not a speed claim.
    let ended = tokio::time::timeout(Duration::from_secs(60), server).await;
    assert!(
        ended.is_ok(),
        "the server still waited for the unfinished request"
    );
    ended.unwrap().unwrap().unwrap();
}
