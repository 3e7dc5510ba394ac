//! JSON merge patch (RFC 7396) and the list of field paths two documents differ in.

use serde_json::{Map, Value};

/// Apply `patch` to `target` as RFC 7396 says: objects merge, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let map = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// The paths where `before` and `after` differ, in the case format's notation
/// (`children[0].hair`); a whole added or removed member is one path.
pub fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff("", before, after, &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn diff(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = join(path, k);
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(&p, x, y, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => diff(&p, x, y, out),
                    _ => out.push(p),
                }
            }
        }
        (a, b) if a != b => out.push(if path.is_empty() {
            "body".into()
        } else {
            path.into()
        }),
        _ => {}
    }
}

/// A three-way merge of two edits of `base`: what `mine` changed and what `theirs` changed are
/// both kept. Where both changed the same value differently, `mine` is taken and the value's path
/// is returned, so the person can be shown what they are about to overwrite.
pub fn merge3(base: &Value, mine: &Value, theirs: &Value) -> (Value, Vec<String>) {
    let mut conflicts = Vec::new();
    let merged = merge_at("", Some(base), Some(mine), Some(theirs), &mut conflicts);
    (merged.unwrap_or(Value::Null), conflicts)
}

/// One value of the merge; `None` is a member that is absent (or removed).
fn merge_at(
    path: &str,
    base: Option<&Value>,
    mine: Option<&Value>,
    theirs: Option<&Value>,
    conflicts: &mut Vec<String>,
) -> Option<Value> {
    if mine == theirs || theirs == base {
        return mine.cloned();
    }
    if mine == base {
        return theirs.cloned();
    }
    match (base, mine, theirs) {
        (Some(Value::Object(b)), Some(Value::Object(m)), Some(Value::Object(t))) => {
            let mut keys: Vec<&String> = b.keys().chain(m.keys()).chain(t.keys()).collect();
            keys.sort();
            keys.dedup();
            let mut out = Map::new();
            for k in keys {
                if let Some(v) = merge_at(&join(path, k), b.get(k), m.get(k), t.get(k), conflicts) {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        (Some(Value::Array(b)), Some(Value::Array(m)), Some(Value::Array(t)))
            if b.len() == m.len() && m.len() == t.len() =>
        {
            let items = (0..b.len())
                .map(|i| {
                    let p = format!("{path}[{i}]");
                    merge_at(&p, Some(&b[i]), Some(&m[i]), Some(&t[i]), conflicts)
                        .unwrap_or(Value::Null)
                })
                .collect();
            Some(Value::Array(items))
        }
        _ => {
            conflicts.push(path.to_string());
            mine.cloned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_the_rfc_examples() {
        // RFC 7396, appendix A, a selection.
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, want, "patch {patch}");
        }
    }

    #[test]
    fn changed_paths_name_each_leaf() {
        let before = json!({"a": 1, "c": {"d": [1, 2]}, "gone": true});
        let after = json!({"a": 2, "c": {"d": [1, 3, 4]}, "new": "x"});
        assert_eq!(
            changed_paths(&before, &after),
            ["a", "c.d[1]", "c.d[2]", "gone", "new"]
        );
        assert!(changed_paths(&after, &after).is_empty());
    }

    #[test]
    fn merge3_keeps_both_edits_and_names_the_clashes() {
        let base = json!({"a": 1, "b": {"c": "x", "d": [1, 2]}, "e": "same"});
        let mine = json!({"a": 2, "b": {"c": "x", "d": [1, 5]}, "e": "same"});
        let theirs = json!({"a": 1, "b": {"c": "y", "d": [1, 6]}, "e": "same", "f": true});
        let (merged, conflicts) = merge3(&base, &mine, &theirs);
        assert_eq!(
            merged,
            json!({"a": 2, "b": {"c": "y", "d": [1, 5]}, "e": "same", "f": true})
        );
        assert_eq!(conflicts, ["b.d[1]"]);
        // nothing changed on one side: the other side whole, no clash
        assert_eq!(merge3(&base, &base, &theirs), (theirs.clone(), vec![]));
        assert_eq!(merge3(&base, &mine, &base), (mine.clone(), vec![]));
        // a member one side removed and the other left alone is removed
        let gone = json!({"a": 1, "b": {"c": "x", "d": [1, 2]}});
        assert_eq!(merge3(&base, &gone, &base).0, gone);
    }
}
