//! Inkstone's media storage: blob storage through an opendal [`Operator`] (local directory
//! by default, S3 by configuration, memory in tests) and the one upload pipeline every API
//! calls, [`MediaService::upload`].
//!
//! Division of work with the core: the core owns the rules and the records (permission,
//! file names, the type allow-list, deduplication by SHA-256, groups, who may edit or
//! delete; see `inkstone_core::media`); this crate owns the bytes. An upload asks the core
//! for a ticket before reading any byte, streams the body to storage under a key the
//! server chooses while hashing and counting it, and hands the result to the core, which
//! records it in one transaction. The file is never held in memory whole: memory use is a
//! sniffing window of 64 KiB plus the storage writer's chunk (none for the local
//! directory, 8 MiB for S3 multipart parts). Only thumbnails decode a whole image, on a
//! blocking thread, one or two at a time, and only images within a pixel limit.

mod sniff;
mod thumbnail;

use std::fmt::Display;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use inkstone_core::media::{Media, StoredBlob};
use inkstone_core::permission::Actor;
use inkstone_core::{Core, CoreError, CoreResult, ErrorCode};
use opendal::Operator;
use sha2::{Digest, Sha256};

pub use sniff::sniff;

/// Bytes read before the type is decided (and image dimensions read from the header).
pub const SNIFF_BYTES: usize = 64 * 1024;
/// Default largest upload: 64 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 64 * 1024 * 1024;

/// Where blobs are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// A local directory (created if missing). The default is `<data_dir>/media`.
    Fs { root: PathBuf },
    /// An S3-compatible bucket (needs the `s3` feature).
    S3 {
        bucket: String,
        /// E.g. `https://s3.eu-west-1.amazonaws.com` or a MinIO URL; empty: AWS by region.
        endpoint: Option<String>,
        region: Option<String>,
        /// Key prefix inside the bucket, e.g. `/inkstone/`.
        root: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    },
    /// Process memory: for tests.
    Memory,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageConfig::Fs { root } => f.debug_struct("Fs").field("root", root).finish(),
            StorageConfig::S3 { bucket, endpoint, region, root, .. } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("endpoint", endpoint)
                .field("region", region)
                .field("root", root)
                .finish_non_exhaustive(),
            StorageConfig::Memory => f.write_str("Memory"),
        }
    }
}

impl StorageConfig {
    /// Builds the operator. Errors: a message saying what is wrong with the configuration
    /// (or that this build has no S3 support).
    pub fn operator(&self) -> Result<Operator, String> {
        let built = match self {
            StorageConfig::Fs { root } => {
                std::fs::create_dir_all(root)
                    .map_err(|e| format!("cannot create media directory {}: {e}", root.display()))?;
                let root = root.to_str().ok_or("the media directory path is not UTF-8")?;
                Operator::new(opendal::services::Fs::default().root(root))
            }
            StorageConfig::Memory => Operator::new(opendal::services::Memory::default()),
            StorageConfig::S3 { .. } => return s3_operator(self),
        };
        built.map_err(|e| format!("cannot open media storage: {e}"))
    }
}

#[cfg(feature = "s3")]
fn s3_operator(config: &StorageConfig) -> Result<Operator, String> {
    let StorageConfig::S3 { bucket, endpoint, region, root, access_key_id, secret_access_key } = config
    else {
        return Err("not an S3 configuration".into());
    };
    // TLS through rustls on the ring provider (never aws-lc-rs); first install wins.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = opendal::services::S3::default().bucket(bucket);
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint(endpoint);
    }
    builder = builder.region(region.as_deref().unwrap_or("us-east-1"));
    if let Some(root) = root {
        builder = builder.root(root);
    }
    if let (Some(id), Some(secret)) = (access_key_id, secret_access_key) {
        builder = builder.access_key_id(id).secret_access_key(secret);
    }
    let op = Operator::new(builder).map_err(|e| format!("cannot configure S3 storage: {e}"))?;
    let transport =
        opendal::HttpTransporter::new(opendal_http_transport_reqwest::ReqwestTransport::default());
    Ok(op.with_context(opendal::OperationContext::new().with_http_transport(transport)))
}

#[cfg(not(feature = "s3"))]
fn s3_operator(_config: &StorageConfig) -> Result<Operator, String> {
    Err("this build of Inkstone has no S3 support (build inkstone-media with the `s3` feature)".into())
}

/// Limits of the upload pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    /// Largest file accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Thumbnails fit in a square of this many pixels a side.
    pub thumbnail_edge: u32,
    /// Images with more pixels than this get no thumbnail (decompression bombs).
    pub max_thumbnail_pixels: u64,
    /// Images larger than this many bytes get no thumbnail.
    pub max_thumbnail_source_bytes: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            thumbnail_edge: 320,
            max_thumbnail_pixels: 40_000_000,
            max_thumbnail_source_bytes: 32 * 1024 * 1024,
        }
    }
}

/// What the caller says about an upload before its bytes.
#[derive(Debug, Clone, Default)]
pub struct UploadRequest {
    /// The file name on the uploader's machine (checked; never a storage path).
    pub original_name: String,
    pub group_id: Option<i64>,
    /// The request's `Content-Length` when known: refused at once when already over the
    /// limit. May include envelope overhead (multipart boundaries): see
    /// [`MediaService::declared_length_allowed`].
    pub declared_length: Option<u64>,
}

/// A byte range of a stored file, streamed.
pub type ByteStream = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Blob storage plus the upload pipeline. Cheap to clone.
#[derive(Clone)]
pub struct MediaService {
    core: Arc<Core>,
    op: Operator,
    limits: MediaLimits,
    /// Writer chunk: S3 parts must be at least 5 MiB; a local file needs none.
    write_chunk: Option<usize>,
    thumbnails: Arc<tokio::sync::Semaphore>,
}

/// Multipart envelope bytes allowed beyond the file limit in a declared length.
const ENVELOPE_SLACK: u64 = 64 * 1024;

fn too_large(limit: u64) -> CoreError {
    let mib = limit as f64 / (1024.0 * 1024.0);
    CoreError::new(ErrorCode::PayloadTooLarge)
        .with_field("file")
        .with_detail(format!("files may be at most {mib:.1} MiB"), format!("文件最大为 {mib:.1} MiB"))
}

fn storage_error(err: opendal::Error) -> CoreError {
    CoreError::internal(format!("media storage: {err}"))
}

impl MediaService {
    /// A service over `op`.
    pub fn new(core: Arc<Core>, op: Operator, limits: MediaLimits) -> MediaService {
        let write_chunk = if op.info().scheme() == "s3" { Some(8 * 1024 * 1024) } else { None };
        MediaService { core, op, limits, write_chunk, thumbnails: Arc::new(tokio::sync::Semaphore::new(2)) }
    }

    /// A service keeping blobs in process memory (tests, and state built without storage
    /// configuration).
    pub fn memory(core: Arc<Core>) -> MediaService {
        let op = StorageConfig::Memory.operator().expect("memory storage always opens");
        MediaService::new(core, op, MediaLimits::default())
    }

    /// The storage operator (tests inspect what is stored through it).
    pub fn operator(&self) -> &Operator {
        &self.op
    }

    pub fn limits(&self) -> MediaLimits {
        self.limits
    }

    /// Whether a request body of `length` bytes could hold an acceptable file (the limit
    /// plus 64 KiB of envelope).
    pub fn declared_length_allowed(&self, length: u64) -> bool {
        length <= self.limits.max_upload_bytes.saturating_add(ENVELOPE_SLACK)
    }

    /// Refuses a request whose declared body length (`Content-Length`) is already over
    /// the limit. Errors: `payload_too_large`.
    pub fn check_declared_length(&self, length: Option<u64>) -> CoreResult<()> {
        match length {
            Some(len) if !self.declared_length_allowed(len) => Err(too_large(self.limits.max_upload_bytes)),
            _ => Ok(()),
        }
    }

    /// The one upload function of every API: checks permission through the core before
    /// reading a byte, streams `body` to storage under a server-chosen key (hashing with
    /// SHA-256 and counting as it goes), sniffs the type from the first bytes, reads image
    /// dimensions, makes a thumbnail for raster images, and records the upload through the
    /// core (reusing the stored blob when the same bytes were uploaded before).
    ///
    /// Errors: `unauthenticated`/`forbidden` (nothing read); `payload_too_large` when the
    /// declared length or the bytes exceed the limit (nothing kept); `invalid_input`
    /// (field `file`) for an empty file, a name that looks like a path, a type not on the
    /// allow-list, or a body cut short; `not_found` (field `group_id`); `internal` when
    /// storage fails.
    pub async fn upload<S, E>(&self, actor: &Actor, request: UploadRequest, mut body: S) -> CoreResult<Media>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: Display,
    {
        let ticket = self.core.begin_upload(actor, &request.original_name, request.group_id).await?;
        let limit = self.limits.max_upload_bytes;
        self.check_declared_length(request.declared_length)?;
        let cut_short = |err: E| {
            CoreError::invalid("file", format!("the upload was cut short: {err}"), format!("上传中断：{err}"))
        };
        // The sniffing window: nothing is written before the type is accepted.
        let mut head = BytesMut::new();
        while head.len() < SNIFF_BYTES {
            match body.next().await {
                Some(Ok(chunk)) => {
                    if (head.len() + chunk.len()) as u64 > limit {
                        return Err(too_large(limit));
                    }
                    head.extend_from_slice(&chunk);
                }
                Some(Err(err)) => return Err(cut_short(err)),
                None => break,
            }
        }
        if head.is_empty() {
            return Err(CoreError::invalid("file", "the file is empty", "文件为空"));
        }
        let head = head.freeze();
        let kind = sniff(&head);
        self.core.check_upload_type(kind.mime)?;
        let header_size = if kind.raster { imagesize::blob_size(&head).ok() } else { None };
        let key = new_key(self.core.now(), kind.extension);

        let mut writer = match self.write_chunk {
            Some(chunk) => self.op.writer_with(&key).chunk(chunk).await,
            None => self.op.writer(&key).await,
        }
        .map_err(storage_error)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let streamed: CoreResult<()> = async {
            hasher.update(&head);
            size += head.len() as u64;
            writer.write(head.clone()).await.map_err(storage_error)?;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(cut_short)?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(too_large(limit));
                }
                hasher.update(&chunk);
                writer.write(chunk).await.map_err(storage_error)?;
            }
            writer.close().await.map_err(storage_error)?;
            Ok(())
        }
        .await;
        if let Err(err) = streamed {
            let _ = writer.abort().await;
            self.remove(&key).await;
            return Err(err);
        }
        let sha256 = hex::encode(hasher.finalize());

        let mut width = header_size.map(|s| s.width as i64);
        let mut height = header_size.map(|s| s.height as i64);
        let mut thumb = None;
        let known = match self.core.media_blob_exists(&sha256).await {
            Ok(known) => known,
            Err(err) => {
                self.remove(&key).await;
                return Err(err);
            }
        };
        if kind.raster
            && !known
            && size <= self.limits.max_thumbnail_source_bytes
            && let Some(made) = self.make_thumbnail(&key, kind.mime).await
        {
            width = width.or(Some(made.source_width));
            height = height.or(Some(made.source_height));
            thumb = Some(made.thumbnail);
        }
        let written: Vec<String> =
            std::iter::once(key.clone()).chain(thumb.as_ref().map(|t| t.key.clone())).collect();
        let stored = StoredBlob {
            sha256,
            key,
            mime: kind.mime.to_string(),
            size: size as i64,
            width,
            height,
            thumbnail: thumb,
        };
        let inserted = match self.core.finish_upload(ticket, stored).await {
            Ok(inserted) => inserted,
            Err(err) => {
                for key in &written {
                    self.remove(key).await;
                }
                return Err(err);
            }
        };
        if inserted.blob_reused {
            for key in &written {
                self.remove(key).await;
            }
        }
        Ok(inserted.media)
    }

    /// Deletes a media record through the core and, when it was the last one using its
    /// stored file, the file and its thumbnail. Errors: as `Core::delete_media`.
    pub async fn delete(&self, actor: &Actor, id: i64) -> CoreResult<Media> {
        let deleted = self.core.delete_media(actor, id).await?;
        for key in &deleted.orphaned_keys {
            self.remove(key).await;
        }
        Ok(deleted.media)
    }

    /// Streams `range` of the file stored under `key` (a key the core vouched for).
    /// Errors: `internal` when storage fails.
    pub async fn read_range(&self, key: &str, range: Range<u64>) -> CoreResult<ByteStream> {
        let reader = self.op.reader_with(key).chunk(256 * 1024).await.map_err(storage_error)?;
        let stream = reader.into_bytes_stream(range).await.map_err(storage_error)?;
        Ok(Box::pin(stream))
    }

    /// Removes a stored file; a failure is logged (the file is left behind, unreferenced).
    async fn remove(&self, key: &str) {
        if let Err(err) = self.op.delete(key).await {
            tracing::warn!(key, error = %err, "could not remove a media file");
        }
    }

    async fn make_thumbnail(&self, key: &str, mime: &'static str) -> Option<thumbnail::Made> {
        let _permit = self.thumbnails.acquire().await.ok()?;
        let bytes = match self.op.read(key).await {
            Ok(buffer) => buffer.to_bytes(),
            Err(err) => {
                tracing::warn!(key, error = %err, "could not read an image back for its thumbnail");
                return None;
            }
        };
        let limits = self.limits;
        let thumb_key = thumbnail_key(key, mime);
        let made = tokio::task::spawn_blocking(move || thumbnail::make(&bytes, mime, &limits)).await;
        let (encoded, mut made) = match made {
            Ok(Ok(made)) => made,
            Ok(Err(reason)) => {
                tracing::info!(key, reason, "no thumbnail");
                return None;
            }
            Err(err) => {
                tracing::warn!(key, error = %err, "thumbnail task failed");
                return None;
            }
        };
        made.thumbnail.key = thumb_key.clone();
        match self.op.write(&thumb_key, encoded).await {
            Ok(_) => Some(made),
            Err(err) => {
                tracing::warn!(key, error = %err, "could not store a thumbnail");
                None
            }
        }
    }
}

/// A new storage key: `<yyyy>/<mm>/<32 random hex>.<ext>`. Never reused, so the bytes
/// behind a key never change.
fn new_key(now: chrono::DateTime<chrono::Utc>, extension: &str) -> String {
    let random: [u8; 16] = rand::random();
    format!("{}/{}.{extension}", now.format("%Y/%m"), hex::encode(random))
}

/// The key of a blob's thumbnail: `<stem>_thumb.<jpg|png>`.
fn thumbnail_key(key: &str, source_mime: &str) -> String {
    let stem = key.rsplit_once('.').map_or(key, |(stem, _)| stem);
    format!("{stem}_thumb.{}", thumbnail::extension_for(source_mime))
}

/// Whether `key` has the shape of a key this server makes (see [`new_key`] and thumbnail
/// keys): `dddd/dd/<32 hex>[_thumb].<1-8 lower-case letters or digits>`. Anything else,
/// including every traversal attempt, is not a stored file.
pub fn is_storage_key(key: &str) -> bool {
    let parts: Vec<&str> = key.split('/').collect();
    let [year, month, name] = parts.as_slice() else { return false };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) {
        return false;
    }
    let Some((stem, ext)) = name.split_once('.') else { return false };
    let stem = stem.strip_suffix("_thumb").unwrap_or(stem);
    stem.len() == 32
        && stem.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && (1..=8).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_server_shaped() {
        let now = chrono::Utc::now();
        let key = new_key(now, "png");
        assert!(is_storage_key(&key), "{key}");
        assert!(is_storage_key(&thumbnail_key(&key, "image/png")));
        for bad in [
            "../x",
            "2026/01/../../etc/passwd",
            "/2026/01/0123456789abcdef0123456789abcdef.png",
            "2026\\01\\0123456789abcdef0123456789abcdef.png",
            "2026/01/0123456789abcdef0123456789abcdef.png\0",
            "2026/01/0123456789ABCDEF0123456789abcdef.png",
            "2026/01/0123456789abcdef0123456789abcdef.p/g",
            "",
        ] {
            assert!(!is_storage_key(bad), "{bad:?}");
        }
    }
}
