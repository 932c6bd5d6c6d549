//! Outgoing mail with lettre: over SMTP when an SMTP URL is configured, otherwise into a file
//! outbox (`<data_dir>/outbox/*.eml`) that an administrator can read, so a fresh install
//! can still complete a password reset without a mail server.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use async_trait::async_trait;
use base64::Engine;
use inkstone_core::ports::{Mailer, OutgoingMail};
use inkstone_core::{CoreError, CoreResult};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;

/// The `From` used when none is configured.
pub const DEFAULT_MAIL_FROM: &str = "Inkstone <inkstone@localhost>";
/// The outbox directory's name inside the data directory.
pub const OUTBOX_DIR_NAME: &str = "outbox";
/// How long one SMTP command may take; lettre's default (60 s) would hold a password-reset
/// request open for a minute when the server is unreachable.
pub const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The configured mailer: SMTP when `smtp_url` is set, else the file outbox in
/// `<data_dir>/outbox/` (created here).
///
/// Errors: an SMTP URL lettre cannot use (unknown scheme or `tls` value, no host), a `From`
/// that is not a mailbox, an outbox directory that cannot be created. Messages never repeat
/// the SMTP URL, which may hold a password.
pub fn mailer_from_config(config: &Config) -> anyhow::Result<Arc<dyn Mailer>> {
    let from = config.mail_from.as_deref().unwrap_or(DEFAULT_MAIL_FROM);
    let mailer = match &config.smtp_url {
        Some(url) => LettreMailer::smtp(url.expose(), from)?,
        None => LettreMailer::outbox(&config.data_dir.join(OUTBOX_DIR_NAME), from)?,
    };
    Ok(Arc::new(mailer))
}

/// A [`Mailer`] over one lettre transport.
pub struct LettreMailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

impl LettreMailer {
    /// Sends through the SMTP server at `url` (`smtps://user:pass@host:465`,
    /// `smtp://host:587?tls=required`, `smtp://host:25`; user and password percent-encoded).
    /// No connection is made until the first message. Errors as in [`mailer_from_config`].
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<LettreMailer> {
        let from = parse_from(from)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context(
                "smtp_url (INKSTONE_SMTP_URL) is not a usable SMTP URL; expected e.g. \
                 smtps://user:password@host:465 or smtp://host:587?tls=required",
            )?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let host = host_for_log(url);
        let local = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .any(|h| host == *h || host.starts_with(&format!("{h}:")));
        // A relay on the same machine needs no TLS; anything else sent in clear is worth a warning.
        if url.starts_with("smtp://") && !url.contains("tls=") && !local {
            tracing::warn!(
                host,
                "SMTP without TLS: mail and any password travel in clear text; use smtps:// or ?tls=required"
            );
        }
        tracing::info!(host, "outgoing mail goes over SMTP");
        Ok(LettreMailer { from, transport: Transport::Smtp(transport) })
    }

    /// Writes each message as `<random>.eml` into `dir` (created if missing); read them back
    /// with [`read_outbox`]. Errors as in [`mailer_from_config`].
    pub fn outbox(dir: &Path, from: &str) -> anyhow::Result<LettreMailer> {
        let from = parse_from(from)?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create mail outbox directory {}", dir.display()))?;
        tracing::info!(dir = %dir.display(), "no SMTP server configured; outgoing mail goes to the file outbox");
        Ok(LettreMailer { from, transport: Transport::Outbox(AsyncFileTransport::new(dir)) })
    }
}

fn parse_from(from: &str) -> anyhow::Result<Mailbox> {
    match from.parse() {
        Ok(mailbox) => Ok(mailbox),
        Err(err) => bail!(
            "mail_from (INKSTONE_MAIL_FROM) `{from}` is not a mail address ({err}); expected e.g. \
             `Inkstone <blog@example.com>`"
        ),
    }
}

/// The host part of an SMTP URL, without the credentials in front of it.
fn host_for_log(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').map_or(authority, |(_, host)| host)
}

#[async_trait]
impl Mailer for LettreMailer {
    async fn send(&self, mail: OutgoingMail) -> CoreResult<()> {
        let OutgoingMail { to, subject, text } = mail;
        let recipient: Mailbox = to.parse().map_err(|err| {
            CoreError::internal(format!("cannot send mail: recipient `{to}` is not a mail address ({err})"))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|err| CoreError::internal(format!("cannot build mail to {to}: {err}")))?;
        let mut message = message;
        message.headers_mut().insert_raw(lettre::message::header::HeaderValue::new(
            lettre::message::header::HeaderName::new_from_ascii_str(SEQUENCE_HEADER),
            next_sequence().to_string(),
        ));
        // The body is never logged: it carries reset codes.
        let (kind, sent) = match &self.transport {
            Transport::Smtp(smtp) => ("smtp", smtp.send(message).await.map(drop).map_err(|e| e.to_string())),
            Transport::Outbox(outbox) => {
                ("outbox", outbox.send(message).await.map(drop).map_err(|e| e.to_string()))
            }
        };
        match sent {
            Ok(()) => {
                tracing::info!(to = %to, subject = %subject, transport = kind, "mail sent");
                Ok(())
            }
            Err(err) => Err(CoreError::internal(format!("cannot send mail to {to} ({kind}): {err}"))),
        }
    }
}

/// Orders outbox files: file times are too coarse (several mails share one) and lettre
/// names files with random UUIDs.
const SEQUENCE_HEADER: &str = "X-Inkstone-Sequence";

/// Nanoseconds since the epoch, strictly increasing within the process.
fn next_sequence() -> u128 {
    static LAST: std::sync::Mutex<u128> = std::sync::Mutex::new(0);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    *last = now.max(*last + 1);
    *last
}

/// One message from the file outbox, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The `From` header, decoded (`Inkstone <inkstone@localhost>`).
    pub from: String,
    /// The `To` header, decoded (`reader@example.com`).
    pub to: String,
    pub subject: String,
    /// The body with line ends as `\n`.
    pub text: String,
}

/// The messages in an outbox directory, oldest first; unreadable or non-`.eml` files are
/// skipped, a missing directory is empty. Decodes what [`LettreMailer`] writes: RFC 2047
/// encoded headers and 7bit, 8bit, quoted-printable or base64 single-part bodies.
pub fn read_outbox(dir: &Path) -> Vec<OutboxMessage> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut messages: Vec<(u128, std::time::SystemTime, OutboxMessage)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .filter_map(|path| {
            let modified =
                std::fs::metadata(&path).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
            let raw = std::fs::read(&path).ok()?;
            let (sequence, message) = parse_eml(&raw);
            Some((sequence, modified, message))
        })
        .collect();
    messages.sort_by_key(|(sequence, modified, _)| (*sequence, *modified));
    messages.into_iter().map(|(_, _, message)| message).collect()
}

/// The message and its sequence number (0 when absent).
fn parse_eml(raw: &[u8]) -> (u128, OutboxMessage) {
    let raw = String::from_utf8_lossy(raw);
    let (head, body) =
        raw.split_once("\r\n\r\n").or_else(|| raw.split_once("\n\n")).unwrap_or((raw.as_ref(), ""));
    let headers = unfold_headers(head);
    let header = |name: &str| {
        headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or("")
    };
    let encoding = header("Content-Transfer-Encoding").trim().to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(compact).unwrap_or_default()
        }
        "quoted-printable" => {
            quoted_printable::decode(body, quoted_printable::ParseMode::Robust).unwrap_or_default()
        }
        _ => body.as_bytes().to_vec(),
    };
    let sequence = header(SEQUENCE_HEADER).trim().parse().unwrap_or(0);
    let message = OutboxMessage {
        from: decode_encoded_words(header("From")),
        to: decode_encoded_words(header("To")),
        subject: decode_encoded_words(header("Subject")),
        text: String::from_utf8_lossy(&bytes).replace("\r\n", "\n"),
    };
    (sequence, message)
}

/// `(name, value)` pairs with folded continuation lines joined (RFC 5322 §2.2.3).
fn unfold_headers(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim_start().to_string()));
        }
    }
    headers
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`). Whitespace between
/// adjacent encoded words is dropped and their bytes are joined before UTF-8 decoding, since
/// an encoder may split a character across words. Charsets other than UTF-8 are read as
/// UTF-8, lossily (the outbox only holds lettre's UTF-8).
fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut after_word = false;
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        match parse_encoded_word(&rest[start..]) {
            Some((bytes, len)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                    out.push_str(before);
                }
                pending.extend(bytes);
                after_word = true;
                rest = &rest[start + len..];
            }
            None => {
                out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                out.push_str(&rest[..start + 2]);
                after_word = false;
                rest = &rest[start + 2..];
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(rest);
    out
}

/// Parses one encoded word at the start of `text`: its bytes and its length in `text`.
fn parse_encoded_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (_charset, after_charset) = inner.split_once('?')?;
    let (encoding, after_encoding) = after_charset.split_once('?')?;
    let end = after_encoding.find("?=")?;
    let payload = &after_encoding[..end];
    if payload.contains([' ', '\t', '\r', '\n']) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD.decode(payload).ok()?,
        "Q" | "q" => decode_q(payload)?,
        _ => return None,
    };
    let len = text.len() - after_encoding.len() + end + 2;
    Some((bytes, len))
}

/// The "Q" encoding: quoted-printable with `_` for space.
fn decode_q(payload: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(payload.len());
    let mut bytes = payload.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str, subject: &str, text: &str) -> OutgoingMail {
        OutgoingMail { to: to.into(), subject: subject.into(), text: text.into() }
    }

    #[tokio::test]
    async fn outbox_mail_comes_back_in_the_order_it_was_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = LettreMailer::outbox(dir.path(), DEFAULT_MAIL_FROM).unwrap();
        for n in 0..12 {
            mailer.send(mail("reader@example.com", &format!("mail {n}"), "text")).await.unwrap();
        }
        let subjects: Vec<String> = read_outbox(dir.path()).into_iter().map(|m| m.subject).collect();
        let expected: Vec<String> = (0..12).map(|n| format!("mail {n}")).collect();
        assert_eq!(subjects, expected);
    }

    #[tokio::test]
    async fn outbox_mail_keeps_chinese_subject_and_body() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let mailer = LettreMailer::outbox(&outbox, DEFAULT_MAIL_FROM).unwrap();
        let subject =
            "重置你的 Inkstone 密码：验证码十分钟内有效，请勿转告他人（这是一个很长的标题，会被折行）";
        let text = "你好，读者！\n\n你的验证码是 483920。\n若非本人操作，请忽略此邮件。\n";
        mailer.send(mail("reader@example.com", subject, text)).await.unwrap();
        mailer
            .send(mail("Zoë <zoe@example.com>", "Café reminder", "Plain text with one é.\nSecond line.\n"))
            .await
            .unwrap();

        let messages = read_outbox(&outbox);
        assert_eq!(messages.len(), 2, "{messages:?}");
        let chinese = messages.iter().find(|m| m.to == "reader@example.com").unwrap();
        assert_eq!(chinese.from, DEFAULT_MAIL_FROM);
        assert_eq!(chinese.subject, subject);
        assert_eq!(chinese.text, text);
        let latin = messages.iter().find(|m| m.to == "Zoë <zoe@example.com>").unwrap();
        assert_eq!(latin.subject, "Café reminder");
        assert_eq!(latin.text, "Plain text with one é.\nSecond line.\n");

        // Nothing raw on disk: the files are proper 7-bit mail.
        for entry in std::fs::read_dir(&outbox).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(raw.is_ascii());
        }
    }

    #[tokio::test]
    async fn the_configured_mailer_defaults_to_the_outbox_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let config =
            Config::resolve_with_env(Some(dir.path().to_path_buf()), None, None, None, None, &|name| {
                (name == "INKSTONE_MAIL_FROM").then(|| "博客 <blog@example.com>".to_string())
            })
            .unwrap();
        let mailer = mailer_from_config(&config).unwrap();
        mailer.send(mail("reader@example.com", "Hello", "Hi.\n")).await.unwrap();
        let messages = read_outbox(&dir.path().join(OUTBOX_DIR_NAME));
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].from, "博客 <blog@example.com>");
        assert_eq!(messages[0].text, "Hi.\n");
    }

    #[tokio::test]
    async fn an_invalid_recipient_is_an_internal_error() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = LettreMailer::outbox(dir.path(), DEFAULT_MAIL_FROM).unwrap();
        let err = mailer.send(mail("not an address", "Hi", "Hi")).await.unwrap_err();
        assert_eq!(err.code, inkstone_core::ErrorCode::Internal);
        assert!(read_outbox(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn smtp_urls_are_checked_without_revealing_them() {
        assert!(LettreMailer::smtp("smtps://user:pa%24%24@localhost:465", DEFAULT_MAIL_FROM).is_ok());
        assert!(LettreMailer::smtp("smtp://localhost:587?tls=required", DEFAULT_MAIL_FROM).is_ok());
        for bad in ["ftp://user:hunter2@host", "smtp://user:hunter2@host?tls=sometimes", "hunter2"] {
            let err = LettreMailer::smtp(bad, DEFAULT_MAIL_FROM).err().expect(bad);
            let text = format!("{err:#}");
            assert!(text.contains("INKSTONE_SMTP_URL"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
        let err = LettreMailer::smtp("smtps://localhost", "not a mailbox").err().unwrap();
        assert!(err.to_string().contains("INKSTONE_MAIL_FROM"));
        assert_eq!(host_for_log("smtps://u:p@ss@mail.example.com:465/ehlo?tls=x"), "mail.example.com:465");
        assert_eq!(host_for_log("smtp://localhost"), "localhost");
    }

    #[test]
    fn encoded_words_decode() {
        assert_eq!(decode_encoded_words("=?utf-8?b?5L2g5aW9?="), "你好");
        assert_eq!(decode_encoded_words("=?UTF-8?Q?Caf=C3=A9_au_lait?= ok"), "Café au lait ok");
        // A character split across two words, with folding whitespace between them.
        assert_eq!(decode_encoded_words("=?utf-8?b?5L2g5Q==?=\r\n =?utf-8?b?pb0=?="), "你好");
        assert_eq!(decode_encoded_words("Re: =?utf-8?q?a?= b =?utf-8?q?c?="), "Re: a b c");
        assert_eq!(decode_encoded_words("plain =? not a word"), "plain =? not a word");
    }
}
