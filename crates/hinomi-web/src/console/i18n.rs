//! The console's message catalogs (the languages themselves are `hinomi_core::Locale`).
//!
//! Every UI string lives in `i18n/<lang>.txt` (one `key = text` a line), compiled into the
//! binary. Both catalogs must hold exactly the same keys; a unit test checks it, so a
//! missing translation fails the build's tests instead of showing a key to a user.

use std::collections::HashMap;
use std::sync::OnceLock;

pub use hinomi_core::Locale;

/// The console's texts: `locale.t(key)`, the key itself when absent (the parity test keeps
/// that from happening for keys the catalogs define).
pub trait Catalog {
    fn t(self, key: &str) -> &'static str;
}

impl Catalog for Locale {
    fn t(self, key: &str) -> &'static str {
        catalog(self)
            .get(key)
            .copied()
            .unwrap_or_else(|| leak_missing(key))
    }
}

/// A key no catalog has is a programming error; showing the key keeps the page usable.
fn leak_missing(key: &str) -> &'static str {
    tracing::warn!(key, "console message missing from catalog");
    static MISSING: OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut map = MISSING
        .get_or_init(Default::default)
        .lock()
        .expect("missing-key lock");
    map.entry(key.to_owned())
        .or_insert_with(|| Box::leak(key.to_owned().into_boxed_str()))
}

const JA_TEXT: &str = include_str!("../../i18n/ja.txt");
const EN_TEXT: &str = include_str!("../../i18n/en.txt");

fn catalog(locale: Locale) -> &'static HashMap<&'static str, &'static str> {
    static JA: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    static EN: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    match locale {
        Locale::Ja => JA.get_or_init(|| parse_catalog(JA_TEXT)),
        Locale::En => EN.get_or_init(|| parse_catalog(EN_TEXT)),
    }
}

/// `key = text` lines; blank lines and lines starting with `#` are skipped.
fn parse_catalog(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(text: &'static str) -> BTreeSet<&'static str> {
        parse_catalog(text).into_keys().collect()
    }

    #[test]
    fn catalogs_have_the_same_keys() {
        let ja = keys(JA_TEXT);
        let en = keys(EN_TEXT);
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}; only in en: {only_en:?}"
        );
        assert!(ja.len() > 50, "catalog too small: {}", ja.len());
    }

    #[test]
    fn catalog_lines_are_well_formed_and_keys_unique() {
        for text in [JA_TEXT, EN_TEXT] {
            let mut seen = BTreeSet::new();
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line.split_once('=').expect("key = text");
                assert!(seen.insert(k.trim()), "duplicate key {}", k.trim());
                assert!(!v.trim().is_empty(), "empty text for {}", k.trim());
            }
        }
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let ja = keys(JA_TEXT);
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/src/console"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/src/status"),
        ];
        let pattern = regex::Regex::new(r#"\.t\("([a-z0-9_.]+)"\)"#).unwrap();
        let mut missing = Vec::new();
        for dir in dirs {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for cap in pattern.captures_iter(&text) {
                    let key = cap.get(1).unwrap().as_str().to_owned();
                    if !ja.contains(key.as_str()) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from catalogs: {missing:?}"
        );
    }
}
