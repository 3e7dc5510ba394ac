//! The console's templates, parsed once per process. Autoescaping is on for every `.html`
//! template, so a value typed by a user is never markup.

use axum::response::Html;
use minijinja::Environment;
use serde::Serialize;

use super::ConsoleError;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/console/base.html"),
    ),
    (
        "macros.html",
        include_str!("../../templates/console/macros.html"),
    ),
    (
        "sign_in.html",
        include_str!("../../templates/console/sign_in.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/console/error.html"),
    ),
    (
        "cases.html",
        include_str!("../../templates/console/cases.html"),
    ),
    (
        "case.html",
        include_str!("../../templates/console/case.html"),
    ),
    (
        "distribution.html",
        include_str!("../../templates/console/distribution.html"),
    ),
    (
        "audit.html",
        include_str!("../../templates/console/audit.html"),
    ),
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
