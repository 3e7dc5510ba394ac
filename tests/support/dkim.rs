//! An independent DKIM verifier (RFC 6376 relaxed/relaxed, RFC 8463 ed25519-sha256) for the email
//! tests: it shares no code with lettre's signer.

use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

fn wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Runs of whitespace become one space; leading and trailing whitespace go.
fn squeeze(s: &str) -> String {
    let mut out = String::new();
    let mut in_space = false;
    for c in s.chars() {
        if wsp(c) {
            in_space = true;
        } else {
            if in_space && !out.is_empty() {
                out.push(' ');
            }
            in_space = false;
            out.push(c);
        }
    }
    out
}

fn relaxed_body(body: &str) -> String {
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|l| {
            let mut s = String::new();
            let mut in_space = false;
            for c in l.chars() {
                if wsp(c) {
                    in_space = true;
                } else {
                    if in_space {
                        s.push(' ');
                    }
                    in_space = false;
                    s.push(c);
                }
            }
            s
        })
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

fn tag<'a>(sig: &'a str, name: &str) -> &'a str {
    sig.split(';')
        .map(str::trim)
        .find_map(|t| t.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {name}= tag"))
}

pub fn verify(raw: &[u8], key: &VerifyingKey) -> Result<(), String> {
    let text = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no body")?;
    // Unfold headers into (name, raw value).
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            headers.last_mut().ok_or("fold")?.1.push_str(line);
        } else {
            let (n, v) = line.split_once(':').ok_or("header")?;
            headers.push((n.to_string(), v.to_string()));
        }
    }
    let (_, sig_value) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("DKIM-Signature"))
        .ok_or("unsigned")?;
    let sig = squeeze(sig_value);
    let compact = sig.replace(' ', "");
    if tag(&compact, "a") != "ed25519-sha256" || tag(&compact, "c") != "relaxed/relaxed" {
        return Err(format!("unexpected algorithm: {sig}"));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let bh = Sha256::digest(relaxed_body(body).as_bytes());
    if b64.encode(bh) != tag(&compact, "bh") {
        return Err("body hash differs".into());
    }
    let mut data = String::new();
    for name in tag(&compact, "h").split(':') {
        if let Some((_, v)) = headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            data.push_str(&format!("{}:{}\r\n", name.to_ascii_lowercase(), squeeze(v)));
        }
    }
    // The signature header is signed too, with its own b= value left empty.
    let unsigned = sig.replacen(b_value_in(&sig), "", 1);
    data.push_str(&format!("dkim-signature:{unsigned}"));
    let signature = b64.decode(tag(&compact, "b")).map_err(|e| e.to_string())?;
    let signature = Signature::from_slice(&signature).map_err(|e| e.to_string())?;
    let digest = Sha256::digest(data.as_bytes());
    key.verify(&digest, &signature).map_err(|e| e.to_string())
}

/// The b= value as it appears (possibly with spaces from folding) in the squeezed header.
fn b_value_in(sig: &str) -> &str {
    let start = sig.find("; b=").expect("b= tag") + 4;
    let rest = &sig[start..];
    rest.split(';').next().unwrap_or(rest)
}
