//! Categories (a tree) and tags.

use inkstone_render::slug;

use crate::Core;
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::model::{Category, Tag};
use crate::permission::{Action, Actor, Resource};
use crate::ports::{CategoryWrite, TagWrite};

/// A category to create, or the full new state of one.
#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub name: String,
    /// From the name when absent.
    pub slug: Option<String>,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
    pub sort_order: i64,
    pub template: Option<String>,
    pub cover: Option<String>,
}

impl CategoryInput {
    /// A top-level category with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        CategoryInput { name: name.into(), ..Default::default() }
    }
}

/// A partial category update; `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<Option<String>>,
    pub parent_id: Option<Option<i64>>,
    pub sort_order: Option<i64>,
    pub template: Option<Option<String>>,
    pub cover: Option<Option<String>>,
}

/// A tag to create, or a partial update of one (absent fields stay as they are).
#[derive(Debug, Clone, Default)]
pub struct TagInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub color: Option<Option<String>>,
    pub description: Option<Option<String>>,
}

/// A category with its children, for tree views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryNode {
    pub category: Category,
    pub children: Vec<CategoryNode>,
}

/// Arranges a flat category list (as the repository returns it) into trees.
pub fn category_tree(categories: &[Category]) -> Vec<CategoryNode> {
    fn children_of(parent: Option<i64>, all: &[Category]) -> Vec<CategoryNode> {
        let mut nodes: Vec<CategoryNode> = all
            .iter()
            .filter(|c| c.parent_id == parent)
            .map(|c| CategoryNode { category: c.clone(), children: children_of(Some(c.id), all) })
            .collect();
        nodes.sort_by(|a, b| {
            (a.category.sort_order, &a.category.name).cmp(&(b.category.sort_order, &b.category.name))
        });
        nodes
    }
    children_of(None, categories)
}

/// Ids of category `root` and of every category below it in `categories` (a flat list as
/// the repository returns it), `root` first, then level by level. A category page lists
/// the posts of all of them. Each id appears once, even in a (refused, never stored) cycle.
pub fn category_and_descendants(categories: &[Category], root: i64) -> Vec<i64> {
    let mut ids = vec![root];
    let mut next = 0;
    while let Some(&parent) = ids.get(next) {
        for child in categories.iter().filter(|c| c.parent_id == Some(parent)) {
            if !ids.contains(&child.id) {
                ids.push(child.id);
            }
        }
        next += 1;
    }
    ids
}

fn check_name(field: &str, name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::invalid(field, "needs 1 to 100 characters", "需要 1 到 100 个字符"));
    }
    Ok(name.to_string())
}

fn term_slug(requested: Option<&str>, name: &str) -> CoreResult<String> {
    match requested.map(str::trim).filter(|s| !s.is_empty()) {
        Some(requested) => slug::normalize_user_slug(requested).ok_or_else(|| {
            CoreError::invalid(
                "slug",
                "use letters, digits, `-` and `_` only",
                "只能使用字母、数字、`-` 和 `_`",
            )
        }),
        None => {
            let slug = slug::slugify(name);
            Ok(if slug.is_empty() {
                slug::normalize_user_slug(name).unwrap_or_else(|| "term".into())
            } else {
                slug
            })
        }
    }
}

fn check_color(color: Option<String>) -> CoreResult<Option<String>> {
    let Some(color) = color.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let hex = color.strip_prefix('#').unwrap_or("");
    if matches!(hex.len(), 3 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(Some(color.to_ascii_lowercase()))
    } else {
        Err(CoreError::invalid(
            "color",
            "must be a hex colour such as #ff6600",
            "必须是十六进制颜色，例如 #ff6600",
        ))
    }
}

fn optional_text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl Core {
    /// Every category, flat, ordered by parent, order and name.
    pub async fn categories(&self) -> CoreResult<Vec<Category>> {
        self.repo.categories(true).await
    }

    /// One category by id.
    pub async fn category(&self, id: i64) -> CoreResult<Category> {
        self.repo.categories(true).await?.into_iter().find(|c| c.id == id).ok_or_else(CoreError::not_found)
    }

    async fn check_category(&self, id: Option<i64>, write: &CategoryWrite) -> CoreResult<()> {
        let categories = self.repo.categories(false).await?;
        if categories.iter().any(|c| c.slug == write.slug && Some(c.id) != id) {
            return Err(CoreError::new(ErrorCode::Conflict).with_field("slug").with_detail(
                format!("slug `{}` is taken", write.slug),
                format!("别名 `{}` 已被使用", write.slug),
            ));
        }
        let Some(parent) = write.parent_id else { return Ok(()) };
        // Walk up from the new parent: meeting the category itself would make a cycle.
        let mut cursor = Some(parent);
        let mut steps = 0;
        while let Some(current) = cursor {
            if Some(current) == id || steps > categories.len() {
                return Err(CoreError::invalid(
                    "parent_id",
                    "a category cannot be inside itself",
                    "分类不能成为自己的子分类",
                ));
            }
            let node = categories
                .iter()
                .find(|c| c.id == current)
                .ok_or_else(|| CoreError::invalid("parent_id", "no such parent category", "父分类不存在"))?;
            cursor = node.parent_id;
            steps += 1;
        }
        Ok(())
    }

    /// Creates a category. Errors: `invalid_input`, `conflict` (slug), permission.
    pub async fn create_category(&self, actor: &Actor, input: CategoryInput) -> CoreResult<Category> {
        self.require(actor, Action::ManageTaxonomy, Resource::Site).await?;
        let name = check_name("name", &input.name)?;
        let write = CategoryWrite {
            slug: term_slug(input.slug.as_deref(), &name)?,
            name,
            description: optional_text(input.description),
            parent_id: input.parent_id,
            sort_order: input.sort_order,
            template: optional_text(input.template),
            cover: optional_text(input.cover),
        };
        self.check_category(None, &write).await?;
        self.repo.insert_category(write).await
    }

    /// Changes a category. Moving it under one of its descendants is refused.
    pub async fn update_category(
        &self,
        actor: &Actor,
        id: i64,
        patch: CategoryPatch,
    ) -> CoreResult<Category> {
        self.require(actor, Action::ManageTaxonomy, Resource::Site).await?;
        let current = self.category(id).await?;
        let name = match patch.name {
            Some(name) => check_name("name", &name)?,
            None => current.name,
        };
        let write = CategoryWrite {
            slug: match patch.slug {
                Some(slug) => term_slug(Some(&slug), &name)?,
                None => current.slug,
            },
            name,
            description: patch.description.map_or(current.description, optional_text),
            parent_id: patch.parent_id.unwrap_or(current.parent_id),
            sort_order: patch.sort_order.unwrap_or(current.sort_order),
            template: patch.template.map_or(current.template, optional_text),
            cover: patch.cover.map_or(current.cover, optional_text),
        };
        self.check_category(Some(id), &write).await?;
        self.repo.update_category(id, write).await
    }

    /// Deletes a category; its children move up to its parent and its items lose it.
    pub async fn delete_category(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageTaxonomy, Resource::Site).await?;
        if self.repo.delete_category(id).await? { Ok(()) } else { Err(CoreError::not_found()) }
    }

    /// Every tag, ordered by name.
    pub async fn tags(&self) -> CoreResult<Vec<Tag>> {
        self.repo.tags(true).await
    }

    /// One tag by id.
    pub async fn tag(&self, id: i64) -> CoreResult<Tag> {
        self.repo.tags(true).await?.into_iter().find(|t| t.id == id).ok_or_else(CoreError::not_found)
    }

    async fn check_tag(&self, id: Option<i64>, write: &TagWrite) -> CoreResult<()> {
        let tags = self.repo.tags(false).await?;
        for tag in tags.iter().filter(|t| Some(t.id) != id) {
            if tag.slug == write.slug || tag.name.to_lowercase() == write.name.to_lowercase() {
                return Err(CoreError::new(ErrorCode::Conflict).with_detail(
                    format!("a tag `{}` exists", tag.name),
                    format!("标签 `{}` 已存在", tag.name),
                ));
            }
        }
        Ok(())
    }

    /// Creates a tag. Authors may create tags; changing or deleting them needs an editor.
    pub async fn create_tag(&self, actor: &Actor, input: TagInput) -> CoreResult<Tag> {
        self.require(actor, Action::CreateTag, Resource::Site).await?;
        let name = check_name("name", input.name.as_deref().unwrap_or(""))?;
        let write = TagWrite {
            slug: term_slug(input.slug.as_deref(), &name)?,
            name,
            color: check_color(input.color.flatten())?,
            description: optional_text(input.description.flatten()),
        };
        self.check_tag(None, &write).await?;
        self.repo.insert_tag(write).await
    }

    /// Changes a tag.
    pub async fn update_tag(&self, actor: &Actor, id: i64, input: TagInput) -> CoreResult<Tag> {
        self.require(actor, Action::ManageTaxonomy, Resource::Site).await?;
        let current = self.tag(id).await?;
        let name = match input.name {
            Some(name) => check_name("name", &name)?,
            None => current.name,
        };
        let write = TagWrite {
            slug: match input.slug {
                Some(slug) => term_slug(Some(&slug), &name)?,
                None => current.slug,
            },
            name,
            color: match input.color {
                Some(color) => check_color(color)?,
                None => current.color,
            },
            description: input.description.map_or(current.description, optional_text),
        };
        self.check_tag(Some(id), &write).await?;
        self.repo.update_tag(id, write).await
    }

    /// Deletes a tag; items lose it.
    pub async fn delete_tag(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageTaxonomy, Resource::Site).await?;
        if self.repo.delete_tag(id).await? { Ok(()) } else { Err(CoreError::not_found()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: i64, parent_id: Option<i64>) -> Category {
        Category {
            id,
            name: format!("c{id}"),
            slug: format!("c{id}"),
            description: None,
            parent_id,
            sort_order: 0,
            template: None,
            cover: None,
            item_count: 0,
        }
    }

    #[test]
    fn descendants_come_level_by_level_and_stop_at_a_cycle() {
        let tree = [
            category(1, None),
            category(2, Some(1)),
            category(3, Some(2)),
            category(4, Some(1)),
            category(5, None),
        ];
        assert_eq!(category_and_descendants(&tree, 1), [1, 2, 4, 3]);
        assert_eq!(category_and_descendants(&tree, 2), [2, 3]);
        assert_eq!(category_and_descendants(&tree, 5), [5]);
        assert_eq!(category_and_descendants(&tree, 99), [99], "an unknown root is only itself");
        // A broken database with 6 -> 7 -> 6 must not loop for ever.
        let cycle = [category(6, Some(7)), category(7, Some(6))];
        assert_eq!(category_and_descendants(&cycle, 6), [6, 7]);
    }
}
