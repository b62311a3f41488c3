//! OpenID Connect sign-ins in progress, and finding the user an identity provider vouches for.
//!
//! A flow row lives from `/auth/oidc/login` to its callback (a few minutes at most) and is
//! taken once: a replayed callback finds nothing.

use sqlx::Row;

use crate::access::{USER_COLUMNS, UserRecord};
use crate::{Result, Store};

/// What the callback needs to finish one sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcFlow {
    /// SHA-256 (hex) of the `state` sent to the provider.
    pub state_hash: String,
    /// SHA-256 (hex) of the random value in the browser's flow cookie.
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to send the browser once signed in (a local path).
    pub next_path: String,
    pub created_at: i64,
    pub expires_at: i64,
}

// The nonce and PKCE verifier are single-use secrets: never print them.
impl std::fmt::Debug for OidcFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcFlow")
            .field("state_hash", &self.state_hash)
            .field("next_path", &self.next_path)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Records a new flow, and drops the flows that expired before `now` (abandoned sign-ins).
    pub async fn create_oidc_flow(&self, flow: &OidcFlow, now: i64) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM oidc_flows WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_flows (state_hash, browser_hash, nonce, pkce_verifier, next_path, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&flow.state_hash)
        .bind(&flow.browser_hash)
        .bind(&flow.nonce)
        .bind(&flow.pkce_verifier)
        .bind(&flow.next_path)
        .bind(flow.created_at)
        .bind(flow.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes and answers the unexpired flow with this state hash. A second call with the
    /// same hash answers `None`, so a callback cannot be replayed.
    pub async fn take_oidc_flow(&self, state_hash: &str, now: i64) -> Result<Option<OidcFlow>> {
        let row = self
            .write
            .fetch_optional(
                sqlx::query(
                    "DELETE FROM oidc_flows WHERE state_hash = $1 RETURNING state_hash, \
                     browser_hash, nonce, pkce_verifier, next_path, created_at, expires_at",
                )
                .bind(state_hash),
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let flow = OidcFlow {
            state_hash: row.try_get("state_hash")?,
            browser_hash: row.try_get("browser_hash")?,
            nonce: row.try_get("nonce")?,
            pkce_verifier: row.try_get("pkce_verifier")?,
            next_path: row.try_get("next_path")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok((flow.expires_at > now).then_some(flow))
    }

    /// The user linked to this subject of the identity provider.
    pub async fn user_by_oidc_subject(&self, subject: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE oidc_subject = $1"
        ))
        .bind(subject)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(UserRecord::from_row).transpose()
    }

    /// The users with this email address (compared without regard to case), oldest first.
    pub async fn users_by_email(&self, email: &str) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1) \
             ORDER BY created_at, id"
        ))
        .bind(email)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(UserRecord::from_row).collect()
    }
}
