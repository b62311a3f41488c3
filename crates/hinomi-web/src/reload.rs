//! Where the Alertmanager-format configuration comes from, and putting a new one in force
//! (at start, on `SIGHUP` and on `POST /-/reload`). A file that does not parse is rejected
//! with its error and the running configuration stays.

use std::path::PathBuf;

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
        Config::parse(&text).map_err(|error| ReloadError::Parse { path: shown, error })
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
