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
