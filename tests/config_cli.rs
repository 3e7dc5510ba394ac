//! `lookout config check` over `config.example.toml`: the example is valid, documents every key the
//! service reads, and a checked configuration never shows a password.

use std::path::Path;
use std::process::{Command, Output};

fn check(config: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lookout"));
    cmd.args(["config", "check", "--config", config.to_str().unwrap()]);
    for key in ["DATABASE_URL", "LOOKOUT_DATABASE_URL", "LOOKOUT_SMTP_URL"] {
        cmd.env_remove(key);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run lookout")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

#[test]
fn the_example_is_valid_and_shows_no_password() {
    let out = check(
        &example(),
        &[
            (
                "DATABASE_URL",
                "postgres://lookout:s3cret-pw@db.internal/lookout",
            ),
            ("LOOKOUT_SMTP_URL", "smtp://relay:mail-pw@mail.internal:587"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("request_timeout_secs: 30"), "{shown}");
    assert!(shown.contains("db.internal"), "{shown}");
    for secret in ["s3cret-pw", "mail-pw"] {
        assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
    }
    assert!(text(&out.stderr).contains("configuration is valid"));
}

/// The oracle for "every key" is the configuration type itself: an unknown key makes it list the
/// keys it takes.
#[test]
fn the_example_documents_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe.toml");
    std::fs::write(&probe, "no_such_key = 1\n").unwrap();
    let out = check(&probe, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let expected = err
        .split_once("expected one of")
        .unwrap_or_else(|| panic!("no key list in {err}"))
        .1;
    let keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    assert!(keys.len() > 20, "{keys:?}");
    let example = std::fs::read_to_string(example()).unwrap();
    for key in keys {
        let documented = example.lines().any(|l| {
            let l = l.trim_start_matches('#').trim();
            l.starts_with(&format!("{key} =")) || l == format!("[{key}]")
        });
        assert!(documented, "{key} is not in config.example.toml");
    }
}

#[test]
fn a_bad_value_is_named_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "request_timeout_secs = 0\n").unwrap();
    let out = check(&bad, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("request_timeout_secs: must be at least 1"),
        "{}",
        text(&out.stderr)
    );
}
