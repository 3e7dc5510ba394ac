//! The email channel against a real SMTP server on 127.0.0.1; the received MIME is read back with
//! Python's standard `email` package, an independent parser.

mod support;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use lookout::cases::{CaseStatus, Lang, parse_case};
use lookout::dispatch::SendOutcome;
use lookout::dispatch::email::{
    Audience, Composer, DkimSettings, EmailInput, LocationLine, Mailer, PdfAttachment, PoolSettings,
};
use lookout::dispatch::payload::{CaseSummary, EventType, PosterFile, WithdrawReason};
use lookout::posters::Format;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::dkim;
use support::smtp::{Answer, SmtpServer};

const FROM: &str = "Lookout Posters <posters@lookout.example>";
const PDF: &[u8] = b"%PDF-1.7\n% SAMPLE poster bytes for the attachment test\n%%EOF\n";

fn summary() -> CaseSummary {
    let json = include_bytes!("fixtures/case-example.json");
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let case = parse_case(json, today).unwrap();
    CaseSummary::from_case(&case, today, "1-800-THE-LOST (1-800-843-5678)")
}

/// A generated 48×48 square picture (no real person).
fn square_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 48, |x, y| image::Rgb([x as u8 * 5, y as u8 * 5, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn links() -> Vec<PosterFile> {
    vec![PosterFile {
        format: Format::Letter,
        lang: Lang::Es,
        url: "https://lookout.example/p/2026-004217/2/letter?lang=es&exp=1&sig=x".into(),
        content_type: "application/pdf".into(),
        expires: "2026-11-27T00:00:00Z".parse().unwrap(),
    }]
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Python's reading of a raw message.
fn parse_mime(raw: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.eml");
    std::fs::write(&path, raw).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/mime.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 is needed to read MIME back");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn part<'a>(mime: &'a Value, content_type: &str) -> &'a Value {
    mime["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == content_type)
        .unwrap_or_else(|| panic!("no {content_type} part in {mime}"))
}

fn smtp_mailer(server: &SmtpServer) -> Mailer {
    Mailer::from_config(
        Some(&server.url()),
        "unused".as_ref(),
        PoolSettings::default(),
    )
    .unwrap()
}

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_partner_gets_the_full_message_in_its_language() {
    let server = SmtpServer::start(2);
    let case = summary();
    let png = square_png();
    let locations = vec![
        LocationLine {
            reference: "0412".into(),
            name: "Northwind #412 Alexandria".into(),
        },
        LocationLine {
            reference: "0413".into(),
            name: "Northwind #413 Arlington".into(),
        },
    ];
    let posters = links();
    let input = EmailInput {
        delivery_id: "0190d3f2-7c1a-7000-8000-000000000001",
        event: EventType::Issued,
        lang: Lang::Es,
        case: &case,
        version: 2,
        partner_name: "Northwind Retail",
        audience: Audience::Partner {
            locations: &locations,
        },
        reason: None,
        posters: &posters,
        square_png: Some(&png),
        pdf: Some(PdfAttachment {
            filename: "2026-004217-v2-es.pdf",
            bytes: PDF,
        }),
        organisation: "National Center for Missing & Exploited Children",
    };
    let composer = Composer::new(FROM, None).unwrap();
    let message = composer
        .compose(&input, &["alerts@northwind.example".into()])
        .unwrap();
    let out = smtp_mailer(&server)
        .send(&message, input.delivery_id, T)
        .await;
    assert_eq!(out, SendOutcome::Delivered);

    let inbox = server.inbox();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].to, vec!["alerts@northwind.example".to_string()]);
    let mime = parse_mime(&inbox[0].data);
    assert_eq!(
        mime["structure"],
        serde_json::json!([
            "multipart/mixed",
            "multipart/related",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "image/png",
            "application/pdf"
        ])
    );
    assert_eq!(
        mime["message_id"],
        "<0190d3f2-7c1a-7000-8000-000000000001@lookout.example>"
    );
    assert_eq!(
        mime["subject"],
        "Cartel de menor desaparecido: caso 2026-004217"
    );
    let text = part(&mime, "text/plain")["text"].as_str().unwrap();
    assert!(
        text.contains("Estimado equipo de Northwind Retail"),
        "{text}"
    );
    assert!(text.contains("0413  Northwind #413 Arlington"), "{text}");
    assert!(text.contains(&case.children[1].name), "{text}");
    assert!(text.contains("Referencia: 0190d3f2"), "{text}");
    let html = part(&mime, "text/html")["text"].as_str().unwrap();
    assert!(html.contains("src=\"cid:poster-square\""));
    assert!(html.contains("&amp; Exploited"), "HTML not escaped: {html}");
    assert!(
        html.contains("lang=es&amp;exp=1"),
        "link not escaped: {html}"
    );
    let image = part(&mime, "image/png");
    assert_eq!(image["cid"], "<poster-square>");
    assert_eq!(image["disposition"], "inline");
    assert_eq!(image["sha256"], sha(&png));
    let pdf = part(&mime, "application/pdf");
    assert_eq!(pdf["filename"], "2026-004217-v2-es.pdf");
    assert_eq!(pdf["disposition"], "attachment");
    assert_eq!(pdf["sha256"], sha(PDF));
}

#[tokio::test]
async fn a_store_is_addressed_itself_and_a_withdrawal_says_remove() {
    let server = SmtpServer::start(2);
    let full = summary();
    let case = CaseSummary::withdrawn(&full.case_number, full.case_type, CaseStatus::Resolved);
    let store = LocationLine {
        reference: "KY-17".into(),
        name: "Exit 17 Travel Center".into(),
    };
    let input = EmailInput {
        delivery_id: "d-withdrawn-1",
        event: EventType::Withdrawn,
        lang: Lang::En,
        case: &case,
        version: 3,
        partner_name: "Bluegrass Truck Stops",
        audience: Audience::Location(&store),
        reason: Some(WithdrawReason::Resolved),
        posters: &[],
        square_png: Some(&square_png()),
        pdf: Some(PdfAttachment {
            filename: "x.pdf",
            bytes: PDF,
        }),
        organisation: "NCMEC",
    };
    let message = Composer::new(FROM, None)
        .unwrap()
        .compose(&input, &["store17@bluegrass.example".into()])
        .unwrap();
    assert_eq!(
        smtp_mailer(&server)
            .send(&message, input.delivery_id, T)
            .await,
        SendOutcome::Delivered
    );
    let mime = parse_mime(&server.inbox()[0].data);
    // Nothing but the two texts: no poster, no picture.
    assert_eq!(
        mime["structure"],
        serde_json::json!(["multipart/alternative", "text/plain", "text/html"])
    );
    assert_eq!(mime["subject"], "Please remove poster: case 2026-004217");
    let text = part(&mime, "text/plain")["text"].as_str().unwrap();
    assert!(
        text.starts_with("To the manager of Exit 17 Travel Center (KY-17),"),
        "{text}"
    );
    assert!(text.contains("PLEASE REMOVE THIS POSTER."));
    assert!(text.contains("the case has been resolved"));
    for child in &full.children {
        assert!(!text.contains(&child.name), "withdrawal names the child");
    }
    assert!(!text.contains(&full.contact.as_ref().unwrap().phone));
}

fn simple_input<'a>(case: &'a CaseSummary, id: &'a str) -> EmailInput<'a> {
    EmailInput {
        delivery_id: id,
        event: EventType::Updated,
        lang: Lang::En,
        case,
        version: 4,
        partner_name: "Partner",
        audience: Audience::Partner { locations: &[] },
        reason: None,
        posters: &[],
        square_png: None,
        pdf: None,
        organisation: "NCMEC",
    }
}

#[tokio::test]
async fn smtp_answers_become_outcomes() {
    let server = SmtpServer::start(2);
    let case = summary();
    let composer = Composer::new(FROM, None).unwrap();
    let mailer = smtp_mailer(&server);
    let message = composer
        .compose(&simple_input(&case, "d-answers"), &["a@x.example".into()])
        .unwrap();

    server.answer(Answer::Transient);
    let out = mailer.send(&message, "d-answers", T).await;
    assert_eq!(out.label(), "retry", "{out:?}");
    assert!(out.error().unwrap().contains("451"), "{out:?}");

    server.answer(Answer::Permanent);
    let out = mailer.send(&message, "d-answers", T).await;
    assert_eq!(out.label(), "failed", "{out:?}");
    assert!(out.error().unwrap().contains("554"), "{out:?}");

    server.answer(Answer::Accept);
    assert_eq!(
        mailer.send(&message, "d-answers", T).await,
        SendOutcome::Delivered
    );
    assert_eq!(server.count(), 1);
    let mime = parse_mime(&server.inbox()[0].data);
    assert_eq!(
        mime["subject"],
        "Updated poster (version 4): case 2026-004217"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_cut_off() {
    // Accepts the connection and says nothing: lettre alone would wait for its own timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let case = summary();
    let message = Composer::new(FROM, None)
        .unwrap()
        .compose(&simple_input(&case, "d-stall"), &["a@x.example".into()])
        .unwrap();
    let mailer = Mailer::from_config(
        Some(&format!("smtp://{addr}")),
        "unused".as_ref(),
        PoolSettings::default(),
    )
    .unwrap();
    let started = Instant::now();
    let out = mailer
        .send(&message, "d-stall", Duration::from_millis(400))
        .await;
    assert_eq!(out.label(), "retry");
    assert!(out.error().unwrap().contains("timed out"), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn without_smtp_a_retry_overwrites_the_same_eml_file() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mailer = Mailer::from_config(None, &outbox, PoolSettings::default()).unwrap();
    let case = summary();
    let composer = Composer::new(FROM, None).unwrap();
    let message = composer
        .compose(&simple_input(&case, "d-file-1"), &["a@x.example".into()])
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            mailer.send(&message, "d-file-1", T).await,
            SendOutcome::Delivered
        );
    }
    let names: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["d-file-1.eml".to_string()]);
    let mime = parse_mime(&std::fs::read(outbox.join("d-file-1.eml")).unwrap());
    assert_eq!(mime["message_id"], "<d-file-1@lookout.example>");
    assert_eq!(
        mailer.send(&message, "../escape", T).await.label(),
        "failed"
    );
}

#[tokio::test]
async fn messages_are_dkim_signed_when_a_key_is_configured() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let secret = [7u8; 32];
    let dkim = DkimSettings {
        selector: "lookout2026".into(),
        domain: "lookout.example".into(),
        private_key: b64.encode(secret),
    };
    let server = SmtpServer::start(2);
    let case = summary();
    let message = Composer::new(FROM, Some(&dkim))
        .unwrap()
        .compose(&simple_input(&case, "d-dkim"), &["a@x.example".into()])
        .unwrap();
    assert_eq!(
        smtp_mailer(&server).send(&message, "d-dkim", T).await,
        SendOutcome::Delivered
    );
    let raw = server.inbox()[0].data.clone();
    let public = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    dkim::verify(&raw, &public).unwrap();

    // Any change to a signed header or the body breaks the signature.
    let text = String::from_utf8(raw).unwrap();
    let forged = text.replacen("Subject: Updated poster", "Subject: Updated pooster", 1);
    assert!(dkim::verify(forged.as_bytes(), &public).is_err());
    let forged = text.replacen("Reference: d-dkim", "Reference: d-dkin", 1);
    if forged != text {
        assert!(dkim::verify(forged.as_bytes(), &public).is_err());
    }

    let unsigned = Composer::new(FROM, None)
        .unwrap()
        .compose(&simple_input(&case, "d-dkim"), &["a@x.example".into()])
        .unwrap();
    assert_eq!(parse_mime(&unsigned.formatted())["dkim"], "");
}

/// Every poster language has its own message for a new poster, a changed one and a takedown, read
/// back by Python: the subject and the body name the case and say it in that language, not English.
#[test]
fn every_language_has_its_own_messages() {
    let full = summary();
    let ended = CaseSummary::withdrawn(&full.case_number, full.case_type, CaseStatus::Resolved);
    let composer = Composer::new(FROM, None).unwrap();
    // a word each language's takedown message must say
    let takedown = [
        (Lang::En, "REMOVE"),
        (Lang::Es, "RETIRE"),
        (Lang::Fr, "RETIRER"),
        (Lang::Vi, "GỠ"),
        (Lang::Tl, "TANGGALIN"),
        (Lang::ZhHans, "撤下"),
        (Lang::ZhHant, "撤下"),
        (Lang::Ko, "철거"),
        (Lang::Ar, "إزالة"),
    ];
    assert_eq!(takedown.len(), Lang::ALL.len());
    let mut seen = std::collections::HashSet::new();
    for (lang, remove) in takedown {
        for event in [EventType::Issued, EventType::Updated, EventType::Withdrawn] {
            let case = if event == EventType::Withdrawn {
                &ended
            } else {
                &full
            };
            let input = EmailInput {
                event,
                lang,
                reason: (event == EventType::Withdrawn).then_some(WithdrawReason::Resolved),
                ..simple_input(case, "d-lang-1")
            };
            let message = composer.compose(&input, &["a@x.example".into()]).unwrap();
            let mime = parse_mime(&message.formatted());
            let subject = mime["subject"].as_str().unwrap().to_string();
            let text = part(&mime, "text/plain")["text"].as_str().unwrap();
            let html = part(&mime, "text/html")["text"].as_str().unwrap();
            assert!(subject.contains(&full.case_number), "{lang:?}: {subject}");
            assert!(text.contains(&full.case_number), "{lang:?}: {text}");
            assert!(
                html.contains(&format!("lang=\"{}\"", lang.code())),
                "{lang:?}"
            );
            if event == EventType::Withdrawn {
                assert!(text.to_uppercase().contains(remove), "{lang:?}: {text}");
            }
            // no two languages say the same thing
            assert!(seen.insert(subject.clone()), "{lang:?}: {subject} again");
            assert!(seen.insert(text.to_string()), "{lang:?}: same body again");
        }
    }
}
