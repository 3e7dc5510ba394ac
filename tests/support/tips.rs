//! The public tip form as a browser sends it: multipart, with an optional photo.

#![allow(dead_code)]

use crate::common::TestApp;

/// A tip form as a browser sends it: its fields, and a photo when given.
pub fn tip_form(fields: &[(&str, &str)], photo: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----lookout-tip-form";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = photo {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn send_tip(
    client: &reqwest::Client,
    app: &TestApp,
    code: &str,
    fields: &[(&str, &str)],
    photo: Option<(&str, &[u8])>,
) -> (u16, String) {
    let (kind, body) = tip_form(fields, photo);
    let res = client
        .post(app.url(&format!("/c/{code}/tips")))
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}
