//! What templates see: plain serializable shapes built from core types, with URLs made
//! and dates formatted in the site's time zone. Templates never see e-mails, passwords or
//! anything the core view would hide; `html` fields are the core's sanitized HTML and the
//! only ones templates print with `|safe`.

use chrono::{DateTime, Utc};
use inkstone_core::Settings;
use inkstone_core::content::{ItemView, Page};
use inkstone_core::model::{Item, TermRef, UserSummary};
use serde::Serialize;

use crate::urls;

/// A date as templates use it: machine form for `<time datetime>` and feeds, reader form.
#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    /// RFC 3339 in the site's time zone, e.g. `2024-05-01T09:30:00+08:00`.
    pub iso: String,
    /// `2024-05-01`, in the site's time zone.
    pub date: String,
    /// `2024-05-01 09:30`, in the site's time zone.
    pub datetime: String,
}

impl DateView {
    pub fn new(at: DateTime<Utc>, settings: &Settings) -> DateView {
        let local = at.with_timezone(&settings.time_zone());
        DateView {
            iso: local.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            date: local.format("%Y-%m-%d").to_string(),
            datetime: local.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

/// A link to a category or tag.
#[derive(Debug, Clone, Serialize)]
pub struct TermLink {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
}

impl TermLink {
    pub fn category(term: &TermRef) -> TermLink {
        TermLink {
            id: term.id,
            name: term.name.clone(),
            slug: term.slug.clone(),
            url: urls::category_path(&term.slug),
        }
    }

    pub fn tag(term: &TermRef) -> TermLink {
        TermLink {
            id: term.id,
            name: term.name.clone(),
            slug: term.slug.clone(),
            url: urls::tag_path(&term.slug),
        }
    }
}

/// A person as readers see them.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorLink {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub avatar: Option<String>,
    pub url: String,
}

impl From<&UserSummary> for AuthorLink {
    fn from(user: &UserSummary) -> AuthorLink {
        let name = if user.display_name.trim().is_empty() {
            user.username.clone()
        } else {
            user.display_name.clone()
        };
        AuthorLink {
            id: user.id,
            username: user.username.clone(),
            name,
            avatar: user.avatar.clone(),
            url: urls::author_path(&user.username),
        }
    }
}

/// A post or page in a list (home, category, tag, archive, author, search, feeds).
#[derive(Debug, Clone, Serialize)]
pub struct PostSummary {
    pub id: i64,
    /// `post` or `page`.
    pub kind: &'static str,
    pub title: String,
    /// Site-relative path.
    pub url: String,
    /// On `site.url`.
    pub absolute_url: String,
    /// Plain text; empty when the post is password-protected.
    pub excerpt: String,
    pub cover: Option<String>,
    pub cover_text: Option<String>,
    pub published: Option<DateView>,
    pub updated: DateView,
    pub author: AuthorLink,
    /// The primary category first.
    pub categories: Vec<TermLink>,
    pub tags: Vec<TermLink>,
    pub pinned: bool,
    pub protected: bool,
    pub comment_count: i64,
    pub like_count: i64,
    pub view_count: i64,
}

impl PostSummary {
    pub fn new(item: &Item, settings: &Settings) -> PostSummary {
        let url = urls::item_path(item, settings);
        PostSummary {
            id: item.id,
            kind: item.kind.as_str(),
            title: item.title.clone(),
            absolute_url: urls::absolute(settings, &url),
            url,
            excerpt: if item.password.is_some() { String::new() } else { item.excerpt.clone() },
            cover: item.cover.clone(),
            cover_text: item.cover_text.clone(),
            published: item.published_at.map(|at| DateView::new(at, settings)),
            updated: DateView::new(item.updated_at, settings),
            author: AuthorLink::from(&item.author),
            categories: item.categories.iter().map(TermLink::category).collect(),
            tags: item.tags.iter().map(TermLink::tag).collect(),
            pinned: item.pinned,
            protected: item.password.is_some(),
            comment_count: item.comment_count,
            like_count: item.like_count,
            view_count: item.view_count,
        }
    }

    pub fn list(page: &Page<ItemView>, settings: &Settings) -> Vec<PostSummary> {
        page.items.iter().map(|view| PostSummary::new(&view.item, settings)).collect()
    }
}

/// A whole post or page for its own page.
#[derive(Debug, Clone, Serialize)]
pub struct PostFull {
    #[serde(flatten)]
    pub summary: PostSummary,
    /// Sanitized HTML; empty while locked.
    pub html: String,
    /// Protected and the reader has not given the password.
    pub locked: bool,
    pub comments_allowed: bool,
    pub custom_fields: Vec<(String, String)>,
    pub template: Option<String>,
}

impl PostFull {
    pub fn new(view: &ItemView, settings: &Settings) -> PostFull {
        let item = &view.item;
        PostFull {
            summary: PostSummary::new(item, settings),
            html: if view.locked { String::new() } else { demote_h1(&item.html) },
            locked: view.locked,
            comments_allowed: item.comments_allowed,
            custom_fields: item.custom_fields.iter().map(|f| (f.key.clone(), f.value.clone())).collect(),
            template: item.template.clone(),
        }
    }
}

/// The body's own top-level headings become `h2`: the page's one `h1` is the title (what
/// readers of assistive technology and search engines expect), and Markdown written with a
/// `# Title` line is common. The HTML is the sanitizer's, so a literal `<h1` in text is
/// already escaped and only real tags match.
pub fn demote_h1(html: &str) -> String {
    if !html.contains("<h1") {
        return html.to_string();
    }
    html.replace("<h1>", "<h2>").replace("<h1 ", "<h2 ").replace("</h1>", "</h2>")
}

/// Page links of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Pager {
    pub page: i64,
    pub last_page: i64,
    pub total: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl Pager {
    /// Links for `page` of a list at `path`; `extra_query` (already encoded, e.g. `q=rust`)
    /// is kept in every link.
    pub fn new<T>(page: &Page<T>, path: &str, extra_query: Option<&str>) -> Pager {
        let link = |n: i64| {
            let mut query: Vec<String> =
                extra_query.filter(|q| !q.is_empty()).map(str::to_string).into_iter().collect();
            if n > 1 {
                query.push(format!("page={n}"));
            }
            if query.is_empty() { path.to_string() } else { format!("{path}?{}", query.join("&")) }
        };
        let last_page = page.last_page();
        Pager {
            page: page.page,
            last_page,
            total: page.total,
            prev_url: (page.page > 1).then(|| link(page.page - 1)),
            next_url: (page.page < last_page).then(|| link(page.page + 1)),
        }
    }
}

/// A category with what its page and sub-category lists show.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
    pub description: Option<String>,
    /// Published public posts filed directly under it.
    pub count: i64,
}

impl CategoryView {
    pub fn new(category: &inkstone_core::model::Category) -> CategoryView {
        CategoryView {
            id: category.id,
            name: category.name.clone(),
            slug: category.slug.clone(),
            url: urls::category_path(&category.slug),
            description: category.description.clone().filter(|d| !d.trim().is_empty()),
            count: category.item_count,
        }
    }
}

/// A public note in the notes list.
#[derive(Debug, Clone, Serialize)]
pub struct NoteCard {
    pub id: i64,
    /// Sanitized HTML.
    pub html: String,
    pub tags: Vec<String>,
    pub author: AuthorLink,
    pub created: DateView,
    pub like_count: i64,
}

impl NoteCard {
    pub fn new(note: &inkstone_core::notes::Note, settings: &Settings) -> NoteCard {
        NoteCard {
            id: note.id,
            html: note.html.clone(),
            tags: note.tags.clone(),
            author: AuthorLink::from(&note.author),
            created: DateView::new(note.created_at, settings),
            like_count: note.like_count,
        }
    }
}

/// A visible friend link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkCard {
    pub id: i64,
    pub name: String,
    /// Absolute http(s) URL (the core checks it).
    pub url: String,
    pub image: Option<String>,
    pub description: Option<String>,
}

impl From<&inkstone_core::links::FriendLink> for LinkCard {
    fn from(link: &inkstone_core::links::FriendLink) -> LinkCard {
        LinkCard {
            id: link.id,
            name: link.name.clone(),
            url: link.url.clone(),
            image: link.image.clone(),
            description: link.description.clone().filter(|d| !d.trim().is_empty()),
        }
    }
}

/// A month of the archive with its link.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveMonthView {
    pub year: i32,
    pub month: u32,
    /// The month with two digits, `05`.
    pub mm: String,
    pub count: i64,
    pub url: String,
}

/// A year of the archive, newest month first.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveYearView {
    pub year: i32,
    pub count: i64,
    pub months: Vec<ArchiveMonthView>,
}

impl ArchiveYearView {
    /// Months (newest first, as the core gives them) grouped by year.
    pub fn group(months: &[inkstone_core::content::ArchiveMonth]) -> Vec<ArchiveYearView> {
        let mut years: Vec<ArchiveYearView> = Vec::new();
        for month in months {
            let view = ArchiveMonthView {
                year: month.year,
                month: month.month,
                mm: format!("{:02}", month.month),
                count: month.count,
                url: urls::archive_path(month.year, month.month),
            };
            match years.last_mut() {
                Some(year) if year.year == month.year => {
                    year.count += month.count;
                    year.months.push(view);
                }
                _ => years.push(ArchiveYearView { year: month.year, count: month.count, months: vec![view] }),
            }
        }
        years
    }
}

#[cfg(test)]
mod tests {
    use super::demote_h1;

    #[test]
    fn body_h1_becomes_h2_and_escaped_text_is_left_alone() {
        assert_eq!(
            demote_h1("<h1 id=\"a\">A</h1><p>&lt;h1&gt;x&lt;/h1&gt;</p><h1>B</h1><h2>C</h2>"),
            "<h2 id=\"a\">A</h2><p>&lt;h1&gt;x&lt;/h1&gt;</p><h2>B</h2><h2>C</h2>"
        );
    }
}
