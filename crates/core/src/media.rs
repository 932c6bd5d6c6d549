//! Media: uploaded files' records, deduplication by SHA-256, groups, ownership.
//!
//! The bytes live in blob storage (the `inkstone-media` crate, over opendal); this module
//! holds the rules and the records. An upload is two calls around the streaming of the
//! bytes, so the permission check happens before any byte is stored and the record is
//! written only once the bytes are safely stored:
//!
//! 1. [`Core::begin_upload`]: the permission check (`Upload` on the site), the file name
//!    and group checks; returns an [`UploadTicket`].
//! 2. the storage layer streams the bytes, sniffs the type and asks
//!    [`Core::check_upload_type`], hashes, measures, makes a thumbnail;
//! 3. [`Core::finish_upload`]: one transaction that finds or creates the blob by SHA-256
//!    and inserts the media row; then the `media.uploaded` event.
//!
//! A blob (one stored file and its thumbnail) is shared by every media row with the same
//! bytes and removed, in the transaction that deletes the last such row, by
//! [`Core::delete_media`], which hands the storage keys back for the files to be removed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::Core;
use crate::error::{CoreError, CoreResult};
use crate::events::{DomainEvent, EventKind};
use crate::model::Origin;
use crate::permission::{Action, Actor, Resource, authorize};

/// Longest original file name kept, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// Longest media group name, in characters.
pub const MAX_GROUP_NAME_CHARS: usize = 100;
/// Most rows in one page of the media list.
pub const MAX_PER_PAGE: i64 = 100;
/// The path under which Inkstone serves stored files: `<site.url>/media/<key>`.
pub const PUBLIC_PATH: &str = "/media/";

/// One uploaded file as its uploader named it, with the stored blob it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: i64,
    /// The name the file had on the uploader's machine (never used as a storage path).
    pub original_name: String,
    pub group_id: Option<i64>,
    /// `api` when uploaded through an API key, `console` otherwise.
    pub origin: Origin,
    pub uploader_id: i64,
    pub blob: Blob,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored file, shared by every upload of the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub id: i64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// The server-chosen storage key, e.g. `2026/01/3f2a...e1.png`; also the public path
    /// after [`PUBLIC_PATH`].
    pub key: String,
    /// Sniffed from the bytes, never taken from the client.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// Pixels, for images whose header tells.
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail: Option<Thumbnail>,
    pub created_at: DateTime<Utc>,
}

/// A smaller copy of a raster image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub key: String,
    pub mime: String,
    pub size: i64,
    pub width: i64,
    pub height: i64,
}

/// What the storage layer wrote for an upload, to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub key: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail: Option<Thumbnail>,
}

/// A media row to insert with its blob (found by `blob.sha256` or created).
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub blob: StoredBlob,
    pub original_name: String,
    pub group_id: Option<i64>,
    pub origin: Origin,
    pub uploader_id: i64,
    pub created_at: DateTime<Utc>,
}

/// What inserting a media row did with its blob.
#[derive(Debug, Clone)]
pub struct InsertedMedia {
    pub media: Media,
    /// The bytes were already stored under another key: the keys just written are not
    /// used and their files should be removed.
    pub blob_reused: bool,
}

/// A deleted media row, and the storage keys whose files should go because no other row
/// uses its blob any more (empty when the blob is still shared).
#[derive(Debug, Clone)]
pub struct DeletedMedia {
    pub media: Media,
    pub orphaned_keys: Vec<String>,
}

/// Filters and paging of the media list, as the repository runs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaQuery {
    pub group_id: Option<i64>,
    /// Matches MIME types starting with this (`image/`, `video/mp4`).
    pub mime_prefix: Option<String>,
    pub uploader_id: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

/// Filters and paging of the media list, as the caller wrote them.
#[derive(Debug, Clone, Default)]
pub struct MediaListParams {
    pub group_id: Option<i64>,
    /// `image`, `image/`, `image/png`: a type or a type prefix.
    pub mime: Option<String>,
    pub uploader_id: Option<i64>,
    /// 1-based; 1 when absent.
    pub page: Option<i64>,
    /// 1..=100; the site's page size when absent.
    pub per_page: Option<i64>,
}

/// Changes to a media row; `None` leaves a field alone, `Some(None)` takes it out of its
/// group.
#[derive(Debug, Clone, Default)]
pub struct MediaPatch {
    pub original_name: Option<String>,
    pub group_id: Option<Option<i64>>,
}

/// A named set of media; a media row belongs to at most one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaGroup {
    pub id: i64,
    pub name: String,
    /// Media rows in the group.
    pub media_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored file as the public serving route needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFile {
    pub key: String,
    pub mime: String,
    pub size: i64,
    /// A strong validator: the blob's SHA-256 (with `-thumb` for a thumbnail).
    pub etag: String,
    pub created_at: DateTime<Utc>,
    /// Whether browsers may show it in place; otherwise it is sent as an attachment in a
    /// sandbox (see [`served_inline`]).
    pub inline: bool,
}

/// The permission and the facts of an upload, from [`Core::begin_upload`]: proof that the
/// caller may upload, carried to [`Core::finish_upload`].
#[derive(Debug, Clone)]
pub struct UploadTicket {
    uploader_id: i64,
    origin: Origin,
    original_name: String,
    group_id: Option<i64>,
}

impl UploadTicket {
    /// The checked original file name.
    pub fn original_name(&self) -> &str {
        &self.original_name
    }

    pub fn uploader_id(&self) -> i64 {
        self.uploader_id
    }

    pub fn group_id(&self) -> Option<i64> {
        self.group_id
    }

    /// Puts the upload in a group named after the bytes started (multipart fields may come
    /// in any order). Checked again when the record is written.
    pub fn set_group(&mut self, group_id: Option<i64>) {
        self.group_id = group_id;
    }
}

/// Media records and groups.
#[async_trait]
pub trait MediaRepository: Send + Sync {
    /// In one transaction: finds the blob with `new.blob.sha256` or inserts it, then
    /// inserts the media row. Errors: `not_found` (field `group_id`) when the group is
    /// gone.
    async fn insert_media(&self, new: NewMedia) -> CoreResult<InsertedMedia>;
    async fn media_by_id(&self, id: i64) -> CoreResult<Option<Media>>;
    /// The blob holding bytes with this SHA-256, if any.
    async fn blob_by_sha256(&self, sha256: &str) -> CoreResult<Option<Blob>>;
    /// The blob stored under `key`, as its file or as its thumbnail.
    async fn blob_by_key(&self, key: &str) -> CoreResult<Option<Blob>>;
    /// A page of media, newest first, and the total matching.
    async fn list_media(&self, query: &MediaQuery) -> CoreResult<(Vec<Media>, i64)>;
    /// Errors: `not_found` (field `group_id`) when the new group does not exist.
    async fn update_media(&self, id: i64, patch: &MediaPatch, at: DateTime<Utc>)
    -> CoreResult<Option<Media>>;
    /// In one transaction: deletes the row and, when no other row uses its blob, the blob
    /// row; returns the storage keys of a removed blob.
    async fn delete_media(&self, id: i64) -> CoreResult<Option<DeletedMedia>>;
    /// Errors: `conflict` when the name is taken (case-insensitively).
    async fn insert_media_group(&self, name: &str, at: DateTime<Utc>) -> CoreResult<MediaGroup>;
    async fn media_groups(&self) -> CoreResult<Vec<MediaGroup>>;
    async fn media_group_by_id(&self, id: i64) -> CoreResult<Option<MediaGroup>>;
    /// Errors: `conflict` when the name is taken.
    async fn rename_media_group(
        &self,
        id: i64,
        name: &str,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<MediaGroup>>;
    /// Deletes the group; its media stay, in no group. Returns whether it existed.
    async fn delete_media_group(&self, id: i64) -> CoreResult<bool>;
}

/// Checks an uploaded file's name: at most 255 characters, and nothing that could be read
/// as a path: no `/` or `\`, no `..`, no NUL or other control characters, no
/// percent-encoded separators or dots. Returns the trimmed name (`upload` when empty).
///
/// Errors: `invalid_input` (field `file`).
pub fn check_file_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Ok("upload".to_string());
    }
    let refuse = |en: &str, zh: &str| Err(CoreError::invalid("file", en, zh));
    if name.chars().count() > MAX_FILE_NAME_CHARS {
        return refuse("the file name is longer than 255 characters", "文件名超过 255 个字符");
    }
    if name.chars().any(char::is_control) {
        return refuse("the file name contains control characters", "文件名包含控制字符");
    }
    let lower = name.to_ascii_lowercase();
    if name.contains(['/', '\\'])
        || name.contains("..")
        || ["%2f", "%5c", "%2e", "%00", "%25"].iter().any(|p| lower.contains(p))
    {
        return refuse(
            "the file name must not contain a path (/, \\, .., or their percent-encodings)",
            "文件名不能包含路径（/、\\、.. 或其百分号编码）",
        );
    }
    Ok(name.to_string())
}

/// Whether a stored file of type `mime` may be shown in place by browsers: passive
/// raster images, audio, video, PDF and plain text. Everything else (SVG, HTML, XML,
/// scripts, archives, unknown bytes) is sent as an attachment with a sandboxing CSP, so it
/// never runs as active content on the site's origin.
pub fn served_inline(mime: &str) -> bool {
    const INLINE_IMAGES: &[&str] =
        &["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon"];
    INLINE_IMAGES.contains(&mime)
        || mime == "application/pdf"
        || mime == "text/plain"
        || (mime.starts_with("audio/") || mime.starts_with("video/")) && !mime.contains("xml")
}

/// Whether `mime` is on an allow-list of `type/subtype` and `type/*` entries separated by
/// commas or spaces (the `media.allowed_types` setting).
pub fn type_allowed(allow_list: &str, mime: &str) -> bool {
    let (kind, _) = mime.split_once('/').unwrap_or((mime, ""));
    allow_list.split([',', ' ']).map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        let entry = entry.to_ascii_lowercase();
        match entry.strip_suffix("/*") {
            Some(prefix) => prefix == kind,
            None => entry == mime,
        }
    })
}

fn check_group_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_GROUP_NAME_CHARS {
        return Err(CoreError::invalid(
            "name",
            format!("must be 1 to {MAX_GROUP_NAME_CHARS} characters"),
            format!("必须为 1 到 {MAX_GROUP_NAME_CHARS} 个字符"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid("name", "contains control characters", "包含控制字符"));
    }
    Ok(name.to_string())
}

fn media_resource(media: &Media) -> Resource {
    Resource::Media { uploader_id: media.uploader_id, origin: media.origin }
}

fn origin_of(actor: &Actor) -> Origin {
    match actor {
        Actor::User(p) if p.key.is_some() => Origin::Api,
        _ => Origin::Console,
    }
}

impl Core {
    /// The public URL of a stored file: `<site.url>/media/<key>`.
    pub fn media_url(&self, key: &str) -> String {
        format!("{}{PUBLIC_PATH}{key}", self.settings().site_url())
    }

    /// Step 1 of an upload, before any byte is stored: the permission check (`Upload` on
    /// the site), the file name check and, when given, that the group exists.
    ///
    /// Errors: `unauthenticated`, `forbidden`; `invalid_input` (field `file`) for a name
    /// that looks like a path; `not_found` (field `group_id`) for an unknown group.
    pub async fn begin_upload(
        &self,
        actor: &Actor,
        original_name: &str,
        group_id: Option<i64>,
    ) -> CoreResult<UploadTicket> {
        self.require(actor, Action::Upload, Resource::Site).await?;
        let uploader_id = match actor {
            Actor::User(p) => p.user_id,
            _ => {
                return Err(CoreError::invalid(
                    "actor",
                    "uploads need a user to own them",
                    "上传的文件需要属于某个用户",
                ));
            }
        };
        let original_name = check_file_name(original_name)?;
        if let Some(id) = group_id {
            self.check_group_exists(id).await?;
        }
        Ok(UploadTicket { uploader_id, origin: origin_of(actor), original_name, group_id })
    }

    async fn check_group_exists(&self, id: i64) -> CoreResult<()> {
        match self.repo.media_group_by_id(id).await? {
            Some(_) => Ok(()),
            None => Err(CoreError::not_found()
                .with_field("group_id")
                .with_detail("no media group has this id", "没有这个媒体分组")),
        }
    }

    /// Step 2 of an upload, once the type has been sniffed from the first bytes: whether
    /// the `media.allowed_types` setting accepts it.
    ///
    /// Errors: `invalid_input` (field `file`) naming the type and the allowed ones.
    pub fn check_upload_type(&self, mime: &str) -> CoreResult<()> {
        let settings = self.settings();
        let allowed = settings.media_allowed_types();
        if type_allowed(allowed, mime) {
            return Ok(());
        }
        Err(CoreError::invalid(
            "file",
            format!("files of type {mime} are not accepted; accepted types: {allowed}"),
            format!("不接受 {mime} 类型的文件；可接受的类型：{allowed}"),
        ))
    }

    /// Whether bytes with this SHA-256 are already stored (the storage layer then skips
    /// making a thumbnail).
    pub async fn media_blob_exists(&self, sha256: &str) -> CoreResult<bool> {
        Ok(self.repo.blob_by_sha256(sha256).await?.is_some())
    }

    /// Step 3 of an upload: records the stored bytes, reusing the blob of earlier uploads
    /// of the same bytes, then tells subscribers (`media.uploaded`).
    ///
    /// Errors: `not_found` (field `group_id`) when the group went away meanwhile.
    pub async fn finish_upload(&self, ticket: UploadTicket, blob: StoredBlob) -> CoreResult<InsertedMedia> {
        let inserted = self
            .repo
            .insert_media(NewMedia {
                blob,
                original_name: ticket.original_name,
                group_id: ticket.group_id,
                origin: ticket.origin,
                uploader_id: ticket.uploader_id,
                created_at: self.now(),
            })
            .await?;
        let media = &inserted.media;
        let data = json!({
            "id": media.id,
            "url": self.media_url(&media.blob.key),
            "mime": media.blob.mime,
            "size": media.blob.size,
            "original_name": media.original_name,
            "uploader_id": media.uploader_id,
        });
        self.emit(DomainEvent::new(EventKind::MediaUploaded, media.id, Some(media.uploader_id), data)).await;
        Ok(inserted)
    }

    /// Whether `actor` sees every upload in the library (editors and up) or only their
    /// own.
    fn sees_all_media(actor: &Actor) -> bool {
        let someone_elses = Resource::Media { uploader_id: -1, origin: Origin::Console };
        authorize(actor, Action::BrowseMedia, someone_elses).is_ok()
    }

    /// Reads one media record. Those who may upload read their own; editors and admins
    /// read all. An API key reads as its user, whatever its write flags.
    ///
    /// Errors: `unauthenticated`, `forbidden`; `not_found` (also for someone else's file
    /// the caller may not see).
    pub async fn get_media(&self, actor: &Actor, id: i64) -> CoreResult<Media> {
        self.require(actor, Action::BrowseMedia, Resource::Site).await?;
        let media = self.repo.media_by_id(id).await?.ok_or_else(CoreError::not_found)?;
        if !Self::sees_all_media(actor) && actor.user_id() != Some(media.uploader_id) {
            return Err(CoreError::not_found());
        }
        Ok(media)
    }

    /// Lists the media library, newest first: everything for editors and admins, one's
    /// own uploads for others who may upload. An API key lists as its user, whatever its
    /// write flags (ulthon: every key may read).
    ///
    /// Errors: `unauthenticated`, `forbidden`; `invalid_input` for a bad page, page size
    /// or MIME filter.
    pub async fn list_media(
        &self,
        actor: &Actor,
        params: MediaListParams,
    ) -> CoreResult<crate::content::Page<Media>> {
        self.require(actor, Action::BrowseMedia, Resource::Site).await?;
        let page = params.page.unwrap_or(1);
        let per_page = params.per_page.unwrap_or_else(|| self.settings().page_size());
        crate::paging::check_per_page(per_page, MAX_PER_PAGE)?;
        let offset = crate::paging::offset(page, per_page)?;
        let mime_prefix = match params.mime.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            None => None,
            Some(m)
                if m.len() <= 100 && m.chars().all(|c| c.is_ascii_alphanumeric() || "/+.-".contains(c)) =>
            {
                Some(if m.contains('/') {
                    m.to_ascii_lowercase()
                } else {
                    format!("{}/", m.to_ascii_lowercase())
                })
            }
            Some(_) => {
                return Err(CoreError::invalid(
                    "mime",
                    "a MIME type or type prefix such as image or image/png",
                    "须为 MIME 类型或其前缀，例如 image 或 image/png",
                ));
            }
        };
        let uploader_id = if Self::sees_all_media(actor) { params.uploader_id } else { actor.user_id() };
        if params.uploader_id.is_some() && params.uploader_id != uploader_id {
            return Ok(crate::content::Page { items: Vec::new(), total: 0, page, per_page });
        }
        let query =
            MediaQuery { group_id: params.group_id, mime_prefix, uploader_id, offset, limit: per_page };
        let (items, total) = self.repo.list_media(&query).await?;
        Ok(crate::content::Page { items, total, page, per_page })
    }

    /// Renames a media record or moves it to another group (or out of any).
    ///
    /// Errors: permission (`Edit` on the media: its uploader, editors, admins; API keys by
    /// origin); `not_found`; `invalid_input` for a bad name; `not_found` (field
    /// `group_id`) for an unknown group.
    pub async fn update_media(&self, actor: &Actor, id: i64, patch: MediaPatch) -> CoreResult<Media> {
        let media = self.get_media(actor, id).await?;
        self.require(actor, Action::Edit, media_resource(&media)).await?;
        let patch = MediaPatch {
            original_name: patch.original_name.as_deref().map(check_file_name).transpose()?,
            group_id: patch.group_id,
        };
        if let Some(Some(group_id)) = patch.group_id {
            self.check_group_exists(group_id).await?;
        }
        self.repo.update_media(id, &patch, self.now()).await?.ok_or_else(CoreError::not_found)
    }

    /// Deletes a media record; returns it with the storage keys whose files must now be
    /// removed (those of its blob when no other record shares it).
    ///
    /// Errors: permission (`Delete` on the media); `not_found`.
    pub async fn delete_media(&self, actor: &Actor, id: i64) -> CoreResult<DeletedMedia> {
        let media = self.get_media(actor, id).await?;
        self.require(actor, Action::Delete, media_resource(&media)).await?;
        self.repo.delete_media(id).await?.ok_or_else(CoreError::not_found)
    }

    /// A stored file for the public serving route, by storage key (a blob's file or its
    /// thumbnail); `None` when nothing is stored under the key.
    pub async fn public_media_file(&self, key: &str) -> CoreResult<Option<PublicFile>> {
        let Some(blob) = self.repo.blob_by_key(key).await? else { return Ok(None) };
        let file = if blob.key == key {
            PublicFile {
                key: blob.key.clone(),
                inline: served_inline(&blob.mime),
                mime: blob.mime,
                size: blob.size,
                etag: blob.sha256,
                created_at: blob.created_at,
            }
        } else {
            let Some(thumb) = blob.thumbnail.filter(|t| t.key == key) else { return Ok(None) };
            PublicFile {
                key: thumb.key,
                inline: served_inline(&thumb.mime),
                mime: thumb.mime,
                size: thumb.size,
                etag: format!("{}-thumb", blob.sha256),
                created_at: blob.created_at,
            }
        };
        Ok(Some(file))
    }

    /// Creates a media group. Errors: permission (`Upload`); `invalid_input` for a bad
    /// name; `conflict` when the name is taken.
    pub async fn create_media_group(&self, actor: &Actor, name: &str) -> CoreResult<MediaGroup> {
        self.require(actor, Action::Upload, Resource::Site).await?;
        let name = check_group_name(name)?;
        self.repo.insert_media_group(&name, self.now()).await
    }

    /// Every media group by name. Errors: permission (`Upload`).
    pub async fn list_media_groups(&self, actor: &Actor) -> CoreResult<Vec<MediaGroup>> {
        self.require(actor, Action::Upload, Resource::Site).await?;
        self.repo.media_groups().await
    }

    /// Renames a media group. Groups are shared: renaming and deleting them is for
    /// editors and admins (`ManageTaxonomy`).
    ///
    /// Errors: permission; `invalid_input`; `not_found`; `conflict`.
    pub async fn rename_media_group(&self, actor: &Actor, id: i64, name: &str) -> CoreResult<MediaGroup> {
        self.require(actor, Action::ManageTaxonomy, Resource::Site).await?;
        let name = check_group_name(name)?;
        self.repo.rename_media_group(id, &name, self.now()).await?.ok_or_else(CoreError::not_found)
    }

    /// Deletes a media group; its media stay, in no group. Errors: permission
    /// (`ManageTaxonomy`); `not_found`.
    pub async fn delete_media_group(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageTaxonomy, Resource::Site).await?;
        if self.repo.delete_media_group(id).await? { Ok(()) } else { Err(CoreError::not_found()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_that_look_like_paths_are_refused() {
        for bad in [
            "../etc/passwd",
            "..\\boot.ini",
            "a/b.png",
            "/abs.png",
            "C:\\x.png",
            "x\0.png",
            "x\n.png",
            "..",
            "%2e%2e%2fx",
            "a%2Fb",
            "%252e",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(check_file_name("  照片 1.JPG ").unwrap(), "照片 1.JPG");
        assert_eq!(check_file_name("").unwrap(), "upload");
        assert!(check_file_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn active_types_are_never_inline() {
        for mime in ["image/svg+xml", "text/html", "application/xml", "text/xml", "application/octet-stream"]
        {
            assert!(!served_inline(mime), "{mime}");
        }
        for mime in ["image/png", "image/jpeg", "video/mp4", "audio/mpeg", "application/pdf", "text/plain"] {
            assert!(served_inline(mime), "{mime}");
        }
    }

    #[test]
    fn allow_list_entries_match_types_and_wildcards() {
        let list = "image/*, video/mp4 application/pdf";
        assert!(type_allowed(list, "image/svg+xml"));
        assert!(type_allowed(list, "video/mp4"));
        assert!(!type_allowed(list, "video/webm"));
        assert!(!type_allowed(list, "text/html"));
        assert!(type_allowed(list, "application/pdf"));
    }
}
