//! One paging style for every list: `limit` and an opaque `cursor` in, the page's items with
//! `next_cursor` out, and `Link: <…>; rel="next"` while there may be more. A cursor names the list
//! it came from, so one list's cursor given to another is refused, not misread.

use axum::Json;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::error::ApiError;

/// `limit` as given, or `default`; refused outside 1..=`max`.
pub fn limit(given: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = given.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::parameter(
            "limit",
            format!("between 1 and {max} (default {default})"),
        ))
    }
}

/// The cursor after `key` in the list `list`.
pub fn encode(list: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{list}\u{0}{key}"))
}

/// The key a cursor of the list `list` carries.
pub fn decode(list: &str, cursor: &str) -> Result<String, ApiError> {
    let bad = || ApiError::parameter("cursor", "not a cursor of this list: use next_cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    match text.split_once('\u{0}') {
        Some((l, key)) if l == list => Ok(key.to_string()),
        _ => Err(bad()),
    }
}

/// The key to start after: from `cursor`, or from the list's older parameter (`before`, `after`),
/// but not both.
pub fn start(
    list: &str,
    cursor: Option<&str>,
    legacy: Option<(&'static str, String)>,
) -> Result<Option<String>, ApiError> {
    match (cursor, legacy) {
        (Some(_), Some((name, _))) => Err(ApiError::parameter(
            "cursor",
            format!("give cursor or {name}, not both"),
        )),
        (Some(c), None) => decode(list, c).map(Some),
        (None, Some((_, key))) => Ok(Some(key)),
        (None, None) => Ok(None),
    }
}

/// One page of a list, answered as JSON (the list's own type, with its `next_cursor`: null on the
/// last page) and the `Link` to the next page.
pub struct Page {
    body: Value,
    next_link: Option<String>,
}

impl Page {
    /// `body` with the `Link` to the page after `next` while `more` says one may exist. A feed gives
    /// its cursor in the body even when nothing more is there yet, to resume from later.
    pub fn new(uri: &Uri, body: impl serde::Serialize, next: Option<&str>, more: bool) -> Page {
        Page {
            body: serde_json::to_value(body).expect("plain data serialises"),
            next_link: next.filter(|_| more).map(|c| link(uri, c)),
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = Json(self.body).into_response();
        if let Some(link) = self.next_link
            && let Ok(value) = HeaderValue::from_str(&link)
        {
            response.headers_mut().insert(header::LINK, value);
        }
        response
    }
}

/// `<path?query>; rel="next"`: the same request, with the cursor of the next page in place of
/// any cursor or older paging parameter it had.
fn link(uri: &Uri, cursor: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if !matches!(k.as_ref(), "cursor" | "before" | "after") {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair("cursor", cursor);
    format!("<{}?{}>; rel=\"next\"", uri.path(), query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_list() {
        let c = encode("partners", "northwind-retail");
        assert_eq!(decode("partners", &c).unwrap(), "northwind-retail");
        assert!(decode("tokens", &c).is_err());
        assert!(decode("partners", "not base64!").is_err());
        assert!(decode("partners", &URL_SAFE_NO_PAD.encode("no separator")).is_err());
    }

    #[test]
    fn the_next_link_keeps_the_filters_and_replaces_the_cursor() {
        let uri: Uri = "/v1/cases?status=active&before=x&limit=2&cursor=old"
            .parse()
            .unwrap();
        assert_eq!(
            link(&uri, "abc"),
            "</v1/cases?status=active&limit=2&cursor=abc>; rel=\"next\""
        );
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(limit(None, 50, 500).unwrap(), 50);
        assert_eq!(limit(Some(500), 50, 500).unwrap(), 500);
        assert!(limit(Some(0), 50, 500).is_err());
        assert!(limit(Some(501), 50, 500).is_err());
    }
}
