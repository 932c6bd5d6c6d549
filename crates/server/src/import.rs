//! `inkstone import markdown DIR`: Markdown sites (Hexo, Hugo, Jekyll, Zola, VitePress) into
//! posts and pages. One bad file never stops the rest; re-imports update in place.

use std::path::Path;

use inkstone_core::content::{ImportOutcome, NewItem, TermKey};
use inkstone_core::model::{BodyFormat, CustomField, ItemKind, ItemStatus, Origin};
use inkstone_core::{Core, CoreResult, ErrorCode};
use inkstone_render::front_matter::{ImportedDocument, parse_markdown_file};
use inkstone_render::slug;

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    Created(i64),
    Updated(i64),
    Unchanged(i64),
    Skipped(String),
}

/// The whole run: one entry per file, by path relative to the directory.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub files: Vec<(String, FileOutcome)>,
}

impl ImportReport {
    fn count(&self, pred: impl Fn(&FileOutcome) -> bool) -> usize {
        self.files.iter().filter(|(_, o)| pred(o)).count()
    }

    /// `imported N, updated N, unchanged N, skipped N`, then one line per skipped file.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "imported {}, updated {}, unchanged {}, skipped {}",
            self.count(|o| matches!(o, FileOutcome::Created(_))),
            self.count(|o| matches!(o, FileOutcome::Updated(_))),
            self.count(|o| matches!(o, FileOutcome::Unchanged(_))),
            self.count(|o| matches!(o, FileOutcome::Skipped(_))),
        );
        for (path, outcome) in &self.files {
            if let FileOutcome::Skipped(reason) = outcome {
                text.push_str(&format!("\n  skipped {path}: {reason}"));
            }
        }
        text
    }
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Status of files that are not drafts.
    pub status: ItemStatus,
    pub author_id: i64,
}

fn is_markdown(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("md" | "markdown" | "mdx")
    )
}

fn to_item(doc: ImportedDocument, key: String, options: &ImportOptions) -> NewItem {
    let status = if doc.draft { ItemStatus::Draft } else { options.status };
    let mut item = NewItem::post(doc.title.trim().to_string(), doc.body);
    item.kind = if doc.is_page { ItemKind::Page } else { ItemKind::Post };
    item.slug = doc
        .slug
        .map(|s| slug::normalize_user_slug(&s).unwrap_or_else(|| slug::slugify(&s)))
        .filter(|s| !s.is_empty());
    item.format = BodyFormat::Markdown;
    item.excerpt = doc.excerpt;
    item.cover =
        doc.cover.filter(|c| c.starts_with("http://") || c.starts_with("https://") || c.starts_with('/'));
    item.status = Some(status);
    item.published_at = if status == ItemStatus::Draft { None } else { doc.date.or(doc.updated) };
    item.created_at = doc.date;
    item.categories = doc.categories.into_iter().map(TermKey::Text).collect();
    item.tags = doc.tags;
    item.custom_fields = doc.extra.into_iter().map(|(key, value)| CustomField { key, value }).collect();
    item.author_id = Some(options.author_id);
    item.origin = Origin::Import;
    item.import_key = Some(key);
    item
}

/// Imports one file. Its import key is the directory's canonical path plus the file's path
/// inside it, so two sites with the same layout (every Hexo site has
/// `_posts/hello-world.md`) never overwrite each other; re-importing the same directory
/// matches its earlier items.
async fn import_one(
    core: &Core,
    dir: &Path,
    root: &Path,
    path: &Path,
    options: &ImportOptions,
) -> FileOutcome {
    let relative = path.strip_prefix(dir).unwrap_or(path).to_string_lossy().replace('\\', "/");
    if !is_markdown(path) {
        return FileOutcome::Skipped("not a Markdown file (.md, .markdown, .mdx)".into());
    }
    if relative.split('/').any(|part| part == "scaffolds") {
        return FileOutcome::Skipped("a Hexo scaffold (a template for new posts, not a post)".into());
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => return FileOutcome::Skipped(format!("cannot read: {err}")),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return FileOutcome::Skipped("not UTF-8 text".into());
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let doc = match parse_markdown_file(&file_name, &text) {
        Ok(doc) => doc,
        Err(err) => return FileOutcome::Skipped(err.to_string()),
    };
    let item = to_item(doc, format!("markdown:{}/{relative}", root.display()), options);
    let result = match core.import_item(item.clone()).await {
        Err(err) if err.code == ErrorCode::Conflict && err.field.as_deref() == Some("slug") => {
            // The file's own slug is taken by another item: fall back to one from the title.
            core.import_item(NewItem { slug: None, ..item }).await
        }
        other => other,
    };
    match result {
        Ok(ImportOutcome::Created(id)) => FileOutcome::Created(id),
        Ok(ImportOutcome::Updated(id)) => FileOutcome::Updated(id),
        Ok(ImportOutcome::Unchanged(id)) => FileOutcome::Unchanged(id),
        Err(err) => FileOutcome::Skipped(err.to_string()),
    }
}

/// Imports every file under `dir`, calling `progress` after each.
pub async fn import_markdown(
    core: &Core,
    dir: &Path,
    options: &ImportOptions,
    mut progress: impl FnMut(&str, usize, usize),
) -> CoreResult<ImportReport> {
    let mut paths: Vec<_> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.') || e.depth() == 0)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    let root = dir.canonicalize().map_err(|e| {
        inkstone_core::CoreError::invalid(
            "dir",
            format!("cannot read {}: {e}", dir.display()),
            format!("无法读取 {}：{e}", dir.display()),
        )
    })?;
    let mut report = ImportReport::default();
    let total = paths.len();
    for (index, path) in paths.iter().enumerate() {
        let outcome = import_one(core, dir, &root, path, options).await;
        let relative = path.strip_prefix(dir).unwrap_or(path).to_string_lossy().into_owned();
        progress(&relative, index + 1, total);
        report.files.push((relative, outcome));
    }
    Ok(report)
}
