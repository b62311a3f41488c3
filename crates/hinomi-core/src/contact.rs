//! Contact addresses: the form each kind of contact method takes, checked and normalised
//! before it is stored, so a channel never has to guess what an address means.

use crate::notice::ContactKind;

/// Longest address of any kind.
pub const MAX_ADDRESS_LEN: usize = 512;

/// Why an address was refused; the message says what the kind expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than {MAX_ADDRESS_LEN} characters")]
    TooLong,
    #[error("{0:?} is not an email address")]
    Email(String),
    #[error("{0:?} is not a phone number in E.164 form, such as +819012345678")]
    Phone(String),
    #[error("{0:?} is neither an http(s) URL nor a Slack channel or user id such as C0123ABCD")]
    Slack(String),
    #[error("{0:?} is not an http(s) URL")]
    Url(String),
    #[error("{0:?} is not a LINE WORKS user id")]
    LineWorks(String),
}

/// The address `text` as a contact method of `kind` stores it: trimmed; phone numbers
/// without the spaces, hyphens and parentheses people write them with.
pub fn parse_address(kind: ContactKind, text: &str) -> Result<String, AddressError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    if text.chars().count() > MAX_ADDRESS_LEN {
        return Err(AddressError::TooLong);
    }
    match kind {
        ContactKind::Email => is_email(text)
            .then(|| text.to_owned())
            .ok_or_else(|| AddressError::Email(text.to_owned())),
        ContactKind::Sms | ContactKind::Voice => {
            let number: String = text
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
                .collect();
            let digits = number.strip_prefix('+').unwrap_or("");
            let ok = digits.chars().all(|c| c.is_ascii_digit())
                && (8..=15).contains(&digits.len())
                && !digits.starts_with('0');
            ok.then_some(number)
                .ok_or_else(|| AddressError::Phone(text.to_owned()))
        }
        ContactKind::Slack => {
            let id = text.len() >= 9
                && text.starts_with(['C', 'D', 'G', 'U', 'W'])
                && text
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            (id || is_http_url(text))
                .then(|| text.to_owned())
                .ok_or_else(|| AddressError::Slack(text.to_owned()))
        }
        ContactKind::Teams | ContactKind::Webhook => is_http_url(text)
            .then(|| text.to_owned())
            .ok_or_else(|| AddressError::Url(text.to_owned())),
        ContactKind::LineWorks => {
            let ok = text.chars().count() <= 128
                && !text.chars().any(|c| c.is_whitespace() || c.is_control());
            ok.then(|| text.to_owned())
                .ok_or_else(|| AddressError::LineWorks(text.to_owned()))
        }
    }
}

/// Whether `text` has the shape of an email address: one `@` between a non-empty local
/// part and a domain with a dot, no spaces, at most 254 bytes. The mail server judges the
/// rest.
pub fn is_email(text: &str) -> bool {
    text.len() <= 254
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
}

/// An absolute http or https URL with a host and no spaces.
fn is_http_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContactKind::*;

    #[test]
    fn phone_numbers_are_kept_in_e164_form() {
        assert_eq!(
            parse_address(Sms, " +81 90-1234-5678 ").as_deref(),
            Ok("+819012345678")
        );
        assert_eq!(
            parse_address(Voice, "+1 (415) 555-0100").as_deref(),
            Ok("+14155550100")
        );
        for bad in [
            "090-1234-5678",
            "+0901234567",
            "+81abc",
            "+1234",
            "+1234567890123456",
        ] {
            assert!(
                matches!(parse_address(Sms, bad), Err(AddressError::Phone(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_kind_checks_its_own_form() {
        assert!(parse_address(Email, "aya@example.co.jp").is_ok());
        assert!(parse_address(Email, "aya@localhost").is_err());
        assert!(parse_address(Email, "a b@example.com").is_err());
        assert!(parse_address(Slack, "C0123ABCD").is_ok());
        assert!(parse_address(Slack, "https://hooks.slack.com/services/T/B/x").is_ok());
        assert!(parse_address(Slack, "#general").is_err());
        assert!(parse_address(Teams, "https://prod.example.com/workflows/1").is_ok());
        assert!(parse_address(Webhook, "http://127.0.0.1:9000/hook").is_ok());
        assert!(parse_address(Webhook, "ftp://example.com").is_err());
        assert!(parse_address(Webhook, "https:///path").is_err());
        assert!(parse_address(LineWorks, "aya@works-example").is_ok());
        assert!(parse_address(LineWorks, "aya tanaka").is_err());
        assert_eq!(parse_address(Email, "  "), Err(AddressError::Empty));
        assert_eq!(
            parse_address(Webhook, &format!("https://e.com/{}", "a".repeat(600))),
            Err(AddressError::TooLong)
        );
    }
}
