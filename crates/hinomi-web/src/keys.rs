//! Integration keys: random secrets that let a tool send events. hinomi keeps only their
//! SHA-256 hash; the key itself is shown once, when it is made.

use hinomi_engine::Engine;
use hinomi_store::IntegrationRecord;
use sha2::{Digest, Sha256};

/// A fresh key: 32 lower-case hex characters, the shape of a PagerDuty routing key.
pub fn generate() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// What the database stores in place of the key.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The live integration this key belongs to, if any.
pub async fn lookup(
    engine: &Engine,
    key: &str,
) -> Result<Option<IntegrationRecord>, hinomi_store::StoreError> {
    if key.is_empty() || key.len() > 256 {
        return Ok(None);
    }
    engine.store().integration_by_key_hash(&hash(key)).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_32_hex_and_hash_stably() {
        let k = super::generate();
        assert_eq!(k.len(), 32);
        assert!(k.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            super::hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
