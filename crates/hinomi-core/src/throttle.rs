//! Sign-in throttling: after a few failures for one key (a username, a client address) the
//! key must wait, and each further failure doubles the wait. Pure: the caller passes `now`
//! (epoch milliseconds) and keeps the table in memory.

use std::collections::HashMap;

/// Failures allowed within [`Throttle::window_ms`] before a key is locked out.
pub const FREE_FAILURES: u32 = 5;

#[derive(Clone, Debug, Default)]
struct Entry {
    failures: u32,
    first_failure_at: i64,
    locked_until: i64,
}

/// Failed attempts per key.
#[derive(Clone, Debug)]
pub struct Throttle {
    entries: HashMap<String, Entry>,
    /// Failures older than this are forgotten.
    pub window_ms: i64,
    /// The first lock-out; doubles with each failure past the free ones.
    pub base_lock_ms: i64,
    /// The longest lock-out.
    pub max_lock_ms: i64,
    /// Most keys remembered; past it, keys with no lock-out are forgotten first.
    pub max_keys: usize,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            entries: HashMap::new(),
            window_ms: 15 * 60_000,
            base_lock_ms: 30_000,
            max_lock_ms: 15 * 60_000,
            max_keys: 100_000,
        }
    }
}

impl Throttle {
    /// How long `key` must still wait, in milliseconds; `None` when it may try now.
    pub fn wait(&self, key: &str, now: i64) -> Option<i64> {
        let e = self.entries.get(key)?;
        (e.locked_until > now).then(|| e.locked_until - now)
    }

    /// Records a failed attempt by `key`.
    pub fn fail(&mut self, key: &str, now: i64) {
        if self.entries.len() >= self.max_keys && !self.entries.contains_key(key) {
            self.entries
                .retain(|_, e| e.locked_until > now || now - e.first_failure_at < 60_000);
            if self.entries.len() >= self.max_keys {
                return;
            }
        }
        let e = self.entries.entry(key.to_owned()).or_default();
        if now - e.first_failure_at > self.window_ms && e.locked_until <= now {
            *e = Entry {
                failures: 0,
                first_failure_at: now,
                locked_until: 0,
            };
        }
        e.failures += 1;
        if e.failures >= FREE_FAILURES {
            let doublings = (e.failures - FREE_FAILURES).min(20);
            let lock = self
                .base_lock_ms
                .saturating_mul(1 << doublings)
                .min(self.max_lock_ms);
            e.locked_until = now + lock;
        }
    }

    /// A successful sign-in clears the key's failures.
    pub fn succeed(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_free_failures_and_doubles() {
        let mut t = Throttle::default();
        for i in 0..FREE_FAILURES - 1 {
            t.fail("alice", 1_000 + i64::from(i));
            assert_eq!(t.wait("alice", 1_010), None);
        }
        t.fail("alice", 2_000);
        assert_eq!(t.wait("alice", 2_000), Some(30_000));
        assert_eq!(t.wait("alice", 32_000), None);
        t.fail("alice", 32_000);
        assert_eq!(t.wait("alice", 32_000), Some(60_000));
        assert_eq!(t.wait("bob", 32_000), None, "keys are separate");
        t.succeed("alice");
        assert_eq!(t.wait("alice", 32_001), None);
    }

    #[test]
    fn old_failures_are_forgotten_and_the_lock_is_capped() {
        let mut t = Throttle::default();
        for _ in 0..FREE_FAILURES - 1 {
            t.fail("k", 0);
        }
        t.fail("k", t.window_ms + 1);
        assert_eq!(t.wait("k", t.window_ms + 1), None, "the window restarted");
        let mut t = Throttle::default();
        for i in 0..40 {
            t.fail("k", i);
        }
        assert_eq!(t.wait("k", 39), Some(t.max_lock_ms));
    }

    #[test]
    fn the_table_is_bounded() {
        let mut t = Throttle {
            max_keys: 3,
            ..Throttle::default()
        };
        for k in ["a", "b", "c", "d"] {
            t.fail(k, 0);
        }
        assert!(t.entries.len() <= 3);
    }
}
