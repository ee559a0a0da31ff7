//! Secrets at rest: what the service must read back in clear (a PBX's API secret, the
//! webhook URL shown to admins) is stored encrypted with a key from configuration, and
//! what it only has to recognise (a webhook token on an incoming request) is stored as a
//! keyed hash. Passwords and OAuth client secrets are hashed elsewhere (argon2, SHA-256):
//! they are never needed in clear, which is stronger than any encryption.
//!
//! XChaCha20-Poly1305 is used for its 24-byte nonces: drawn at random for every value, they
//! never repeat in practice, so no counter has to be kept across nodes and restarts.
//! A sealed value is `v1:` + base64url(nonce || ciphertext); the version prefix leaves room
//! for another algorithm or key later. Each value is bound to its row and field through the
//! associated data, so a ciphertext copied into another row or field does not open.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const SEALED_PREFIX: &str = "v1:";
const HASH_PREFIX: &str = "h1:";
const NONCE_LEN: usize = 24;

/// The 256-bit key every secret at rest is encrypted with. Written and read as 64 hex
/// digits (base64 of 32 bytes is read too).
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

/// Why a text is not a key. Never quotes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a secret key is 32 bytes written as 64 hex digits (or in base64); this one is {0}")]
pub struct BadKey(&'static str);

impl SecretKey {
    /// A fresh random key (first start without a configured key).
    pub fn generate() -> SecretKey {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        SecretKey(k)
    }

    pub fn parse(text: &str) -> Result<SecretKey, BadKey> {
        let t = text.trim();
        if t.is_empty() {
            return Err(BadKey("empty"));
        }
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| BadKey("not hex"))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
                .map_err(|_| BadKey("neither hex nor base64"))?
        };
        let k: [u8; 32] = bytes.try_into().map_err(|_| BadKey("not 32 bytes long"))?;
        Ok(SecretKey(k))
    }

    /// The key as 64 hex digits, for the key file.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// A sealed value that does not open. Said of the value ("its secret ..."), never quoting it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Well formed, but the key (or the row it was sealed for) is not this one.
    #[error("cannot be decrypted with the configured secret key (was secret_key changed, or the data copied from another installation?)")]
    WrongKey,
    #[error("is not a value this version can decrypt")]
    Malformed,
}

/// Seals and opens secrets at rest, and hashes lookup tokens. Two keys are derived from
/// the configured one so that the cipher and the lookup hash never share a key.
pub struct Vault {
    cipher: XChaCha20Poly1305,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    pub fn new(key: &SecretKey) -> Vault {
        let enc = derive(key, b"switchboard secrets v1: encryption");
        Vault {
            cipher: XChaCha20Poly1305::new((&enc).into()),
            mac_key: derive(key, b"switchboard secrets v1: lookup hash"),
        }
    }

    /// Whether `s` has the shape of a sealed value (it says nothing of the key).
    pub fn is_sealed(s: &str) -> bool {
        s.starts_with(SEALED_PREFIX)
    }

    /// Whether `s` has the shape of a lookup hash.
    pub fn is_lookup_hash(s: &str) -> bool {
        s.starts_with(HASH_PREFIX)
    }

    /// Encrypts `plain` for the place named by `aad` (row and field).
    pub fn seal(&self, plain: &str, aad: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: aad.as_bytes(),
        };
        // Encryption fails only for messages of hundreds of gigabytes.
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts what [`Vault::seal`] wrote for the same `aad`.
    pub fn open(&self, sealed: &str, aad: &str) -> Result<String, OpenError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(OpenError::Malformed)?;
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Malformed)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(OpenError::Malformed);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| OpenError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| OpenError::Malformed)
    }

    /// A keyed hash of a token, stored in its place so that the token can be looked up
    /// (a unique index) without being readable from the database.
    pub fn lookup_hash(&self, token: &str) -> String {
        format!(
            "{HASH_PREFIX}{}",
            hex(&mac(&self.mac_key, token.as_bytes()))
        )
    }
}

fn mac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0u8; 32],
    };
    m.update(data);
    m.finalize().into_bytes().into()
}

fn derive(key: &SecretKey, purpose: &[u8]) -> [u8; 32] {
    mac(&key.0, purpose)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_in_its_place() {
        let key = SecretKey::generate();
        let v = Vault::new(&key);
        let s = v.seal("pbx-secret", "integrations/1/2/secret");
        assert!(Vault::is_sealed(&s) && !s.contains("pbx-secret"));
        assert_ne!(
            s,
            v.seal("pbx-secret", "integrations/1/2/secret"),
            "random nonce"
        );
        assert_eq!(v.open(&s, "integrations/1/2/secret").unwrap(), "pbx-secret");
        assert_eq!(
            v.open(&s, "integrations/1/3/secret"),
            Err(OpenError::WrongKey)
        );
        let other = Vault::new(&SecretKey::generate());
        assert_eq!(
            other.open(&s, "integrations/1/2/secret"),
            Err(OpenError::WrongKey)
        );
        assert_eq!(v.open("pbx-secret", "x"), Err(OpenError::Malformed));
        assert_eq!(v.open("v1:!!", "x"), Err(OpenError::Malformed));
        // The same key read back from its hex form seals and opens alike.
        let again = Vault::new(&SecretKey::parse(&key.to_hex()).unwrap());
        assert_eq!(
            again.open(&s, "integrations/1/2/secret").unwrap(),
            "pbx-secret"
        );
        assert_eq!(again.lookup_hash("tok"), v.lookup_hash("tok"));
        assert_ne!(other.lookup_hash("tok"), v.lookup_hash("tok"));
    }

    #[test]
    fn keys_are_read_from_hex_or_base64_and_never_quoted() {
        let hex_key = "00".repeat(31) + "ff";
        assert!(SecretKey::parse(&hex_key).is_ok());
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(SecretKey::parse(&b64).is_ok());
        for bad in ["", "short", &"ab".repeat(16), "zz-not-a-key-zz"] {
            let e = SecretKey::parse(bad).unwrap_err().to_string();
            assert!(bad.is_empty() || !e.contains(bad), "{e}");
        }
        assert_eq!(format!("{:?}", SecretKey::generate()), "SecretKey(..)");
    }
}
