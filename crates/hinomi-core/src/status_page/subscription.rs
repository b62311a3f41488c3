//! Email subscriptions to the status page: the address a person gives, the double opt-in's
//! rules (a confirmation mail, valid a day, answered with a link), and the bounds on
//! confirmation mails that keep the public form from being used to send mail to strangers:
//! a few per address a day and a number per hour in all. The answer to the person is the
//! same whatever is decided, so the form never tells who is subscribed.

use super::{StatusError, refuse};
use crate::contact::is_email;

/// How long a confirmation link works.
pub const CONFIRM_VALID_MS: i64 = 24 * HOUR_MS;
const HOUR_MS: i64 = 3_600_000;
/// The window of the per-address bound.
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// The window of the global bound.
pub const WINDOW_HOUR_MS: i64 = HOUR_MS;

/// An email address as a subscriber gives it: trimmed, the domain in lower case (the local
/// part is the mail system's to interpret, and kept as written).
pub fn parse_email(field: &str, text: &str) -> Result<String, StatusError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(refuse(field, "must not be empty"));
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err(refuse(field, format!("{text:?} is not an email address")));
    };
    let address = format!("{local}@{}", domain.to_ascii_lowercase());
    if !is_email(&address) {
        return Err(refuse(field, format!("{text:?} is not an email address")));
    }
    Ok(address)
}

/// The bounds on confirmation mails (`[status_page]` settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailLimits {
    /// Confirmation mails to one address in 24 hours.
    pub per_address_per_day: u32,
    /// Confirmation mails to anyone in an hour.
    pub per_hour: u32,
}

impl Default for MailLimits {
    fn default() -> Self {
        MailLimits {
            per_address_per_day: 3,
            per_hour: 100,
        }
    }
}

/// What is known of an address when someone asks to subscribe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asked {
    /// Whether the address is subscribed and confirmed already.
    pub confirmed: bool,
    /// Confirmation mails sent to the address in the last 24 hours.
    pub sent_to_address: u32,
    /// Confirmation mails sent to anyone in the last hour.
    pub sent_in_hour: u32,
}

/// What a request to subscribe does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send a confirmation mail whose link works until `expires_at`; the subscription is
    /// written (or its pending request renewed) unconfirmed.
    Confirm { expires_at: i64 },
    /// Nothing: the address is confirmed already.
    AlreadySubscribed,
    /// Nothing: a bound on confirmation mails is reached.
    Limited,
}

/// Decides a request to subscribe at `now`.
pub fn decide(asked: Asked, limits: MailLimits, now: i64) -> Decision {
    if asked.confirmed {
        Decision::AlreadySubscribed
    } else if asked.sent_to_address >= limits.per_address_per_day
        || asked.sent_in_hour >= limits.per_hour
    {
        Decision::Limited
    } else {
        Decision::Confirm {
            expires_at: now + CONFIRM_VALID_MS,
        }
    }
}

/// What using a confirmation link at `now` does to a subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// It becomes active now.
    Confirm,
    /// It was confirmed before: nothing changes.
    Already,
    /// The link's time ran out: the person must ask again.
    Expired,
}

/// Decides a confirmation of a subscription that is `confirmed_at` (if so) and whose
/// pending request expires at `expires_at`.
pub fn confirm(confirmed_at: Option<i64>, expires_at: Option<i64>, now: i64) -> Confirmation {
    match (confirmed_at, expires_at) {
        (Some(_), _) => Confirmation::Already,
        (None, Some(end)) if now < end => Confirmation::Confirm,
        (None, _) => Confirmation::Expired,
    }
}

/// An address with most of its local part hidden (`ta***@example.org`), for readers who
/// may see that someone subscribed but not who.
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let shown: String = local
                .chars()
                .take(2.min(local.chars().count() / 2))
                .collect();
            format!("{shown}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_their_domain_lowered() {
        assert_eq!(
            parse_email("email", "  Tanaka@Example.CO.JP ").unwrap(),
            "Tanaka@example.co.jp"
        );
        for bad in [
            "",
            "tanaka",
            "tanaka@localhost",
            "a b@example.org",
            "@example.org",
        ] {
            let e = parse_email("email", bad).unwrap_err();
            assert_eq!(e.field, "email", "{bad}");
        }
    }

    #[test]
    fn confirmation_mails_are_bounded_per_address_and_per_hour() {
        let limits = MailLimits {
            per_address_per_day: 2,
            per_hour: 5,
        };
        let asked = |confirmed, to_address, in_hour| Asked {
            confirmed,
            sent_to_address: to_address,
            sent_in_hour: in_hour,
        };
        assert_eq!(
            decide(asked(false, 1, 4), limits, 1_000),
            Decision::Confirm {
                expires_at: 1_000 + CONFIRM_VALID_MS
            }
        );
        assert_eq!(decide(asked(false, 2, 0), limits, 0), Decision::Limited);
        assert_eq!(decide(asked(false, 0, 5), limits, 0), Decision::Limited);
        assert_eq!(
            decide(asked(true, 0, 0), limits, 0),
            Decision::AlreadySubscribed,
            "a confirmed address is sent nothing, even under the bounds"
        );
    }

    #[test]
    fn a_link_confirms_once_and_only_in_time() {
        assert_eq!(confirm(None, Some(10), 9), Confirmation::Confirm);
        assert_eq!(confirm(None, Some(10), 10), Confirmation::Expired);
        assert_eq!(confirm(None, None, 0), Confirmation::Expired);
        assert_eq!(confirm(Some(5), Some(10), 9), Confirmation::Already);
    }

    #[test]
    fn masked_addresses_keep_the_domain() {
        assert_eq!(mask_email("tanaka@example.org"), "ta***@example.org");
        assert_eq!(mask_email("ab@example.org"), "a***@example.org");
        assert_eq!(mask_email("a@example.org"), "***@example.org");
        assert_eq!(mask_email("田中太郎@example.jp"), "田中***@example.jp");
    }
}
