//! Where the Alertmanager-format configuration comes from, and putting a new one in force
//! (at start, on `SIGHUP` and on `POST /-/reload`). The `templates:` files are read here,
//! their globs relative to the configuration file's folder as in Alertmanager; a glob that
//! matches nothing is no error. A configuration or template file that does not parse is
//! rejected with its error (a template's names its file and line) and the running
//! configuration stays.

use std::path::{Path, PathBuf};

use hinomi_core::Config;
use hinomi_engine::Engine;
use tokio::sync::Mutex;

/// The configuration used when no file is given: every alert goes to a receiver without
/// integrations, so alerts are stored, grouped and queryable but notify nobody.
pub const BUILTIN_CONFIG: &str = "\
# hinomi's built-in routing: no alertmanager.yml was given.
route:
  receiver: default
receivers:
  - name: default
";

/// Why a configuration could not be put in force.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path}: {error}")]
    Parse {
        path: String,
        error: hinomi_core::ConfigError,
    },
    #[error("{0}")]
    Engine(#[from] hinomi_engine::EngineError),
}

/// The file (or the built-in text) the routing configuration is read from.
#[derive(Debug)]
pub struct ConfigSource {
    path: Option<PathBuf>,
    lock: Mutex<()>,
}

impl ConfigSource {
    pub fn new(path: Option<PathBuf>) -> ConfigSource {
        ConfigSource {
            path,
            lock: Mutex::new(()),
        }
    }

    /// Reads and parses the configuration.
    pub fn load(&self) -> Result<Config, ReloadError> {
        let Some(path) = &self.path else {
            return Ok(Config::parse(BUILTIN_CONFIG).expect("the built-in configuration parses"));
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ReloadError::Read {
            path: shown.clone(),
            error,
        })?;
        let parse_error = |error| ReloadError::Parse {
            path: shown.clone(),
            error,
        };
        let mut config = Config::parse(&text).map_err(parse_error)?;
        let folder = path.parent().unwrap_or(Path::new(""));
        for pattern in config.templates.clone() {
            for file in template_files(folder, &pattern).map_err(parse_error)? {
                let name = file.display().to_string();
                let text = std::fs::read_to_string(&file).map_err(|error| ReloadError::Read {
                    path: name.clone(),
                    error,
                })?;
                config
                    .add_template_file(&name, &text)
                    .map_err(parse_error)?;
            }
        }
        Ok(config)
    }

    /// Reads the configuration again and puts it in force; one reload at a time. A failure
    /// is counted and logged here, and the running configuration stays.
    pub async fn reload(&self, engine: &Engine) -> Result<(), ReloadError> {
        let result = self.reload_inner(engine).await;
        let outcome = if result.is_ok() { "success" } else { "failure" };
        metrics::counter!("hinomi_config_reloads_total", "outcome" => outcome).increment(1);
        match &result {
            Ok(()) => tracing::info!(path = ?self.path, "configuration reloaded"),
            Err(e) => {
                tracing::error!(error = %e, "configuration reload rejected; the running configuration stays")
            }
        }
        result
    }

    async fn reload_inner(&self, engine: &Engine) -> Result<(), ReloadError> {
        let _one_at_a_time = self.lock.lock().await;
        let config = self.load()?;
        for note in &config.unsupported {
            tracing::warn!(note = %note, "configuration accepted but not acted on");
        }
        engine.reload(config).await?;
        Ok(())
    }
}

/// The files a `templates:` glob matches, in order, relative to `folder` unless absolute.
fn template_files(folder: &Path, pattern: &str) -> Result<Vec<PathBuf>, hinomi_core::ConfigError> {
    let full = folder.join(pattern);
    let invalid =
        |e: String| hinomi_core::ConfigError::Invalid(format!("templates: {pattern}: {e}"));
    let paths = glob::glob(&full.to_string_lossy()).map_err(|e| invalid(e.to_string()))?;
    let mut files = Vec::new();
    for path in paths {
        let path = path.map_err(|e| invalid(e.to_string()))?;
        if path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "templates: ['templates/*.tmpl', 'none/*.tmpl']\nroute: {receiver: r}\nreceivers:\n  - name: r\n";

    #[test]
    fn template_globs_are_relative_to_the_configuration_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("alertmanager.yml"), YAML).unwrap();
        std::fs::write(
            dir.path().join("templates/a.tmpl"),
            r#"{{ define "custom.title" }}件名{{ end }}"#,
        )
        .unwrap();
        let source = ConfigSource::new(Some(dir.path().join("alertmanager.yml")));
        let config = source.load().unwrap();
        assert!(
            format!("{:?}", config.template_set).contains("\"custom.title\""),
            "{:?}",
            config.template_set
        );

        let bad = dir.path().join("templates/b.tmpl");
        std::fs::write(&bad, "{{ define \"x\" }}\n{{ .Status \n").unwrap();
        let err = source.load().unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: template: {}:2: unclosed action",
                dir.path().join("alertmanager.yml").display(),
                bad.display()
            )
        );
    }
}
