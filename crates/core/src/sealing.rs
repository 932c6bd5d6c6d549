//! Sealing secrets that a legacy scheme must see raw (an API key checked through an emlog
//! signature `md5(req_time . key)`): ChaCha20-Poly1305 under the server key, so a copy of
//! the database alone does not reveal them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

const NONCE_LEN: usize = 12;

/// The server's 256-bit secret key. Kept outside the database (a file in the data
/// directory, or `INKSTONE_SERVER_KEY` for nodes sharing one database).
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    pub fn from_bytes(bytes: [u8; 32]) -> ServerKey {
        ServerKey(bytes)
    }

    /// A new random key.
    pub fn generate() -> ServerKey {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        ServerKey(bytes)
    }

    /// The key as standard base64 (44 characters), for the key file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses [`ServerKey::to_base64`] output (surrounding whitespace allowed); `None` if
    /// it is not 32 bytes of base64.
    pub fn from_base64(text: &str) -> Option<ServerKey> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        Some(ServerKey(bytes.try_into().ok()?))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// Encrypts `plaintext` under a fresh random nonce; returns base64 of nonce and
    /// ciphertext.
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// Decrypts [`ServerKey::seal`] output; `None` if it was sealed under another key or
    /// tampered with.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher().decrypt(Nonce::from_slice(nonce), ciphertext).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_under_their_key() {
        let key = ServerKey::generate();
        let sealed = key.seal("isk_secret");
        assert!(!sealed.contains("isk_secret"));
        assert_eq!(key.open(&sealed).as_deref(), Some("isk_secret"));
        assert_ne!(sealed, key.seal("isk_secret"), "fresh nonce each time");
        assert_eq!(ServerKey::generate().open(&sealed), None);
        let mut tampered = STANDARD.decode(&sealed).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(&STANDARD.encode(tampered)), None);
        let restored = ServerKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(restored.open(&sealed).as_deref(), Some("isk_secret"));
        assert!(ServerKey::from_base64("c2hvcnQ=").is_none());
    }
}
