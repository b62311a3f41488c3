//! The languages hinomi speaks to people (the console, notifications, calls), and how a
//! person's language is chosen.

/// A language hinomi speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
}

/// `q=0.8` as thousandths; `None` when it is not a quality value.
fn parse_quality(text: &str) -> Option<u16> {
    let v: f32 = text.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&v)
        .then(|| (v * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

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
