//! Front matter and metadata of Markdown files written for other blog engines (Hexo, Hugo,
//! Jekyll, wiki.js, VitePress, Zola).
//!
//! [`parse_markdown_file`] accepts, after an optional UTF-8 BOM, with LF, CRLF or CR line
//! endings:
//!
//! * YAML between `---` lines (Jekyll, Hugo, Hexo, wiki.js, VitePress); the closing line may
//!   also be `...`;
//! * YAML *without* the opening `---`, closed by a `---` line (Hexo allows this), recognised
//!   only when every line before the `---` looks like YAML and a usual key (`title`, `date`,
//!   `tags`, `categories`, ...) is present, so a body with a `---` rule is not mistaken for it;
//! * TOML between `+++` lines (Zola, Hugo);
//! * JSON: a leading `{ ... }` object (Hugo) or a block closed by `;;;` (Hexo);
//! * no front matter at all.
//!
//! Values are taken as plain text: HTML in a YAML value stays as written (escaping is the
//! caller's job), and Hexo `{% ... %}` / Hugo `{{< ... >}}` shortcodes stay in the body.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Which front matter syntax a file used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FrontMatterKind {
    /// No front matter: the whole file is the body.
    #[default]
    None,
    /// YAML between `---` lines.
    Yaml,
    /// YAML closed by `---` with no opening line (Hexo).
    YamlUnopened,
    /// TOML between `+++` lines.
    Toml,
    /// JSON: a leading object, or a Hexo block closed by `;;;`.
    Json,
}

/// Where [`ImportedDocument::title`] came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TitleSource {
    /// The front matter's `title`.
    FrontMatter,
    /// The body's first ATX (`# Title`) or setext (`Title` over `===`) heading.
    Heading,
    /// The file name, without a date prefix and extension.
    #[default]
    FileName,
}

/// What an imported Markdown file says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportedDocument {
    /// From front matter `title`, else the first heading of the body (which stays in the
    /// body), else the file name without a `YYYY-MM-DD-` prefix and extension, with `-`/`_`
    /// turned into spaces. Plain text, trimmed, never empty (`Untitled` as a last resort).
    pub title: String,
    /// Where `title` came from.
    pub title_source: TitleSource,
    /// Front matter `slug`, else the last non-empty segment of `permalink` / `path` / `url`
    /// (percent-decoded, without a `.html` ending), as written: run it through
    /// [`crate::slug::normalize_user_slug`] or [`crate::slug::slugify`] before use.
    pub slug: Option<String>,
    /// Publication time, UTC. From front matter `dateCreated` (wiki.js, whose `date` is the
    /// last edit), `date`, `publishDate`, `pubDate` or `created`, else a `YYYY/MM/DD`
    /// run of segments in `permalink` / `path` / `url`, else a `YYYY-MM-DD-` file name
    /// prefix. A date or time without an offset is taken as UTC; a date alone is midnight UTC.
    pub date: Option<DateTime<Utc>>,
    /// Last edit, UTC: `updated`, `lastmod`, `last_modified_at`, `modified` or
    /// `dateModified` (or wiki.js `date` when `dateCreated` is present).
    pub updated: Option<DateTime<Utc>>,
    /// `tags` / `tag` (or Zola `[taxonomies] tags`): a list, or one string split at commas
    /// (`,`, `，`, `、`). Trimmed, empty ones dropped, first occurrence kept.
    pub tags: Vec<String>,
    /// `categories` / `category` (or Zola `[taxonomies] categories`), like `tags`. Hexo's
    /// nested lists (`- [Parent, Child]`) are flattened to the names, parents first.
    pub categories: Vec<String>,
    /// `draft: true` or `published: false` (also the strings `"true"`, `"yes"`, ...).
    pub draft: bool,
    /// `layout: page` or `type: page`.
    pub is_page: bool,
    /// `excerpt`, `summary` or `description` (the first present, in that order), trimmed.
    pub excerpt: Option<String>,
    /// First string of `cover`, `image`, `featured_image`, `featuredImage`, `cover_image`,
    /// `thumbnail`, `banner`; else `cover.image` (a map), a Hugo page-bundle resource named
    /// `featured-image`, or the first of `images`. A URL or path, as written.
    pub cover: Option<String>,
    /// `author` / `authors`: a string, a list of strings, or maps with a `name`. As written
    /// (may contain HTML, which the caller must escape or strip).
    pub authors: Vec<String>,
    /// Former URLs: `aliases` (Hugo, Zola) or `redirect_from` (Jekyll).
    pub aliases: Vec<String>,
    /// Every other top-level key whose value is a string, number or boolean, in file order,
    /// as `(key as written, value as text)`; also the scalars of Zola's `[extra]` and Hugo's
    /// `params` tables. Lists, maps and empty values are left out. These become custom fields.
    pub extra: Vec<(String, String)>,
    /// Which front matter syntax the file used.
    pub front_matter: FrontMatterKind,
    /// Values that were present but ignored or repaired, one short sentence each (for an
    /// import report), e.g. a date that could not be understood.
    pub warnings: Vec<String>,
    /// The Markdown after the front matter, with LF line endings and no leading blank lines.
    pub body: String,
}

/// Why a file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file has nothing but whitespace (or a BOM).
    #[error("the file is empty")]
    Empty,
    /// The file contains NUL characters, so it is not a text file.
    #[error("the file is not text (it contains NUL bytes)")]
    Binary,
    /// The front matter block could not be read; the reason names the syntax and, when known,
    /// the line of the file (1-based), e.g. `YAML, line 3 column 8: mapping values are not
    /// allowed in this context`.
    #[error("front matter is not valid: {0}")]
    BadFrontMatter(String),
}

/// Parses one Markdown file. `file_name` is the base name (used for title and date
/// fallbacks; a leading directory is ignored). Never panics; either returns the document
/// or an [`ImportError`] with a reason.
pub fn parse_markdown_file(file_name: &str, content: &str) -> Result<ImportedDocument, ImportError> {
    let content = content.strip_prefix('\u{FEFF}').unwrap_or(content);
    if content.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    if content.contains('\0') {
        return Err(ImportError::Binary);
    }
    let text = normalize_newlines(content);
    let split = split_front_matter(&text)?;

    let mut doc = ImportedDocument {
        front_matter: split.kind,
        body: split.body.trim_start_matches('\n').to_string(),
        ..Default::default()
    };
    if let Some(warning) = split.warning {
        doc.warnings.push(warning);
    }
    apply_front_matter(&mut doc, split.fields);

    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    if doc.title.is_empty() {
        if let Some(heading) = first_heading(&doc.body) {
            doc.title = heading;
            doc.title_source = TitleSource::Heading;
        } else {
            doc.title = title_from_file_name(base);
            doc.title_source = TitleSource::FileName;
        }
    }
    if doc.date.is_none() {
        doc.date = date_from_file_name(base);
    }
    Ok(doc)
}

// ---------------------------------------------------------------------------------------------
// Splitting the front matter from the body
// ---------------------------------------------------------------------------------------------

/// A front matter value, from any of the three syntaxes, keeping key order.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Bool(bool),
    /// A number, as text.
    Num(String),
    Str(String),
    /// A TOML date-time, as text.
    Date(String),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
}

/// Top-level front matter entries in file order.
type Fields = Vec<(String, Val)>;

struct Split<'a> {
    kind: FrontMatterKind,
    fields: Vec<(String, Val)>,
    body: &'a str,
    warning: Option<String>,
}

fn normalize_newlines(s: &str) -> String {
    if s.contains('\r') { s.replace("\r\n", "\n").replace('\r', "\n") } else { s.to_string() }
}

/// Lines of `text` with the byte offset where each starts.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = pos;
        pos += line.len();
        (start, line.trim_end_matches('\n'))
    })
}

fn is_dash_fence(line: &str) -> bool {
    let l = line.trim_end();
    l.len() >= 3 && l.bytes().all(|b| b == b'-')
}

fn split_front_matter(text: &str) -> Result<Split<'_>, ImportError> {
    let first_line = text.lines().next().unwrap_or("").trim_end();
    let none = || Split { kind: FrontMatterKind::None, fields: Vec::new(), body: text, warning: None };

    if is_dash_fence(first_line) {
        let after_open = text.find('\n').map_or(text.len(), |i| i + 1);
        let rest = &text[after_open..];
        let close = lines_with_offsets(rest).find(|(_, l)| is_dash_fence(l) || l.trim_end() == "...");
        let Some((close_at, close_line)) = close else {
            if first_meaningful_line(rest).is_some_and(|l| key_of_line(l).is_some()) {
                return Err(ImportError::BadFrontMatter(
                    "the `---` on line 1 opens front matter that is never closed by another `---` line"
                        .into(),
                ));
            }
            return Ok(none());
        };
        let block = &rest[..close_at];
        let body = &rest[(close_at + close_line.len() + 1).min(rest.len())..];
        if block.trim().is_empty() {
            return Ok(Split { kind: FrontMatterKind::Yaml, fields: Vec::new(), body, warning: None });
        }
        if first_meaningful_line(block).is_none_or(|l| key_of_line(l).is_none()) {
            // `---` rules around ordinary text: a thematic break, not front matter.
            return Ok(none());
        }
        let (fields, warning) = parse_yaml(block, 2)?;
        return Ok(Split { kind: FrontMatterKind::Yaml, fields, body, warning });
    }

    if first_line == "+++" {
        let after_open = text.find('\n').map_or(text.len(), |i| i + 1);
        let rest = &text[after_open..];
        let Some((close_at, close_line)) = lines_with_offsets(rest).find(|(_, l)| l.trim_end() == "+++")
        else {
            return Err(ImportError::BadFrontMatter(
                "the `+++` on line 1 opens TOML front matter that is never closed by another `+++` line"
                    .into(),
            ));
        };
        let block = &rest[..close_at];
        let body = &rest[(close_at + close_line.len() + 1).min(rest.len())..];
        let fields = parse_toml(block, 2)?;
        return Ok(Split { kind: FrontMatterKind::Toml, fields, body, warning: None });
    }

    if first_line == ";;;" {
        let after_open = text.find('\n').map_or(text.len(), |i| i + 1);
        let rest = &text[after_open..];
        let Some((close_at, close_line)) = lines_with_offsets(rest).find(|(_, l)| l.trim_end() == ";;;")
        else {
            return Err(ImportError::BadFrontMatter(
                "the `;;;` on line 1 opens JSON front matter that is never closed by another `;;;` line"
                    .into(),
            ));
        };
        let fields = parse_json_block(&rest[..close_at], 2)?;
        return Ok(Split {
            kind: FrontMatterKind::Json,
            fields,
            body: &rest[(close_at + close_line.len() + 1).min(rest.len())..],
            warning: None,
        });
    }

    if text.starts_with('{') {
        // Hugo JSON front matter: one object, then the body. Anything else starting with `{`
        // (a `{% raw %}` tag, a `{{< shortcode >}}`) is body.
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Val>();
        if let Some(Ok(Val::Map(fields))) = stream.next() {
            let end = stream.byte_offset();
            return Ok(Split { kind: FrontMatterKind::Json, fields, body: &text[end..], warning: None });
        }
        return Ok(none());
    }

    split_unopened(text).map(|s| s.unwrap_or_else(none))
}

/// Hexo front matter without the opening `---` (or JSON closed by `;;;`).
fn split_unopened(text: &str) -> Result<Option<Split<'_>>, ImportError> {
    let mut close = None;
    for (at, line) in lines_with_offsets(text) {
        if is_dash_fence(line) || line.trim_end() == ";;;" {
            close = Some((at, line));
            break;
        }
        if !is_yamlish_line(line) {
            return Ok(None);
        }
    }
    let Some((close_at, close_line)) = close else {
        return Ok(None);
    };
    let block = &text[..close_at];
    let body = &text[(close_at + close_line.len() + 1).min(text.len())..];
    let Some(first) = first_meaningful_line(block) else {
        return Ok(None);
    };

    if close_line.trim_end() == ";;;" {
        return match parse_json_block(block, 1) {
            Ok(fields) => Ok(Some(Split { kind: FrontMatterKind::Json, fields, body, warning: None })),
            Err(_) => Ok(None),
        };
    }

    let first_key_known = key_of_line(first).is_some_and(|k| is_usual_key(&k));
    match parse_yaml(block, 1) {
        Ok((fields, warning)) if fields.iter().any(|(k, _)| is_usual_key(k)) => {
            Ok(Some(Split { kind: FrontMatterKind::YamlUnopened, fields, body, warning }))
        }
        Ok(_) => Ok(None),
        Err(e) if first_key_known => Err(e),
        Err(_) => Ok(None),
    }
}

/// Keys that mark a block as front matter when it has no opening `---`.
fn is_usual_key(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().as_str(),
        "title"
            | "date"
            | "updated"
            | "tags"
            | "tag"
            | "categories"
            | "category"
            | "layout"
            | "permalink"
            | "slug"
            | "comments"
            | "excerpt"
            | "description"
            | "author"
            | "draft"
            | "published"
            | "photos"
            | "cover"
            | "thumbnail"
            | "keywords"
            | "lang"
            | "toc"
            | "top"
            | "sticky"
    )
}

/// The first line that is neither blank nor a `#` comment.
fn first_meaningful_line(block: &str) -> Option<&str> {
    block.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

/// The key of a `key: value` / `key:` line at the top level, if the line is one.
fn key_of_line(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t', '-', '#', '>', '|', '<', '[', '{', '!', '*', '`', '&']) {
        return None;
    }
    let bytes = line.as_bytes();
    let colon = (0..bytes.len())
        .find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t'))?;
    let key = line[..colon].trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.chars().count() > 60 || key.contains(['(', ')', '<', '>', '`', '*']) {
        return None;
    }
    Some(key.to_string())
}

/// Whether a line can belong to a YAML mapping block: blank, indented, a list item, a
/// comment or a `key:` line.
fn is_yamlish_line(line: &str) -> bool {
    line.trim().is_empty()
        || line.starts_with([' ', '\t'])
        || line.starts_with("- ")
        || line.trim_end() == "-"
        || line.starts_with('#')
        || key_of_line(line).is_some()
}

// ---------------------------------------------------------------------------------------------
// The three syntaxes
// ---------------------------------------------------------------------------------------------

/// Parses a YAML block whose first line is line `first_line` of the file. A block that fails
/// is retried once with plain top-level values quoted and tab indents replaced (common
/// hand-editing mistakes such as `title: Rust: the book`); the repair is reported as a warning.
fn parse_yaml(block: &str, first_line: usize) -> Result<(Fields, Option<String>), ImportError> {
    // libyaml's work grows with the square of the flow nesting depth: refuse absurd nesting
    // before it turns one hostile file into minutes of CPU.
    if max_bracket_depth(block) > MAX_FLOW_DEPTH {
        return Err(ImportError::BadFrontMatter(format!(
            "YAML: `[` / `{{` nested more than {MAX_FLOW_DEPTH} deep"
        )));
    }
    match yaml_fields(block) {
        Ok(fields) => Ok((fields, None)),
        Err(YamlFailure::NotAMapping(what)) => {
            Err(ImportError::BadFrontMatter(format!("YAML front matter is {what}, not `key: value` lines")))
        }
        Err(YamlFailure::Syntax(err)) => {
            let reason = yaml_reason(&err, first_line);
            let (repaired, lines) = repair_yaml(block);
            if !lines.is_empty()
                && let Ok(fields) = yaml_fields(&repaired)
            {
                let lines: Vec<String> = lines.iter().map(|l| (l + first_line).to_string()).collect();
                return Ok((
                    fields,
                    Some(format!(
                        "front matter repaired ({reason}): quoted the values on line(s) {}",
                        lines.join(", ")
                    )),
                ));
            }
            Err(ImportError::BadFrontMatter(reason))
        }
    }
}

/// Deepest `[`/`{` nesting accepted in YAML front matter (real files use 2 or 3).
const MAX_FLOW_DEPTH: usize = 64;

/// Maximum running depth of `[`/`{` minus `]`/`}` (quotes ignored: an overestimate at worst).
fn max_bracket_depth(block: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in block.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

enum YamlFailure {
    Syntax(serde_yaml::Error),
    NotAMapping(&'static str),
}

fn yaml_fields(block: &str) -> Result<Vec<(String, Val)>, YamlFailure> {
    let value: serde_yaml::Value = serde_yaml::from_str(block).map_err(YamlFailure::Syntax)?;
    match from_yaml(value) {
        Val::Map(fields) => Ok(fields),
        Val::Null => Ok(Vec::new()),
        Val::List(_) => Err(YamlFailure::NotAMapping("a list")),
        _ => Err(YamlFailure::NotAMapping("plain text")),
    }
}

fn yaml_reason(err: &serde_yaml::Error, first_line: usize) -> String {
    let message = err.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    match err.location() {
        Some(loc) => format!("YAML, line {} column {}: {message}", loc.line() + first_line - 1, loc.column()),
        None => format!("YAML: {message}"),
    }
}

/// Quotes plain top-level values and replaces tab indentation; returns the new block and the
/// 0-based lines changed.
fn repair_yaml(block: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(block.len() + 64);
    let mut changed = Vec::new();
    for (i, line) in block.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches('\t').len();
        if indent > 0 {
            out.push_str(&"  ".repeat(indent));
            out.push_str(&line[indent..]);
            changed.push(i);
        } else if let Some(key) = key_of_line(line)
            && let Some(colon) = line.find(':').filter(|c| line[..*c].trim().trim_matches(['"', '\'']) == key)
        {
            let value = line[colon + 1..].trim();
            let structured = value.is_empty()
                || (value.starts_with(['"', '\'', '[', '|', '>', '&', '*', '!'])
                    || (value.starts_with('{') && !value.starts_with("{{")));
            if structured {
                out.push_str(line);
            } else {
                out.push_str(&line[..colon]);
                out.push_str(": '");
                out.push_str(&value.replace('\'', "''"));
                out.push('\'');
                changed.push(i);
            }
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    (out, changed)
}

fn from_yaml(value: serde_yaml::Value) -> Val {
    use serde_yaml::Value as Y;
    match value {
        Y::Null => Val::Null,
        Y::Bool(b) => Val::Bool(b),
        Y::Number(n) => Val::Num(n.to_string()),
        Y::String(s) => Val::Str(s),
        Y::Sequence(items) => Val::List(items.into_iter().map(from_yaml).collect()),
        Y::Mapping(map) => Val::Map(
            map.into_iter()
                .filter_map(|(k, v)| {
                    let key = match from_yaml(k) {
                        Val::Str(s) | Val::Num(s) | Val::Date(s) => s,
                        Val::Bool(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((key, from_yaml(v)))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => from_yaml(tagged.value),
    }
}

fn parse_toml(block: &str, first_line: usize) -> Result<Vec<(String, Val)>, ImportError> {
    match toml::from_str::<Val>(block) {
        Ok(Val::Map(fields)) => Ok(fields),
        Ok(_) => Ok(Vec::new()),
        Err(e) => {
            let message = e.message().trim().to_string();
            Err(ImportError::BadFrontMatter(match e.span() {
                Some(span) => {
                    let before = &block.as_bytes()[..span.start.min(block.len())];
                    let line = before.iter().filter(|b| **b == b'\n').count() + first_line;
                    format!("TOML, line {line}: {message}")
                }
                None => format!("TOML: {message}"),
            }))
        }
    }
}

/// A Hexo JSON block: an object, or its members without the braces.
fn parse_json_block(block: &str, first_line: usize) -> Result<Vec<(String, Val)>, ImportError> {
    let trimmed = block.trim();
    let wrapped;
    let (source, extra_lines) = if trimmed.starts_with('{') {
        (trimmed, 0)
    } else {
        wrapped = format!("{{\n{trimmed}\n}}");
        (wrapped.as_str(), 1)
    };
    let leading = block.len() - block.trim_start().len();
    let leading_lines = block[..leading].matches('\n').count();
    match serde_json::from_str::<Val>(source) {
        Ok(Val::Map(fields)) => Ok(fields),
        Ok(_) => Err(ImportError::BadFrontMatter("JSON front matter is not an object".into())),
        Err(e) => Err(ImportError::BadFrontMatter(format!(
            "JSON, line {}: {}",
            (e.line() + first_line + leading_lines).saturating_sub(1 + extra_lines),
            strip_json_location(&e.to_string())
        ))),
    }
}

fn strip_json_location(message: &str) -> &str {
    message.rfind(" at line ").map_or(message, |i| &message[..i])
}

/// TOML's deserializer hands a date-time over as a one-entry map with this key.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValVisitor)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a front matter value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Val, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val, E> {
        Ok(Val::Num(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val, E> {
        Ok(Val::Num(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Val, E> {
        Ok(Val::Num(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Val, E> {
        Ok(Val::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Val, E> {
        Ok(Val::Str(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        Val::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Val>()? {
            items.push(item);
        }
        Ok(Val::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Val>()?;
            entries.push((key, value));
        }
        if entries.len() == 1 && entries[0].0 == TOML_DATETIME_KEY {
            if let Some((_, Val::Str(s))) = entries.pop() {
                return Ok(Val::Date(s));
            }
            return Ok(Val::Null);
        }
        Ok(Val::Map(entries))
    }
}

// ---------------------------------------------------------------------------------------------
// Interpreting the fields
// ---------------------------------------------------------------------------------------------

impl Val {
    /// A scalar as text (`None` for null, lists and maps).
    fn scalar(&self) -> Option<String> {
        match self {
            Val::Str(s) | Val::Num(s) | Val::Date(s) => Some(s.clone()),
            Val::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A non-empty trimmed string (strings and numbers only).
    fn text(&self) -> Option<String> {
        match self {
            Val::Str(s) | Val::Num(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    fn truthy(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(true),
                "false" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            Val::Num(n) => Some(n != "0"),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Map(entries) => entries.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Collected candidates, resolved once all keys are seen (priorities do not depend on order).
#[derive(Default)]
struct Found {
    title: Option<String>,
    date_created: Option<Val>,
    date: Option<Val>,
    publish_date: Option<Val>,
    updated: Option<Val>,
    excerpt: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    cover: Option<String>,
    cover_fallback: Option<String>,
    slug: Option<String>,
    permalink: Option<String>,
}

fn apply_front_matter(doc: &mut ImportedDocument, fields: Vec<(String, Val)>) {
    let mut found = Found::default();
    for (key, value) in fields {
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "title" => match value.text() {
                Some(t) => found.title = Some(t),
                None if matches!(value, Val::Null) => {}
                None => doc.warnings.push("`title` is not plain text; ignored".into()),
            },
            "datecreated" | "date_created" => found.date_created = Some(value),
            "date" => found.date = Some(value),
            "publishdate" | "pubdate" | "created" | "publish_date" | "published_at" => {
                found.publish_date.get_or_insert(value);
            }
            "updated" | "lastmod" | "last_modified_at" | "modified" | "datemodified" | "updated_at" => {
                found.updated.get_or_insert(value);
            }
            "tags" | "tag" => push_terms(&mut doc.tags, &value),
            "categories" | "category" => push_terms(&mut doc.categories, &value),
            "taxonomies" => {
                if let Some(tags) = value.get("tags") {
                    push_terms(&mut doc.tags, tags);
                }
                if let Some(categories) = value.get("categories") {
                    push_terms(&mut doc.categories, categories);
                }
            }
            "draft" => {
                if value.truthy() == Some(true) {
                    doc.draft = true;
                }
            }
            "published" => {
                if value.truthy() == Some(false) {
                    doc.draft = true;
                }
            }
            "layout" | "type" => match value.text().map(|s| s.to_ascii_lowercase()).as_deref() {
                Some("page") => doc.is_page = true,
                Some("post") | None => {}
                Some(_) => push_extra(doc, key, &value),
            },
            "excerpt" => found.excerpt = value.text(),
            "summary" => found.summary = value.text(),
            "description" => found.description = value.text(),
            "cover" | "image" | "featured_image" | "featuredimage" | "cover_image" | "coverimage"
            | "thumbnail" | "banner" => {
                let url = value.text().or_else(|| value.get("image").and_then(Val::text));
                if found.cover.is_none() {
                    found.cover = url;
                }
            }
            "images" => {
                if let Val::List(items) = &value
                    && found.cover_fallback.is_none()
                {
                    found.cover_fallback = items.iter().find_map(Val::text);
                }
            }
            "resources" => {
                if let Val::List(items) = &value {
                    let featured = items
                        .iter()
                        .find(|r| r.get("name").and_then(Val::text).is_some_and(|n| n == "featured-image"));
                    if let Some(src) = featured.and_then(|r| r.get("src")).and_then(Val::text) {
                        found.cover_fallback = Some(src);
                    }
                }
            }
            "slug" => found.slug = value.text(),
            "permalink" | "path" | "url" => {
                if found.permalink.is_none() {
                    found.permalink = value.text();
                }
            }
            "author" | "authors" => push_authors(&mut doc.authors, &value),
            "aliases" | "alias" | "redirect_from" => push_list(&mut doc.aliases, &value),
            "extra" | "params" if matches!(value, Val::Map(_)) => {
                if let Val::Map(entries) = &value {
                    for (k, v) in entries {
                        push_extra(doc, k.clone(), v);
                    }
                }
            }
            _ => push_extra(doc, key, &value),
        }
    }

    doc.title = found.title.unwrap_or_default();
    if !doc.title.is_empty() {
        doc.title_source = TitleSource::FrontMatter;
    }

    let date_value = |v: Option<Val>, what: &str, warnings: &mut Vec<String>| {
        let v = v?;
        let parsed = parse_date_value(&v);
        if parsed.is_none() {
            match v.scalar() {
                Some(raw) if raw.trim().is_empty() => {}
                Some(raw) => {
                    warnings.push(format!("`{what}` value `{raw}` is not a date I understand; ignored"))
                }
                None if matches!(v, Val::Null) => {}
                None => warnings.push(format!("`{what}` is not a date; ignored")),
            }
        }
        parsed
    };
    let created = date_value(found.date_created, "dateCreated", &mut doc.warnings);
    let date = date_value(found.date, "date", &mut doc.warnings);
    let publish = date_value(found.publish_date, "publishDate", &mut doc.warnings);
    let updated = date_value(found.updated, "updated", &mut doc.warnings);
    doc.date = created.or(date).or(publish);
    doc.updated = updated.or(if created.is_some() { date } else { None });

    doc.excerpt = found.excerpt.or(found.summary).or(found.description);
    doc.cover = found.cover.or(found.cover_fallback);
    if let Some(permalink) = &found.permalink {
        if doc.date.is_none() {
            doc.date = date_from_path(permalink);
        }
        if found.slug.is_none() {
            found.slug = last_segment(permalink);
        }
    }
    doc.slug = found.slug;
}

fn push_extra(doc: &mut ImportedDocument, key: String, value: &Val) {
    if let Some(text) = value.scalar() {
        doc.extra.push((key, text));
    }
}

/// Adds tag or category names: a list (nested lists flattened, maps by `name`), or one
/// string split at commas.
fn push_terms(out: &mut Vec<String>, value: &Val) {
    let mut add = |name: &str| {
        let name = name.trim();
        if !name.is_empty() && !out.iter().any(|t| t == name) {
            out.push(name.to_string());
        }
    };
    match value {
        Val::Str(s) => s.split([',', '，', '、']).for_each(&mut add),
        Val::Num(n) => add(n),
        Val::Bool(b) => add(&b.to_string()),
        Val::List(items) => {
            for item in items {
                match item {
                    Val::List(_) => push_terms_nested(item, &mut add),
                    Val::Map(_) => {
                        if let Some(name) = item.get("name").or_else(|| item.get("title")).and_then(Val::text)
                        {
                            add(&name);
                        }
                    }
                    other => {
                        if let Some(s) = other.scalar() {
                            add(&s);
                        }
                    }
                }
            }
        }
        Val::Map(_) => {
            if let Some(name) = value.get("name").and_then(Val::text) {
                add(&name);
            }
        }
        Val::Null | Val::Date(_) => {}
    }
}

fn push_terms_nested(value: &Val, add: &mut impl FnMut(&str)) {
    match value {
        Val::List(items) => items.iter().for_each(|i| push_terms_nested(i, add)),
        other => {
            if let Some(s) = other.scalar() {
                add(&s);
            }
        }
    }
}

fn push_list(out: &mut Vec<String>, value: &Val) {
    match value {
        Val::List(items) => out.extend(items.iter().filter_map(Val::text)),
        other => out.extend(other.text()),
    }
}

fn push_authors(out: &mut Vec<String>, value: &Val) {
    let one = |v: &Val| v.text().or_else(|| v.get("name").and_then(Val::text));
    match value {
        Val::List(items) => out.extend(items.iter().filter_map(one)),
        other => out.extend(one(other)),
    }
}

/// The last non-empty path segment of a permalink, percent-decoded, without `.html`.
fn last_segment(permalink: &str) -> Option<String> {
    let path = permalink.split(['?', '#']).next().unwrap_or("");
    let segment = path.rsplit('/').find(|s| !s.trim().is_empty())?.trim();
    let segment = segment.strip_suffix(".html").or_else(|| segment.strip_suffix(".htm")).unwrap_or(segment);
    let decoded = percent_decode(segment);
    Some(decoded).filter(|s| !s.is_empty() && s != "index")
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

fn parse_date_value(value: &Val) -> Option<DateTime<Utc>> {
    match value {
        Val::Str(s) | Val::Date(s) => parse_date(s),
        Val::Num(n) => parse_number_date(n),
        _ => None,
    }
}

/// `20191014` (YYYYMMDD), Unix seconds (10 digits) or milliseconds (13 digits).
fn parse_number_date(n: &str) -> Option<DateTime<Utc>> {
    if !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match n.len() {
        8 => {
            let date =
                NaiveDate::from_ymd_opt(n[..4].parse().ok()?, n[4..6].parse().ok()?, n[6..].parse().ok()?)?;
            Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
        }
        10 => DateTime::from_timestamp(n.parse().ok()?, 0),
        13 => DateTime::from_timestamp_millis(n.parse().ok()?),
        _ => None,
    }
}

/// Parses the date formats found in front matter; naive dates and times are UTC.
///
/// `2019-10-14`, `2019-10-14 10:00`, `2019-10-14 10:00:00`, `2018-7-24 23:31:06`,
/// `2013/7/13 20:46:25`, `2019-10-14T10:00:00.123Z`, `2019-10-14T10:00:00+08:00`,
/// `2019-10-14 10:00:00 +0800`, `... UTC`, RFC 2822 (`Mon, 14 Oct 2019 10:00:00 +0000`).
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return Some(dt.with_timezone(&Utc));
    }
    let mut p = Cursor { s: s.as_bytes(), i: 0 };
    let year = p.digits(4, 4)?;
    let sep = p.peek()?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    p.i += 1;
    let month = p.digits(1, 2)?;
    p.eat(sep).then_some(())?;
    let day = p.digits(1, 2)?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;

    let mut time = NaiveTime::MIN;
    let had_sep = p.eat(b'T') || p.eat(b't') || p.spaces();
    if had_sep && p.peek().is_some_and(|b| b.is_ascii_digit()) {
        let hour = p.digits(1, 2)?;
        p.eat(b':').then_some(())?;
        let minute = p.digits(2, 2)?;
        let mut second = 0;
        let mut nanos = 0;
        if p.eat(b':') {
            second = p.digits(2, 2)?;
            if p.eat(b'.') || p.eat(b',') {
                let start = p.i;
                while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                    p.i += 1;
                }
                let frac = std::str::from_utf8(&p.s[start..p.i]).ok()?;
                let frac = &frac[..frac.len().min(9)];
                nanos = format!("{frac:0<9}").parse().ok()?;
            }
        }
        time = NaiveTime::from_hms_nano_opt(hour, minute, second.min(59), nanos)?;
        p.spaces();
    }
    let naive = NaiveDateTime::new(date, time);

    let rest = std::str::from_utf8(&p.s[p.i..]).ok()?.trim();
    let offset_seconds: i64 = match rest {
        "" | "Z" | "z" | "UTC" | "utc" | "GMT" | "gmt" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (h, m) = match digits.len() {
                1 | 2 => (digits.parse::<i64>().ok()?, 0),
                4 => (digits[..2].parse::<i64>().ok()?, digits[2..].parse::<i64>().ok()?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let utc = naive.checked_sub_signed(chrono::TimeDelta::seconds(offset_seconds))?;
    Some(Utc.from_utc_datetime(&utc))
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn spaces(&mut self) -> bool {
        let start = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i > start
    }
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i - start < max && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.i]).ok()?.parse().ok()
    }
}

/// `2014/12/12` as consecutive segments of a permalink (Zola `path`, Jekyll URLs).
fn date_from_path(path: &str) -> Option<DateTime<Utc>> {
    let segments: Vec<&str> = path.split('/').collect();
    segments.windows(3).find_map(|w| {
        let ok = w[0].len() == 4
            && (1..=2).contains(&w[1].len())
            && (1..=2).contains(&w[2].len())
            && w.iter().all(|s| s.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(w[0].parse().ok()?, w[1].parse().ok()?, w[2].parse().ok()?)?;
        Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
    })
}

/// `2019-10-14-hexo-4-released.md` -> 2019-10-14 00:00 UTC.
fn date_from_file_name(name: &str) -> Option<DateTime<Utc>> {
    let (date, _) = split_date_prefix(name)?;
    Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
}

/// A `YYYY-MM-DD` prefix followed by `-`, `_`, a space, `.` or the end, and the rest.
fn split_date_prefix(name: &str) -> Option<(NaiveDate, &str)> {
    let b = name.as_bytes();
    if b.len() < 10
        || !b[..4].iter().all(u8::is_ascii_digit)
        || b[4] != b'-'
        || !b[5..7].iter().all(u8::is_ascii_digit)
        || b[7] != b'-'
        || !b[8..10].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    if let Some(&next) = b.get(10)
        && !matches!(next, b'-' | b'_' | b' ' | b'.')
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        name[..4].parse().ok()?,
        name[5..7].parse().ok()?,
        name[8..10].parse().ok()?,
    )?;
    let rest = name[10..].strip_prefix(['-', '_', ' ']).unwrap_or(&name[10..]);
    Some((date, rest))
}

// ---------------------------------------------------------------------------------------------
// Titles
// ---------------------------------------------------------------------------------------------

/// The file name without a date prefix and Markdown extension, `-`/`_` as spaces.
fn title_from_file_name(name: &str) -> String {
    let mut stem = name;
    for ext in [".markdown", ".mdown", ".mkdn", ".mkd", ".mdx", ".md", ".txt"] {
        if stem.len() > ext.len() && stem.is_char_boundary(stem.len() - ext.len()) {
            let (head, tail) = stem.split_at(stem.len() - ext.len());
            if tail.eq_ignore_ascii_case(ext) {
                stem = head;
                break;
            }
        }
    }
    let without_date = split_date_prefix(stem).map_or(stem, |(_, rest)| rest);
    let spaced: String = without_date.chars().map(|c| if c == '-' || c == '_' { ' ' } else { c }).collect();
    let title = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if !title.is_empty() {
        title
    } else if !stem.trim().is_empty() {
        stem.trim().to_string()
    } else {
        "Untitled".to_string()
    }
}

/// The text of the first ATX or setext heading outside code fences, cleaned to plain text.
fn first_heading(body: &str) -> Option<String> {
    let lines: Vec<&str> = body.lines().collect();
    let mut fence: Option<(char, usize)> = None;
    let mut in_html_comment = false;
    for (i, raw) in lines.iter().enumerate() {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let line = raw.trim_start_matches(' ');
        if let Some((ch, len)) = fence {
            let run = line.chars().take_while(|c| *c == ch).count();
            if indent < 4 && run >= len && line[run * ch.len_utf8()..].trim().is_empty() {
                fence = None;
            }
            continue;
        }
        if in_html_comment {
            if line.contains("-->") {
                in_html_comment = false;
            }
            continue;
        }
        if indent >= 4 {
            continue;
        }
        if line.starts_with("<!--") && !line.contains("-->") {
            in_html_comment = true;
            continue;
        }
        for ch in ['`', '~'] {
            let run = line.chars().take_while(|c| *c == ch).count();
            if run >= 3 && !(ch == '`' && line[run..].contains('`')) {
                fence = Some((ch, run));
            }
        }
        if fence.is_some() {
            continue;
        }
        if let Some(text) = atx_heading(line) {
            let text = clean_heading(text);
            if !text.is_empty() {
                return Some(text);
            }
            continue;
        }
        // Setext: a paragraph line directly followed by `===` or `---`.
        if let Some(next) = lines.get(i + 1) {
            let next = next.trim();
            let underline =
                next.len() >= 2 && (next.bytes().all(|b| b == b'=') || next.bytes().all(|b| b == b'-'));
            let previous_blank = i == 0 || lines[i - 1].trim().is_empty();
            if underline && previous_blank && is_paragraph_line(line) {
                let text = clean_heading(line);
                if !text.is_empty() {
                    return Some(text);
                }
            }
        }
    }
    None
}

fn atx_heading(line: &str) -> Option<&str> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let mut text = rest.trim();
    // Closing sequence: ` ###`.
    let without_hashes = text.trim_end_matches('#');
    if without_hashes.len() < text.len()
        && (without_hashes.is_empty() || without_hashes.ends_with([' ', '\t']))
    {
        text = without_hashes.trim_end();
    }
    Some(text)
}

fn is_paragraph_line(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && !t.starts_with(['>', '-', '*', '+', '|', '<', '{', '!', '['])
        && !t.chars().next().is_some_and(|c| c.is_ascii_digit() && t.contains(". "))
}

/// Heading text as plain text: `{#id}` attributes, HTML tags, link targets and emphasis
/// markers removed.
fn clean_heading(text: &str) -> String {
    let mut s = text.trim().to_string();
    // Trailing attribute list: `Title {#anchor}` (VitePress, kramdown, Hugo).
    if s.ends_with('}')
        && let Some(open) = s.rfind('{')
        && s[open + 1..].trim_start().starts_with(['#', '.'])
    {
        s.truncate(open);
    }
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '<' => {
                // Drop an HTML tag; keep a lone `<`.
                if let Some(end) = chars[i..].iter().position(|&c| c == '>')
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!')
                {
                    i += end + 1;
                    continue;
                }
                out.push(c);
            }
            '!' if chars.get(i + 1) == Some(&'[') => {}
            '[' | ']' => {
                if c == ']' && chars.get(i + 1) == Some(&'(') {
                    // Skip the link target.
                    if let Some(end) = chars[i..].iter().position(|&c| c == ')') {
                        i += end + 1;
                        continue;
                    }
                }
            }
            '`' => {}
            '*' | '_' | '~' if chars.get(i + 1) == Some(&c) => {
                i += 2;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, content: &str) -> ImportedDocument {
        parse_markdown_file(name, content).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn yaml_front_matter() {
        let doc = parse(
            "post.md",
            "---\ntitle: Hello <b>World</b>\ndate: 2019-10-14 10:00:00\ntags: [a, b]\ncategories: c\nweight: 3\ntoc: true\n---\n\nBody {% raw %}x{% endraw %}\n",
        );
        assert_eq!(doc.title, "Hello <b>World</b>");
        assert_eq!(doc.title_source, TitleSource::FrontMatter);
        assert_eq!(doc.date, Some(utc("2019-10-14T10:00:00Z")));
        assert_eq!(doc.tags, ["a", "b"]);
        assert_eq!(doc.categories, ["c"]);
        assert_eq!(doc.extra, [("weight".into(), "3".into()), ("toc".into(), "true".into())]);
        assert_eq!(doc.body, "Body {% raw %}x{% endraw %}\n");
        assert_eq!(doc.front_matter, FrontMatterKind::Yaml);
    }

    #[test]
    fn bom_and_crlf() {
        let doc = parse("x.md", "\u{FEFF}---\r\ntitle: T\r\n---\r\nline1\r\nline2\r\n");
        assert_eq!(doc.title, "T");
        assert_eq!(doc.body, "line1\nline2\n");
    }

    #[test]
    fn hexo_without_opening_fence() {
        let doc = parse(
            "p.md",
            "title: Tags\ndate: 2013-12-24 23:29:53\ntags:\n- Foo\n- Bar\n---\n\nText\n\n---\n\nMore",
        );
        assert_eq!(doc.front_matter, FrontMatterKind::YamlUnopened);
        assert_eq!(doc.title, "Tags");
        assert_eq!(doc.tags, ["Foo", "Bar"]);
        assert_eq!(doc.body, "Text\n\n---\n\nMore");
    }

    #[test]
    fn body_with_rules_is_not_front_matter() {
        let doc = parse("notes.md", "Some intro: text here\n\n---\n\nMore\n");
        assert_eq!(doc.front_matter, FrontMatterKind::None);
        assert_eq!(doc.title, "notes");
        let doc = parse("hr.md", "---\n\nJust a rule, then text.\n\n---\n");
        assert_eq!(doc.front_matter, FrontMatterKind::None);
        assert!(doc.body.starts_with("---"));
        let doc = parse("setext.md", "My Title\n---\n\ntext");
        assert_eq!(doc.title, "My Title");
        assert_eq!(doc.title_source, TitleSource::Heading);
    }

    #[test]
    fn toml_front_matter() {
        let doc = parse(
            "Rust-1.0@1.md",
            "+++\npath = \"2015/05/15/Rust-1.0\"\ntitle = \"Announcing Rust 1.0\"\nauthors = [\"The Rust Core Team\"]\naliases = [\"2015/05/15/Rust-1.0.html\"]\n\n[taxonomies]\ntags = [\"release\"]\n\n[extra]\nrelease = true\nteam = \"core\"\n+++\n\nToday",
        );
        assert_eq!(doc.front_matter, FrontMatterKind::Toml);
        assert_eq!(doc.title, "Announcing Rust 1.0");
        assert_eq!(doc.date, Some(utc("2015-05-15T00:00:00Z")));
        assert_eq!(doc.slug.as_deref(), Some("Rust-1.0"));
        assert_eq!(doc.authors, ["The Rust Core Team"]);
        assert_eq!(doc.aliases, ["2015/05/15/Rust-1.0.html"]);
        assert_eq!(doc.tags, ["release"]);
        assert_eq!(doc.extra, [("release".into(), "true".into()), ("team".into(), "core".into())]);
        assert_eq!(doc.body, "Today");
    }

    #[test]
    fn toml_dates_and_errors() {
        let doc = parse(
            "z.md",
            "+++\ntitle = \"Z\"\ndate = 2021-03-04T05:06:07+02:00\nupdated = 2021-03-05\n+++\nx",
        );
        assert_eq!(doc.date, Some(utc("2021-03-04T03:06:07Z")));
        assert_eq!(doc.updated, Some(utc("2021-03-05T00:00:00Z")));
        let err = parse_markdown_file("z.md", "+++\ntitle = \"Z\"\ndate = = 3\n+++\nx").unwrap_err();
        assert!(matches!(&err, ImportError::BadFrontMatter(r) if r.starts_with("TOML, line 3")), "{err}");
        let err = parse_markdown_file("z.md", "+++\ntitle = \"Z\"\n").unwrap_err();
        assert!(matches!(err, ImportError::BadFrontMatter(_)));
    }

    #[test]
    fn json_front_matter() {
        let doc = parse(
            "j.md",
            "{\n  \"title\": \"J\",\n  \"tags\": [\"x\"],\n  \"date\": \"2020-01-02\"\n}\n\nBody",
        );
        assert_eq!(doc.front_matter, FrontMatterKind::Json);
        assert_eq!(doc.title, "J");
        assert_eq!(doc.tags, ["x"]);
        assert_eq!(doc.body, "Body");
        let doc = parse("h.md", "\"title\": \"Hexo JSON\",\n\"date\": \"2013/7/13 20:46:25\"\n;;;\n\nBody");
        assert_eq!(doc.title, "Hexo JSON");
        assert_eq!(doc.date, Some(utc("2013-07-13T20:46:25Z")));
        let doc = parse("s.md", "{{< admonition >}}\nhi\n{{< /admonition >}}\n");
        assert_eq!(doc.front_matter, FrontMatterKind::None);
        assert!(doc.body.starts_with("{{<"));
    }

    #[test]
    fn no_front_matter_title_from_heading_or_file_name() {
        let doc = parse("guide.md", "```md\n# not a title\n```\n\n# 无障碍访问 {#accessibility}\n\ntext");
        assert_eq!(doc.title, "无障碍访问");
        assert!(doc.body.contains("# 无障碍访问"));
        let doc = parse("2019-10-14-hexo-4-released.md", "Just text.\n");
        assert_eq!(doc.title, "hexo 4 released");
        assert_eq!(doc.date, Some(utc("2019-10-14T00:00:00Z")));
        let doc = parse("x.md", "## The [**Rust**](https://rust-lang.org) `book` ##\n");
        assert_eq!(doc.title, "The Rust book");
    }

    #[test]
    fn empty_and_binary() {
        assert_eq!(parse_markdown_file("e.md", " \n\t\n"), Err(ImportError::Empty));
        assert_eq!(parse_markdown_file("e.md", "\u{FEFF}"), Err(ImportError::Empty));
        assert_eq!(parse_markdown_file("b.md", "a\0b"), Err(ImportError::Binary));
    }

    #[test]
    fn tags_and_categories_shapes() {
        let doc = parse(
            "t.md",
            "---\ntitle: t\ntags: rust, async，中文、 rust\ncategories:\n- [Sports, Baseball]\n- [Sports, MLB]\n- Misc\n---\n",
        );
        assert_eq!(doc.tags, ["rust", "async", "中文"]);
        assert_eq!(doc.categories, ["Sports", "Baseball", "MLB", "Misc"]);
        let doc = parse("t.md", "---\ntitle: t\ntags:\ncategories: []\n---\n");
        assert!(doc.tags.is_empty() && doc.categories.is_empty());
    }

    #[test]
    fn flags_excerpt_cover_slug() {
        let doc = parse(
            "p.md",
            "---\ntitle: p\ndraft: true\nlayout: page\ndescription: d\nsummary: s\nthumbnail: /t.png\npermalink: /2020/01/02/hello-world.html\n---\n",
        );
        assert!(doc.draft && doc.is_page);
        assert_eq!(doc.excerpt.as_deref(), Some("s"));
        assert_eq!(doc.cover.as_deref(), Some("/t.png"));
        assert_eq!(doc.slug.as_deref(), Some("hello-world"));
        assert_eq!(doc.date, Some(utc("2020-01-02T00:00:00Z")));
        let doc =
            parse("p.md", "---\ntitle: p\npublished: false\ntype: page\nslug: my-slug\nurl: /x/y/\n---\n");
        assert!(doc.draft && doc.is_page);
        assert_eq!(doc.slug.as_deref(), Some("my-slug"));
        let doc = parse("p.md", "---\ntitle: p\nresources:\n- name: featured-image\n  src: f.jpg\n---\n");
        assert_eq!(doc.cover.as_deref(), Some("f.jpg"));
    }

    #[test]
    fn wiki_js_dates() {
        let doc = parse(
            "w.md",
            "---\ntitle: w\npublished: true\ndate: 2021-07-09T03:07:32.915Z\ntags: \ndateCreated: 2021-01-29T14:49:16.055Z\n---\n",
        );
        assert!(!doc.draft);
        assert_eq!(doc.date, Some(utc("2021-01-29T14:49:16.055Z")));
        assert_eq!(doc.updated, Some(utc("2021-07-09T03:07:32.915Z")));
        assert!(doc.tags.is_empty());
    }

    #[test]
    fn date_formats() {
        let cases = [
            ("2019-10-14", "2019-10-14T00:00:00Z"),
            ("2019-10-14 10:00", "2019-10-14T10:00:00Z"),
            ("2018-7-24 23:31:06", "2018-07-24T23:31:06Z"),
            ("2013/7/13 20:46:25", "2013-07-13T20:46:25Z"),
            ("2020-03-06T21:29:01+08:00", "2020-03-06T13:29:01Z"),
            ("2019-10-14 10:00:00 +0800", "2019-10-14T02:00:00Z"),
            ("2019-10-14 10:00:00 -05:00", "2019-10-14T15:00:00Z"),
            ("2019-10-14T10:00:00.5", "2019-10-14T10:00:00.5Z"),
            ("2019-10-14 10:00:00 UTC", "2019-10-14T10:00:00Z"),
            ("Mon, 14 Oct 2019 10:00:00 +0000", "2019-10-14T10:00:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_date(input), Some(utc(expected)), "{input}");
        }
        for bad in ["", "{{ date }}", "2019-13-01", "2019-02-30", "yesterday", "2019-10-14 25:00"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        let doc = parse("d.md", "---\ntitle: d\ndate: \"2019-10-14 10:00:00\"\n---\n");
        assert_eq!(doc.date, Some(utc("2019-10-14T10:00:00Z")));
        let doc = parse("2020-01-01-d.md", "---\ntitle: d\ndate: soon\n---\n");
        assert_eq!(doc.date, Some(utc("2020-01-01T00:00:00Z")));
        assert_eq!(doc.warnings.len(), 1, "{:?}", doc.warnings);
    }

    #[test]
    fn bad_yaml_is_repaired_or_reported() {
        let doc = parse("r.md", "---\ntitle: Rust: the good parts\ndate: 2020-01-01\n---\nx");
        assert_eq!(doc.title, "Rust: the good parts");
        assert_eq!(doc.warnings.len(), 1);
        let err = parse_markdown_file("r.md", "---\ntitle: ok\ntags: [a, b\n---\nx").unwrap_err();
        match err {
            ImportError::BadFrontMatter(reason) => assert!(reason.starts_with("YAML, line "), "{reason}"),
            other => panic!("{other:?}"),
        }
        let err = parse_markdown_file("r.md", "---\ntitle: ok\ntags: a\n").unwrap_err();
        assert!(matches!(err, ImportError::BadFrontMatter(_)));
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        for (open, close) in [("---\na: ", "\n---\n"), ("+++\na = ", "\n+++\n"), ("", "\n")] {
            let text = format!("{open}{}{close}", "[".repeat(100_000));
            let json = format!("{{\"a\": {}}}\nbody", "[".repeat(100_000));
            for input in [text, json] {
                let started = std::time::Instant::now();
                let _ = parse_markdown_file("deep.md", &input);
                assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", &input[..6]);
            }
        }
        let aliases = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n---\n";
        let _ = parse_markdown_file("laughs.md", aliases);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(prefix in "(---\n|\\+\\+\\+\n|;;;\n|\\{|)", body in "\\PC{0,300}", mid in "(\n---\n|\n\\+\\+\\+\n|\n;;;\n|\n)", rest in "[a-z:#\\[\\]{}\"' \n\t-]{0,80}") {
            let input = format!("{prefix}{body}{mid}{rest}");
            if let Ok(doc) = parse_markdown_file("2020-01-01-x.md", &input) {
                proptest::prop_assert!(!doc.title.is_empty());
            }
        }

        #[test]
        fn any_date_string_is_safe(s in "\\PC{0,40}") {
            let _ = parse_date(&s);
        }
    }

    #[test]
    fn unknown_keys_keep_file_order_and_skip_structures() {
        let doc = parse(
            "k.md",
            "---\nzeta: 1\ntitle: k\nalpha: two\nlist: [1]\nmap: {a: 1}\nempty:\nflag: false\n---\n",
        );
        assert_eq!(
            doc.extra,
            [("zeta".into(), "1".into()), ("alpha".into(), "two".into()), ("flag".into(), "false".into())]
        );
    }
}
