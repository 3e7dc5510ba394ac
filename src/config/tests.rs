use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_carry_the_example_organisation() {
    let c = Config::load(None, &env(&[])).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert!(c.organisation.hotline.contains("1-800-843-5678"));
    assert_eq!(c.reissue_quiet_secs, 60);
    assert_eq!(c.retarget_interval_secs, 900);
}

#[test]
fn environment_overrides_and_is_checked() {
    let c = Config::load(
        None,
        &env(&[
            ("LOOKOUT_REISSUE_QUIET_SECS", "5"),
            ("LOOKOUT_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8, ::1/128"),
            ("LOOKOUT_SMTP_URL", "smtp://user:pw@localhost:2525"),
            ("DATABASE_URL", "postgres://lookout:dbpw@localhost/lookout"),
        ]),
    )
    .unwrap();
    assert_eq!(c.reissue_quiet_secs, 5);
    assert_eq!(c.allow_private_targets.len(), 2);
    assert!(
        !format!("{c:?}").contains("pw@"),
        "secret leaked into Debug"
    );
    let err = Config::load(None, &env(&[("LOOKOUT_REISSUE_QUIET_SECS", "soon")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "LOOKOUT_REISSUE_QUIET_SECS: not a whole number of seconds"
    );
    let err = Config::load(None, &env(&[("LOOKOUT_DKIM_SELECTOR", "s1")])).unwrap_err();
    assert!(err.to_string().starts_with("dkim:"), "{err}");
    let err = Config::load(None, &env(&[("LOOKOUT_LINK_KEY", "short")])).unwrap_err();
    assert!(err.to_string().starts_with("link_key:"), "{err}");
    let err = Config::load(None, &env(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
    assert!(err.to_string().starts_with("database_url:"));
}

#[test]
fn secrets_come_from_files_as_systemd_credentials_give_them() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("link_key");
    std::fs::write(&key, format!("{}\n", "k".repeat(40))).unwrap();
    let path = key.display().to_string();
    let c = Config::load(None, &env(&[("LOOKOUT_LINK_KEY_FILE", path.as_str())])).unwrap();
    assert_eq!(c.link_key.unwrap().expose(), "k".repeat(40));
    let both = env(&[
        ("LOOKOUT_LINK_KEY_FILE", path.as_str()),
        ("LOOKOUT_LINK_KEY", "x"),
    ]);
    let err = Config::load(None, &both).unwrap_err().to_string();
    assert!(err.contains("not both"), "{err}");
    let missing = env(&[("DATABASE_URL_FILE", "/nonexistent/db-url")]);
    let err = Config::load(None, &missing).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/db-url"), "{err}");
    let beats = env(&[
        ("LOOKOUT_DISPATCH_HEARTBEAT_SECS", "5"),
        ("LOOKOUT_DISPATCH_DEAD_AFTER_SECS", "10"),
    ]);
    let err = Config::load(None, &beats).unwrap_err().to_string();
    assert!(err.starts_with("dispatch_dead_after_secs:"), "{err}");
}
