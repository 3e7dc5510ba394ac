//! A real browser for the console's tests: Debian's chromium, headless, driven through chromedriver
//! (WebDriver) on a free port of 127.0.0.1. `.ci/run` installs both; without them a test says it is
//! skipped, except under CI, where that is a failure. A failing test leaves a screenshot and the
//! page's HTML in `target/tmp/console-failures/`; `shot` keeps one of a page on purpose.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const AXE: &str = include_str!("../fixtures/axe/axe.min.js");

pub struct Browser {
    pub client: Client,
    driver: Child,
    name: &'static str,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn missing() -> Option<&'static str> {
    for tool in ["chromium", "chromedriver"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Some(tool);
        }
    }
    None
}

fn artifacts() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-failures");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// A headless chromium for the test `name`, or `None` (after saying so) when it is not installed.
    pub async fn start(name: &'static str) -> Option<Browser> {
        if let Some(tool) = missing() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{name}: {tool} is not installed (.ci/run installs chromium and chromium-driver)"
            );
            println!("skipped: {name}: {tool} is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", "--hide-scrollbars"]
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{name}: chromedriver did not answer: {e}"),
            }
        };
        Some(Browser {
            client,
            driver,
            name,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn html(&self) -> String {
        self.client.source().await.unwrap()
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    /// Type into the focused element, as a person at a keyboard would; `\t` moves on, `\n` sends.
    pub async fn keys(&self, text: &str) {
        let mapped: String = text
            .chars()
            .map(|c| match c {
                '\t' => '\u{e004}',
                '\n' => '\u{e007}',
                c => c,
            })
            .collect();
        let focused = self.client.active_element().await.unwrap();
        focused.send_keys(&mapped).await.unwrap();
    }

    #[allow(dead_code)] // not every browser test tabs through a form
    /// Press Tab on the keyboard itself (not typed into an element: a file input would take it
    /// as a path).
    pub async fn tab(&self) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let tab = '\u{e004}';
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: tab })
            .then(KeyAction::Up { value: tab });
        self.client.perform_actions(actions).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Wait until the page's HTML contains `text`.
    pub async fn wait_for_text(&self, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.html().await.contains(text) {
            assert!(
                Instant::now() < deadline,
                "{}: no “{text}” on {}",
                self.name,
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until the page's HTML no longer contains `text` (a form posted back to the same page).
    #[allow(dead_code)] // only the admin pages post a form back to the same page
    pub async fn wait_for_no_text(&self, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.html().await.contains(text) {
            assert!(
                Instant::now() < deadline,
                "{}: “{text}” still on {}",
                self.name,
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// axe-core over the page: no serious or critical violations.
    pub async fn accessible(&self) {
        self.client.execute(AXE, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => \
                   ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))));",
                vec![],
            )
            .await
            .unwrap();
        let bad: Vec<&Value> = result
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            bad.is_empty(),
            "{}: accessibility on {}: {bad:#?}",
            self.name,
            self.path().await
        );
    }

    /// Keep a screenshot of the page as `{name}-{what}.png` beside the failures.
    pub async fn shot(&self, what: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(artifacts().join(format!("{}-{what}.png", self.name)), png).unwrap();
    }

    /// After a failure: the screenshot and the HTML, then the failure goes on.
    pub async fn keep_evidence(&self) {
        let dir = artifacts();
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{}.png", self.name)), png);
        }
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(dir.join(format!("{}.html", self.name)), html);
        }
        eprintln!("{}: screenshot and HTML in {}", self.name, dir.display());
    }
}

/// Run a browser test body; when it fails, keep the evidence before failing.
pub async fn run<F>(browser: &Browser, body: F)
where
    F: std::future::Future<Output = ()>,
{
    use futures::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    if let Err(panic) = outcome {
        browser.keep_evidence().await;
        std::panic::resume_unwind(panic);
    }
}
