//! Holds responses to the OpenAPI document the service serves: each response's status must be
//! documented for its operation (or covered by `default`), its content type must be one the
//! document lists, and a JSON body must match the documented schema.

use serde_json::{Value, json};

pub struct Contract {
    doc: Value,
}

/// A response, read whole: what a check needs and what the test goes on with.
pub struct Checked {
    pub status: u16,
    pub body: Value,
}

impl Contract {
    pub fn new(doc: Value) -> Contract {
        assert_eq!(doc["openapi"], "3.1.0");
        Contract { doc }
    }

    /// The documented path that `path` (concrete, without its query) is an instance of.
    fn template(&self, path: &str) -> String {
        let given: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .find(|t| {
                let parts: Vec<&str> = t.split('/').collect();
                parts.len() == given.len()
                    && parts
                        .iter()
                        .zip(&given)
                        .all(|(p, g)| p == g || (p.starts_with('{') && p.ends_with('}')))
            })
            .unwrap_or_else(|| panic!("{path} is not documented"))
            .clone()
    }

    /// Reads `res` and checks it against the operation `method path`; returns the JSON body (or
    /// null for a body that is not JSON).
    pub async fn check(&self, method: &str, res: reqwest::Response) -> Checked {
        let path = res.url().path().to_string();
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap().trim().to_string());
        let bytes = res.bytes().await.unwrap();
        let template = self.template(&path);
        let op = &self.doc["paths"][&template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let responses = &op["responses"];
        let documented = &responses[status.to_string()];
        let response = if documented.is_object() {
            documented
        } else {
            &responses["default"]
        };
        assert!(
            response.is_object(),
            "{method} {path}: status {status} is not documented: {}",
            String::from_utf8_lossy(&bytes)
        );
        let Some(content) = response["content"].as_object() else {
            assert!(
                bytes.is_empty(),
                "{method} {path} {status}: a body where none is documented"
            );
            return Checked {
                status,
                body: Value::Null,
            };
        };
        let content_type =
            content_type.unwrap_or_else(|| panic!("{method} {path} {status}: no content type"));
        let media = content.get(&content_type).unwrap_or_else(|| {
            panic!(
                "{method} {path} {status}: {content_type} is not documented ({:?})",
                content.keys().collect::<Vec<_>>()
            )
        });
        let is_json = content_type == "application/json" || content_type.ends_with("+json");
        if !is_json {
            return Checked {
                status,
                body: Value::Null,
            };
        }
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{method} {path} {status}: not JSON: {e}"));
        self.validate(
            &media["schema"],
            &body,
            &format!("{method} {path} {status}"),
        );
        Checked { status, body }
    }

    /// `instance` against `schema`, whose `$ref`s point into the document's components.
    pub fn validate(&self, schema: &Value, instance: &Value, what: &str) {
        let mut root = match schema {
            Value::Object(o) => Value::Object(o.clone()),
            _ => panic!("{what}: no schema"),
        };
        root["components"] = self.doc["components"].clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{what}: the documented schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the body does not match its schema:\n{}\n{instance}",
            errors.join("\n")
        );
    }

    pub fn doc(&self) -> &Value {
        &self.doc
    }
}
