//! The SMTP transport against a real relay doing TLS and AUTH (Python's aiosmtpd, started here
//! as a child process by `tests/support/smtp_tls.py`), with a throwaway CA and a server
//! certificate for `localhost`/127.0.0.1 made by the `openssl` command. Without python3 +
//! aiosmtpd or openssl every test says it is skipped (CI installs them).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use lettre::Message;
use lookout::cases::{Lang, parse_case};
use lookout::config::Config;
use lookout::dispatch::email::{
    Audience, Composer, EmailInput, Mailer, PoolSettings, SmtpSettings,
};
use lookout::dispatch::payload::{CaseSummary, EventType};
use lookout::dispatch::{Channels, SendOutcome};
use serde_json::Value;

const FROM: &str = "Lookout Posters <posters@lookout.example>";
const TO: &str = "alerts@northwind.example";
/// The relay's account; both need percent-encoding in the URL.
const USER: &str = "posters@lookout.example";
const PASSWORD: &str = "p:ss w0rd";
const USER_IN_URL: &str = "posters%40lookout.example";
const PASSWORD_IN_URL: &str = "p%3Ass%20w0rd";
const T: Duration = Duration::from_secs(10);

fn summary() -> CaseSummary {
    let json = include_bytes!("fixtures/case-example.json");
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let case = parse_case(json, today).unwrap();
    CaseSummary::from_case(&case, today, "1-800-THE-LOST (1-800-843-5678)")
}

fn message(delivery_id: &str) -> Message {
    let case = summary();
    let input = EmailInput {
        delivery_id,
        event: EventType::Updated,
        lang: Lang::En,
        case: &case,
        version: 4,
        partner_name: "Northwind Retail",
        audience: Audience::Partner { locations: &[] },
        reason: None,
        posters: &[],
        square_png: None,
        pdf: None,
        organisation: "NCMEC",
    };
    Composer::new(FROM, None)
        .unwrap()
        .compose(&input, &[TO.into()])
        .unwrap()
}

/// Why the tests cannot run here, if they cannot.
fn missing_tools() -> Option<&'static str> {
    let runs = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !runs("openssl", &["version"]) {
        return Some("the openssl command is not installed");
    }
    if !runs("python3", &["-c", "import aiosmtpd"]) {
        return Some("python3 with the aiosmtpd package is not installed");
    }
    None
}

/// A throwaway CA, a server certificate it signed for `localhost` and 127.0.0.1, and a second
/// CA of the same name with its own key (an impostor).
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "ca.cnf",
            "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n\
             [dn]\nCN = Lookout Test Relay CA\n\
             [ext]\nbasicConstraints = critical, CA:TRUE\n\
             keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n",
        );
        write(
            "server.cnf",
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = localhost\n",
        );
        write(
            "server-ext.cnf",
            "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
             extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
        );
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        for name in ["ca", "other-ca"] {
            let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
            let mut args = vec!["req", "-x509", "-config", "ca.cnf", "-nodes", "-days", "2"];
            args.extend(ec);
            args.extend(["-keyout", &key, "-out", &pem]);
            openssl(&args);
        }
        let mut args = vec!["req", "-new", "-config", "server.cnf", "-nodes"];
        args.extend(ec);
        args.extend(["-keyout", "server.key", "-out", "server.csr"]);
        openssl(&args);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server-ext.cnf",
            "-out",
            "server.pem",
        ]);
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// The CA that signed the relay's certificate, as `smtp_ca_file` would hold it.
    fn ca_pem(&self) -> Vec<u8> {
        self.read("ca.pem")
    }
}

/// The relay: a child process, and everything it printed.
struct Relay {
    child: Child,
    /// Closing it tells the relay to exit, should the test process die without killing it.
    _stdin: ChildStdin,
    starttls: u16,
    smtps: u16,
    events: Arc<Mutex<Vec<Value>>>,
    stderr: PathBuf,
    pki: Pki,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Relay {
    /// Certificates and a running relay, or `None` (after saying so) when the tools are missing.
    fn start(test: &str) -> Option<Relay> {
        if let Some(why) = missing_tools() {
            // .ci/run installs them: under CI a missing tool is a failure, not a skip
            assert!(std::env::var_os("CI").is_none(), "{test}: {why}");
            println!("skipped: {test}: {why}");
            return None;
        }
        let pki = Pki::new();
        let stderr = pki.path("relay.stderr");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_tls.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(pki.path("server.pem"))
            .arg(pki.path("server.key"))
            .args([USER, PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("python3 starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let events = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let sink = events.clone();
        std::thread::spawn(move || {
            let mut lines = stdout.lines().map_while(Result::ok);
            if let Some(first) = lines.next() {
                let _ = ready_tx.send(first);
            }
            for line in lines {
                let event: Value = serde_json::from_str(&line).expect("relay prints JSON lines");
                sink.lock().unwrap().push(event);
            }
        });
        let ready = ready_rx.recv_timeout(Duration::from_secs(30));
        let ready: Value = match ready {
            Ok(line) => serde_json::from_str(&line).unwrap(),
            Err(_) => panic!(
                "the relay did not start: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            ),
        };
        assert_eq!(ready["ready"], true, "{ready}");
        let port = |name: &str| ready[name].as_u64().unwrap() as u16;
        Some(Relay {
            starttls: port("starttls"),
            smtps: port("smtps"),
            child,
            _stdin: stdin,
            events,
            stderr,
            pki,
        })
    }

    fn starttls_url(&self, host: &str, password_in_url: &str) -> String {
        format!(
            "smtp://{USER_IN_URL}:{password_in_url}@{host}:{}?tls=starttls",
            self.starttls
        )
    }

    fn smtps_url(&self) -> String {
        format!(
            "smtps://{USER_IN_URL}:{PASSWORD_IN_URL}@localhost:{}",
            self.smtps
        )
    }

    fn events(&self, kind: &str) -> Vec<Value> {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .filter(|e| e["event"] == kind)
            .cloned()
            .collect()
    }

    /// The relay prints each event before it answers the client, but the line is read here on
    /// another thread: wait (briefly) until `count` events of `kind` have been read.
    async fn wait_for(&self, kind: &str, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let seen = self.events(kind);
            if seen.len() >= count {
                return seen;
            }
            if started.elapsed() > Duration::from_secs(5) {
                let all = self.events.lock().unwrap().clone();
                panic!(
                    "expected {count} {kind} events, saw {all:?}; relay stderr: {}",
                    std::fs::read_to_string(&self.stderr).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Lets the reader thread catch up before asserting that something did not happen.
    async fn settle(&self) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn mailer(url: &str, ca_pem: Option<&[u8]>) -> Mailer {
    let settings = SmtpSettings::parse(url).unwrap();
    Mailer::smtp_with_ca(&settings, ca_pem, PoolSettings::default()).unwrap()
}

#[tokio::test]
async fn starttls_with_auth_delivers_when_the_ca_is_trusted() {
    let Some(relay) = Relay::start("starttls_with_auth_delivers_when_the_ca_is_trusted") else {
        return;
    };
    let url = relay.starttls_url("localhost", PASSWORD_IN_URL);
    let mailer = mailer(&url, Some(&relay.pki.ca_pem()));
    let out = mailer
        .send(&message("d-starttls-1"), "d-starttls-1", T)
        .await;
    assert_eq!(out, SendOutcome::Delivered);

    let messages = relay.wait_for("message", 1).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["port"], "starttls");
    assert!(m["tls"].as_str().unwrap().starts_with("TLSv1."), "{m}");
    assert_eq!(m["user"], USER);
    assert_eq!(m["from"], "posters@lookout.example");
    assert_eq!(m["to"], serde_json::json!([TO]));
    let data = m["data"].as_str().unwrap();
    assert!(
        data.contains("Message-ID: <d-starttls-1@lookout.example>"),
        "{data}"
    );
    // In that one session, in this order: STARTTLS, then AUTH with the right account over TLS.
    let conn = &m["conn"];
    let all = relay.events.lock().unwrap().clone();
    let of_conn: Vec<&str> = all
        .iter()
        .filter(|e| &e["conn"] == conn)
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(of_conn, ["connect", "starttls", "auth", "message"]);
    let auth = &relay.events("auth")[0];
    assert_eq!(auth["ok"], true);
    assert_eq!(auth["user"], USER);
    assert!(auth["tls"].is_string(), "AUTH before TLS: {auth}");
}

#[tokio::test]
async fn a_wrong_password_is_retried_not_dropped() {
    let Some(relay) = Relay::start("a_wrong_password_is_retried_not_dropped") else {
        return;
    };
    let url = relay.starttls_url("localhost", "not-the-password");
    let mailer = mailer(&url, Some(&relay.pki.ca_pem()));
    let out = mailer.send(&message("d-badpass"), "d-badpass", T).await;
    // The relay answers 535 5.7.8: permanent in SMTP terms, but it is our relay settings that are
    // wrong, so the delivery waits for an operator to fix them instead of being dropped.
    assert_eq!(out.label(), "retry", "{out:?}");
    assert!(out.error().unwrap().contains("535"), "{out:?}");
    let auths = relay.wait_for("auth", 1).await;
    relay.settle().await;
    assert!(auths.iter().all(|a| a["ok"] == false && a["user"] == USER));
    assert!(auths.iter().all(|a| a["tls"].is_string()));
    // lettre tries one mechanism (PLAIN) and gives up; nothing was sent.
    assert_eq!(relay.events("auth").len(), 1, "{auths:?}");
    assert!(relay.events("message").is_empty());
}

#[tokio::test]
async fn an_unknown_ca_is_refused_and_retried_later() {
    let Some(relay) = Relay::start("an_unknown_ca_is_refused_and_retried_later") else {
        return;
    };
    let other_ca = relay.pki.read("other-ca.pem");
    let cases = [
        (
            "STARTTLS, public roots only",
            relay.starttls_url("localhost", PASSWORD_IN_URL),
            None,
        ),
        ("SMTPS, public roots only", relay.smtps_url(), None),
        (
            "STARTTLS, another CA trusted",
            relay.starttls_url("localhost", PASSWORD_IN_URL),
            Some(other_ca.as_slice()),
        ),
    ];
    for (n, (what, url, ca)) in cases.iter().enumerate() {
        let out = mailer(url, *ca)
            .send(&message("d-untrusted"), "d-untrusted", T)
            .await;
        // A certificate the client cannot verify is a TLS error, not an SMTP reply: lettre does
        // not call it permanent, so the delivery is retried (the relay's operator can fix it).
        assert_eq!(out.label(), "retry", "{what}: {out:?}");
        // rustls: "invalid peer certificate: UnknownIssuer" with public roots only;
        // "…: BadSignature" when the trusted CA bears the same name as the real one (as the
        // other CA here does) but holds another key.
        let error = out.error().unwrap();
        assert!(
            error.contains("invalid peer certificate"),
            "{what}: {error}"
        );
        // The relay was reached, so it was the certificate that failed.
        relay.wait_for("connect", n + 1).await;
    }
    relay.settle().await;
    assert!(relay.events("starttls").is_empty(), "a handshake completed");
    assert!(relay.events("auth").is_empty(), "credentials were sent");
    assert!(relay.events("message").is_empty(), "a message arrived");
}

#[tokio::test]
async fn implicit_tls_delivers_when_the_ca_is_trusted() {
    let Some(relay) = Relay::start("implicit_tls_delivers_when_the_ca_is_trusted") else {
        return;
    };
    let mailer = mailer(&relay.smtps_url(), Some(&relay.pki.ca_pem()));
    let out = mailer.send(&message("d-smtps-1"), "d-smtps-1", T).await;
    assert_eq!(out, SendOutcome::Delivered);
    let messages = relay.wait_for("message", 1).await;
    let m = &messages[0];
    assert_eq!(m["port"], "smtps");
    assert!(m["tls"].as_str().unwrap().starts_with("TLSv1."), "{m}");
    assert_eq!(m["user"], USER);
    assert!(
        m["data"]
            .as_str()
            .unwrap()
            .contains("<d-smtps-1@lookout.example>")
    );
    assert!(relay.events("starttls").is_empty(), "TLS was implicit");
}

#[tokio::test]
async fn the_pool_sends_several_messages_in_one_session() {
    let Some(relay) = Relay::start("the_pool_sends_several_messages_in_one_session") else {
        return;
    };
    // By IP address this time: the certificate names 127.0.0.1 too.
    let url = relay.starttls_url("127.0.0.1", PASSWORD_IN_URL);
    let mailer = mailer(&url, Some(&relay.pki.ca_pem()));
    let sends = 5;
    for i in 0..sends {
        let id = format!("d-pool-{i}");
        assert_eq!(
            mailer.send(&message(&id), &id, T).await,
            SendOutcome::Delivered
        );
        // lettre hands a connection back to the pool in a task of its own; the outbox worker
        // always awaits something between two sends, and so does this loop (strictly
        // back-to-back sends may open a second connection before the first is back).
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let messages = relay.wait_for("message", sends).await;
    assert_eq!(messages.len(), sends);
    let sessions = relay.events("connect").len();
    assert_eq!(sessions, 1, "{sends} messages took {sessions} sessions");
    assert_eq!(relay.events("starttls").len(), 1);
    assert_eq!(relay.events("auth").len(), 1, "one AUTH per session");
    assert!(messages.iter().all(|m| m["conn"] == messages[0]["conn"]));
}

#[tokio::test]
async fn smtp_ca_file_is_checked_at_start_and_used_by_the_service() {
    let Some(relay) = Relay::start("smtp_ca_file_is_checked_at_start_and_used_by_the_service")
    else {
        return;
    };
    let pki = &relay.pki;
    let env = |ca_file: &Path| {
        [
            ("LOOKOUT_SMTP_URL", relay.smtps_url()),
            ("LOOKOUT_SMTP_CA_FILE", ca_file.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    };

    // A bundle with an unrelated root first: every certificate in the file is trusted.
    let bundle = pki.path("bundle.pem");
    let mut file = std::fs::File::create(&bundle).unwrap();
    file.write_all(&pki.read("other-ca.pem")).unwrap();
    file.write_all(&pki.ca_pem()).unwrap();
    drop(file);
    let config = Config::load(None, &env(&bundle)).unwrap();
    assert_eq!(config.smtp_ca_file.as_deref(), Some(bundle.as_path()));
    let channels = Channels::from_config(&config).unwrap();
    let out = channels
        .mailer
        .send(&message("d-config-1"), "d-config-1", T)
        .await;
    assert_eq!(out, SendOutcome::Delivered);
    assert_eq!(relay.wait_for("message", 1).await[0]["port"], "smtps");

    // Refused at start, naming the key.
    let garbage = pki.path("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (what, path, says) in [
        ("missing", pki.path("nowhere.pem"), "cannot read"),
        (
            "a key, not a certificate",
            pki.path("ca.key"),
            "no PEM certificate",
        ),
        (
            "not a certificate inside",
            garbage,
            "not a usable certificate",
        ),
    ] {
        let err = Config::load(None, &env(&path)).unwrap_err().to_string();
        assert!(err.starts_with("smtp_ca_file: "), "{what}: {err}");
        assert!(err.contains(says), "{what}: {err}");
    }
}
