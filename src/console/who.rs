//! Who did something, as a person reads it: a console user by name, an API token or the service
//! itself by what it is. Records keep the actor's id (`user:…`, `token:…`, `system:…`); only pages
//! put names on them.

use std::collections::HashMap;

use super::ConsoleError;
use crate::app::AppState;

pub struct Names(HashMap<String, String>);

impl Names {
    pub async fn load(app: &AppState) -> Result<Names, ConsoleError> {
        let users = app.store.users().await?;
        Ok(Names(
            users
                .into_iter()
                .map(|u| (format!("user:{}", u.id), u.display_name))
                .collect(),
        ))
    }

    /// The name for `actor` as recorded.
    pub fn of(&self, actor: &str) -> String {
        if let Some(name) = self.0.get(actor) {
            return name.clone();
        }
        match actor.split_once(':') {
            Some(("token", id)) => format!("API token {id}"),
            Some(("system", what)) => format!("lookout ({what})"),
            _ => actor.to_string(),
        }
    }
}

/// A field of the case format as a person reads it: `children[0].eyes` → `child 1: eyes`,
/// `contact.phone` → `contact: phone`.
pub fn field(path: &str) -> String {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let name = match (name, index) {
            ("children", Some(i)) => format!("child {}", i + 1),
            ("companions", Some(i)) => format!("companion {}", i + 1),
            ("destinations", Some(i)) => format!("destination {}", i + 1),
            ("photos", Some(i)) => format!("photo {}", i + 1),
            (n, Some(i)) => format!("{} {}", n.replace('_', " "), i + 1),
            (n, None) => n.replace('_', " "),
        };
        out.push(name);
    }
    out.join(": ")
}

/// Fields as a list a person reads.
pub fn fields(paths: &[String]) -> String {
    paths
        .iter()
        .map(|p| field(p))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_read_as_words() {
        assert_eq!(super::field("children[0].eyes"), "child 1: eyes");
        assert_eq!(
            super::field("companions[1].vehicle.plate_region"),
            "companion 2: vehicle: plate region"
        );
        assert_eq!(super::field("missing_since"), "missing since");
    }
}
