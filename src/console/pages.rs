//! The console's templates, parsed once per process. Autoescaping is on for every `.html`
//! template, so a value typed by a user is never markup.

use axum::response::Html;
use minijinja::Environment;
use serde::Serialize;

use super::ConsoleError;

/// `templates/console/{name}`, compiled in.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/console/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "sign_in.html",
    "error.html",
    "cases.html",
    "case.html",
    "distribution.html",
    "audit.html",
    "send.html",
    "resolve.html",
    "test_send.html",
    "case_form.html",
    "partners.html",
    "partner.html",
    "partner_import.html",
    "users.html",
    "tokens.html",
    "portal.html",
    "portal_takedowns.html",
    "portal_log.html",
    "portal_locations.html",
    "portal_settings.html",
    "public_base.html",
    "public_case.html",
    "public_ended.html",
    "public_thanks.html",
    "public_busy.html",
];

pub struct Pages {
    env: Environment<'static>,
}

impl Default for Pages {
    fn default() -> Self {
        Pages::new()
    }
}

impl Pages {
    pub fn new() -> Pages {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // the templates are compiled in and parsed by a unit test: failing here is a build defect
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("templates/console/{name}: {e}"));
        }
        Pages { env }
    }

    pub fn render(&self, name: &str, ctx: impl Serialize) -> Result<Html<String>, ConsoleError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map(Html)
            .map_err(|e| ConsoleError::Template(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        let pages = super::Pages::new();
        for (name, _) in super::TEMPLATES {
            assert!(pages.env.get_template(name).is_ok(), "{name}");
        }
    }
}
