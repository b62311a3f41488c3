//! The console's languages: which one a request gets, and the message catalogs.
//!
//! Every UI string lives in `i18n/<lang>.txt` (one `key = text` a line), compiled into the
//! binary. Both catalogs must hold exactly the same keys; a unit test checks it, so a
//! missing translation fails the build's tests instead of showing a key to a user.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A language the console speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    Ja,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ja, Locale::En];

    /// The BCP 47 tag, as `<html lang>` and the preference store it.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    /// Reads a stored preference or a language tag: `ja`, `ja-JP`, `en-US` ...
    pub fn parse(text: &str) -> Option<Locale> {
        let primary = text
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "ja" => Some(Locale::Ja),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The user's own choice wins; otherwise the browser's best-weighted language that the
    /// console speaks; otherwise Japanese, the language of the teams hinomi is made for.
    pub fn negotiate(user_pref: Option<&str>, accept_language: Option<&str>) -> Locale {
        if let Some(l) = user_pref.and_then(Locale::parse) {
            return l;
        }
        let mut best: Option<(u16, Locale)> = None;
        for item in accept_language.unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let Some(l) = parts.next().and_then(Locale::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_quality);
            let Some(q) = q.filter(|q| *q > 0) else {
                continue;
            };
            // Strictly greater: among equal weights the first listed wins.
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, l));
            }
        }
        best.map_or(Locale::Ja, |(_, l)| l)
    }

    /// The text for `key`; the key itself when absent (the parity test keeps that from
    /// happening for keys the catalogs define).
    pub fn t(self, key: &str) -> &'static str {
        catalog(self)
            .get(key)
            .copied()
            .unwrap_or_else(|| leak_missing(key))
    }
}

/// `q=0.8` as thousandths; `None` when it is not a quality value.
fn parse_quality(text: &str) -> Option<u16> {
    let v: f32 = text.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&v)
        .then(|| (v * 1000.0).round() as u16)
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

    #[test]
    fn the_users_choice_wins_over_the_browser() {
        assert_eq!(Locale::negotiate(Some("en"), Some("ja")), Locale::En);
        assert_eq!(Locale::negotiate(Some("ja"), Some("en-US")), Locale::Ja);
    }

    #[test]
    fn the_browser_decides_by_weight_then_order() {
        assert_eq!(Locale::negotiate(None, Some("en-US,en;q=0.9")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("ja-JP,en;q=0.5")), Locale::Ja);
        assert_eq!(
            Locale::negotiate(None, Some("en;q=0.3, ja;q=0.7")),
            Locale::Ja
        );
        assert_eq!(Locale::negotiate(None, Some("fr, en;q=0.1")), Locale::En);
        assert_eq!(
            Locale::negotiate(None, Some("en;q=0, ja;q=0.2")),
            Locale::Ja
        );
    }

    #[test]
    fn unknown_or_absent_languages_fall_back_to_japanese() {
        assert_eq!(Locale::negotiate(None, None), Locale::Ja);
        assert_eq!(Locale::negotiate(Some("de"), Some("fr-FR")), Locale::Ja);
        assert_eq!(Locale::negotiate(None, Some("en;q=abc")), Locale::Ja);
        assert_eq!(Locale::negotiate(None, Some("")), Locale::Ja);
    }
}
