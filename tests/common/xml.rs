//! CAP messages checked against the OASIS CAP 1.2 schema (`tests/fixtures/cap/CAP-v1.2.xsd`) with
//! `xmllint --schema` (Debian's libxml2-utils). Without xmllint the check says it is skipped; under
//! `CI=true`, where `.ci/run` installs it, its absence fails.

use std::process::Command;

/// Panics unless `xml` is a valid CAP 1.2 alert.
pub fn assert_valid_cap(xml: &str) {
    if Command::new("xmllint").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "xmllint is not installed: .ci/run installs libxml2-utils"
        );
        eprintln!("skipped: xmllint is not installed (libxml2-utils)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alert.xml");
    std::fs::write(&path, xml).unwrap();
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cap/CAP-v1.2.xsd"
    );
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema", schema])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "not valid CAP 1.2: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}
