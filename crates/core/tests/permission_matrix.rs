//! The whole permission matrix as a table: role x credential scopes x action x ownership x
//! item state. A change to the rules must change a row here.

use inkstone_core::model::{ItemKind, ItemStatus, Role};
use inkstone_core::permission::{
    Action, Actor, CredentialKind, Denial, Principal, Resource, Scope, authorize,
};

const ME: i64 = 1;
const OTHER: i64 = 2;

fn user(role: Role) -> Actor {
    Actor::User(Principal { user_id: ME, role, credential: CredentialKind::Session, scopes: None })
}

fn token(role: Role, scopes: &[Scope]) -> Actor {
    Actor::User(Principal {
        user_id: ME,
        role,
        credential: CredentialKind::PersonalAccessToken,
        scopes: Some(scopes.to_vec()),
    })
}

fn item(kind: ItemKind, author_id: i64, status: ItemStatus) -> Resource {
    Resource::Item { kind, author_id, status }
}

use Action::*;
use ItemKind::{Page, Post};
use ItemStatus::{Draft, Published, Scheduled, Trashed};
use Role::*;

type Row = (&'static str, Actor, Action, Resource, Result<(), Denial>);

fn table() -> Vec<Row> {
    let ok = Ok(());
    let site = Resource::Site;
    let new_post = Resource::NewItem { kind: Post };
    let new_page = Resource::NewItem { kind: Page };
    vec![
        // Anonymous callers read what is public and nothing else.
        ("anon reads published", Actor::Anonymous, View, item(Post, OTHER, Published), ok),
        ("anon reads draft", Actor::Anonymous, View, item(Post, OTHER, Draft), Err(Denial::NotSignedIn)),
        (
            "anon revisions",
            Actor::Anonymous,
            ViewRevisions,
            item(Post, OTHER, Published),
            Err(Denial::NotSignedIn),
        ),
        ("anon creates", Actor::Anonymous, Create, new_post, Err(Denial::NotSignedIn)),
        ("anon settings", Actor::Anonymous, ManageSettings, site, Err(Denial::NotSignedIn)),
        // Subscribers read.
        ("subscriber reads published", user(Subscriber), View, item(Post, OTHER, Published), ok),
        ("subscriber reads draft", user(Subscriber), View, item(Post, OTHER, Draft), Err(Denial::Role)),
        ("subscriber creates post", user(Subscriber), Create, new_post, Err(Denial::Role)),
        ("subscriber creates tag", user(Subscriber), CreateTag, site, Err(Denial::Role)),
        ("subscriber own tokens", user(Subscriber), ManageOwnCredentials, site, ok),
        // Contributors write their own drafts and cannot publish.
        ("contributor creates post", user(Contributor), Create, new_post, ok),
        ("contributor creates page", user(Contributor), Create, new_page, Err(Denial::Role)),
        ("contributor edits own draft", user(Contributor), Edit, item(Post, ME, Draft), ok),
        (
            "contributor edits own published",
            user(Contributor),
            Edit,
            item(Post, ME, Published),
            Err(Denial::State),
        ),
        (
            "contributor edits own scheduled",
            user(Contributor),
            Edit,
            item(Post, ME, Scheduled),
            Err(Denial::State),
        ),
        ("contributor deletes own trashed", user(Contributor), Delete, item(Post, ME, Trashed), ok),
        ("contributor publishes own", user(Contributor), Publish, item(Post, ME, Draft), Err(Denial::Role)),
        ("contributor edits other", user(Contributor), Edit, item(Post, OTHER, Draft), Err(Denial::NotOwner)),
        ("contributor reads own draft", user(Contributor), View, item(Post, ME, Draft), ok),
        ("contributor creates tag", user(Contributor), CreateTag, site, Err(Denial::Role)),
        // Authors own their posts completely, but not pages or others' posts.
        ("author creates post", user(Author), Create, new_post, ok),
        ("author creates page", user(Author), Create, new_page, Err(Denial::Role)),
        ("author publishes own", user(Author), Publish, item(Post, ME, Draft), ok),
        ("author edits own published", user(Author), Edit, item(Post, ME, Published), ok),
        ("author deletes own", user(Author), Delete, item(Post, ME, Published), ok),
        ("author edits other", user(Author), Edit, item(Post, OTHER, Published), Err(Denial::NotOwner)),
        ("author reads other draft", user(Author), View, item(Post, OTHER, Draft), Err(Denial::NotOwner)),
        ("author reads other published", user(Author), View, item(Post, OTHER, Published), ok),
        ("author edits own page", user(Author), Edit, item(Page, ME, Draft), Err(Denial::Role)),
        ("author creates tag", user(Author), CreateTag, site, ok),
        ("author pins own", user(Author), Pin, item(Post, ME, Published), Err(Denial::Role)),
        ("editor pins other", user(Editor), Pin, item(Post, OTHER, Published), ok),
        ("author manages taxonomy", user(Author), ManageTaxonomy, site, Err(Denial::Role)),
        ("author settings", user(Author), ManageSettings, site, Err(Denial::Role)),
        // Editors do everything with content, nothing with settings.
        ("editor edits other", user(Editor), Edit, item(Post, OTHER, Published), ok),
        ("editor publishes other", user(Editor), Publish, item(Page, OTHER, Draft), ok),
        ("editor deletes other", user(Editor), Delete, item(Post, OTHER, Trashed), ok),
        ("editor creates page", user(Editor), Create, new_page, ok),
        ("editor manages taxonomy", user(Editor), ManageTaxonomy, site, ok),
        ("editor settings", user(Editor), ManageSettings, site, Err(Denial::Role)),
        // Admins do everything.
        ("admin settings", user(Admin), ManageSettings, site, ok),
        ("admin deletes other", user(Admin), Delete, item(Post, OTHER, Published), ok),
        // The operator at the command line.
        ("system settings", Actor::System, ManageSettings, site, ok),
        // Token scopes narrow the owner's rights; tokens never manage credentials.
        ("read token reads own draft", token(Author, &[Scope::ContentRead]), View, item(Post, ME, Draft), ok),
        ("read token writes", token(Author, &[Scope::ContentRead]), Create, new_post, Err(Denial::Scope)),
        ("write token writes", token(Author, &[Scope::ContentWrite]), Create, new_post, ok),
        (
            "write token reads draft",
            token(Author, &[Scope::ContentWrite]),
            View,
            item(Post, ME, Draft),
            Err(Denial::Scope),
        ),
        ("any token reads public", token(Author, &[]), View, item(Post, OTHER, Published), ok),
        (
            "scoped token taxonomy",
            token(Editor, &[Scope::ContentWrite]),
            ManageTaxonomy,
            site,
            Err(Denial::Scope),
        ),
        ("taxonomy token", token(Editor, &[Scope::TaxonomyWrite]), ManageTaxonomy, site, ok),
        (
            "scope beyond role",
            token(Author, &[Scope::SettingsWrite]),
            ManageSettings,
            site,
            Err(Denial::Role),
        ),
        ("token mints tokens", token(Admin, &[]), ManageOwnCredentials, site, Err(Denial::Scope)),
        (
            "unscoped token mints tokens",
            Actor::User(Principal {
                user_id: ME,
                role: Admin,
                credential: CredentialKind::PersonalAccessToken,
                scopes: None,
            }),
            ManageOwnCredentials,
            site,
            Err(Denial::Scope),
        ),
    ]
}

#[test]
fn the_permission_matrix_holds() {
    let mut failures = Vec::new();
    for (name, actor, action, resource, expected) in table() {
        let got = authorize(&actor, action, resource);
        if got != expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn denials_map_to_the_right_error_codes() {
    use inkstone_core::ErrorCode;
    assert_eq!(Denial::NotSignedIn.into_error().code, ErrorCode::Unauthenticated);
    for denial in [Denial::Role, Denial::Scope, Denial::NotOwner, Denial::State] {
        assert_eq!(denial.into_error().code, ErrorCode::Forbidden);
    }
}
