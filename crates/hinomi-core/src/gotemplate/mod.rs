//! Alertmanager's notification templates: Go `text/template` evaluated over
//! Alertmanager's data model (`Receiver`, `Status`, `Alerts` with `Firing` and `Resolved`,
//! `GroupLabels`, `CommonLabels`, `CommonAnnotations`, `ExternalURL`; `KV` with
//! `SortedPairs`, `Names`, `Values`, `Remove`) with Go's builtins and Alertmanager's
//! function map.
//!
//! A [`Templates`] set holds what `templates:` files define (their parsing errors name the
//! file and line) plus the definitions built in under Alertmanager's default names
//! (`__subject`, `__text_alert_list`, `slack.default.title` ...). A receiver's field is
//! parsed and run against it with [`Templates::render`]; text without `{{` is returned
//! as it is. Missing map keys print as empty strings (Alertmanager's `missingkey=zero`).
//!
//! Fields Alertmanager evaluates as HTML (an email's `html`) get every printed value
//! HTML-escaped unless it came from `safeHtml` or `safeUrl`: the text context of Go's
//! `html/template`, without its attribute- and URL-specific escapers. No IO here: the
//! clock and time zones come in through [`Env`].

mod exec;
mod funcs;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::{Timestamp, Zoned, tz::TimeZone};

use exec::{Exec, Value};
use parse::Body;

/// Why a template could not be parsed or run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("template: {name}:{line}: {message}")]
    Parse {
        name: String,
        line: usize,
        message: String,
    },
    #[error("template: {name}:{line}: executing {}: {message}", crate::gostr::quote(.name))]
    Exec {
        name: String,
        line: usize,
        message: String,
    },
}

/// The data a notification template sees (Alertmanager's `template.Data`).
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// The receiver's name; templates see it escaped as Alertmanager does
    /// (`regexp.QuoteMeta`).
    pub receiver: String,
    pub status: String,
    pub alerts: Vec<Alert>,
    pub group_labels: BTreeMap<String, String>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    pub external_url: String,
}

/// One alert of [`Data`].
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub status: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Zoned,
    pub ends_at: Zoned,
    pub generator_url: String,
    pub fingerprint: String,
}

impl Alert {
    /// An instant as a template's `time.Time`: UTC, or Go's zero time when `text` is not
    /// an RFC 3339 instant.
    pub fn time(text: &str) -> Zoned {
        text.parse::<Timestamp>()
            .unwrap_or_else(|_| funcs::zero_time())
            .to_zoned(TimeZone::UTC)
    }
}

/// What evaluation reads from outside: the time (`since`) and IANA zones (`tz`).
pub struct Env<'a> {
    pub now: Timestamp,
    pub zone: &'a dyn Fn(&str) -> Option<TimeZone>,
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Named templates: the built-in defaults and what `templates:` files define. Cheap to
/// clone.
#[derive(Clone)]
pub struct Templates {
    defines: Arc<BTreeMap<String, Body>>,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.defines.keys()).finish()
    }
}

impl Default for Templates {
    fn default() -> Self {
        let mut set = Templates {
            defines: Arc::new(BTreeMap::new()),
        };
        set.add_file("default.tmpl", DEFAULTS)
            .expect("the built-in templates parse");
        set
    }
}

/// Definitions under Alertmanager's default names, so that files written for
/// Alertmanager can call them.
const DEFAULTS: &str = include_str!("defaults.tmpl");

impl Templates {
    /// Adds a template file: its definitions (a later definition of a name replaces the
    /// earlier one) and its top-level text under the file's base name, as Go's
    /// `ParseGlob` does. `name` is what errors call the file.
    pub fn add_file(&mut self, name: &str, text: &str) -> Result<(), TemplateError> {
        let parsed = parse::parse(name, text)?;
        let defines = Arc::make_mut(&mut self.defines);
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        defines.insert(base.to_owned(), parsed.body);
        defines.extend(parsed.defines);
        Ok(())
    }

    /// Whether `text` parses; `name` is what the error calls it.
    pub fn check(name: &str, text: &str) -> Result<(), TemplateError> {
        parse::parse(name, text).map(|_| ())
    }

    /// Evaluates a field's template over `data`; `html` escapes printed values.
    pub fn render(
        &self,
        text: &str,
        data: &Data,
        env: &Env<'_>,
        html: bool,
    ) -> Result<String, TemplateError> {
        if !text.contains("{{") {
            return Ok(text.to_owned());
        }
        let parsed = parse::parse("", text)?;
        let lookup = |name: &str| parsed.defines.get(name).or_else(|| self.defines.get(name));
        let mut exec = Exec::new("", &lookup, env, html);
        exec.run(&parsed.body, Value::Data(data))?;
        Ok(exec.out)
    }
}
