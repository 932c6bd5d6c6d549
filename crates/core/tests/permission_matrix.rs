//! The whole permission matrix as tables: role x credential (scopes, API key flags) x
//! action x ownership x item state x origin. A change to the rules must change a row here.

use inkstone_core::model::{ItemKind, ItemStatus, Origin, Role};
use inkstone_core::permission::{
    Action, Actor, CredentialKind, DeleteGrant, Denial, KeyGrant, Principal, Resource, Scope, authorize,
};

const ME: i64 = 1;
const OTHER: i64 = 2;

fn user(role: Role) -> Actor {
    Actor::User(Principal::new(ME, role, CredentialKind::Session))
}

fn token(role: Role, scopes: &[Scope]) -> Actor {
    Actor::User(Principal {
        scopes: Some(scopes.to_vec()),
        ..Principal::new(ME, role, CredentialKind::PersonalAccessToken)
    })
}

fn key(role: Role, grant: KeyGrant) -> Actor {
    Actor::User(Principal { key: Some(grant), ..Principal::new(ME, role, CredentialKind::ApiKey) })
}

fn item(kind: ItemKind, author_id: i64, status: ItemStatus) -> Resource {
    Resource::Item { kind, author_id, status, origin: Origin::Console }
}

fn comment(item_author_id: i64, author_id: Option<i64>) -> Resource {
    Resource::Comment { item_author_id, author_id }
}

fn note(author_id: i64, private: bool) -> Resource {
    Resource::Note { author_id, private, origin: Origin::Console }
}

fn media(uploader_id: i64, origin: Origin) -> Resource {
    Resource::Media { uploader_id, origin }
}

fn api_item(author_id: i64, status: ItemStatus) -> Resource {
    Resource::Item { kind: ItemKind::Post, author_id, status, origin: Origin::Api }
}

/// The ulthon document's three example keys.
const READ_ONLY: KeyGrant = KeyGrant::READ_ONLY;
const OWN_ONLY: KeyGrant =
    KeyGrant { can_write_own: true, can_write_other: false, can_delete: DeleteGrant::ApiOrigin };
const FULL: KeyGrant = KeyGrant::FULL;

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
        // People, keys and the audit log are the admin's.
        ("admin manages users", user(Admin), ManageUsers, site, ok),
        ("editor manages users", user(Editor), ManageUsers, site, Err(Denial::Role)),
        ("editor manages keys", user(Editor), ManageApiKeys, site, Err(Denial::Role)),
        ("editor reads audit log", user(Editor), ViewAuditLog, site, Err(Denial::Role)),
        ("author manages users", user(Author), ManageUsers, site, Err(Denial::Role)),
        (
            "admin token without admin scope",
            token(Admin, &[Scope::ContentWrite]),
            ManageUsers,
            site,
            Err(Denial::Scope),
        ),
        ("admin token with admin scope", token(Admin, &[Scope::Admin]), ViewAuditLog, site, ok),
        // Trashing follows editing for people.
        ("contributor trashes own draft", user(Contributor), Trash, item(Post, ME, Draft), ok),
        (
            "contributor trashes own published",
            user(Contributor),
            Trash,
            item(Post, ME, Published),
            Err(Denial::State),
        ),
        ("author trashes other", user(Author), Trash, item(Post, OTHER, Published), Err(Denial::NotOwner)),
        // Sign-in tokens and Basic are interactive: they manage credentials; keys do not.
        (
            "sign-in token mints tokens",
            Actor::User(Principal::new(ME, Subscriber, CredentialKind::AccessToken)),
            ManageOwnCredentials,
            site,
            ok,
        ),
        (
            "basic mints tokens",
            Actor::User(Principal::new(ME, Author, CredentialKind::Basic)),
            ManageOwnCredentials,
            site,
            ok,
        ),
        ("full key mints tokens", key(Admin, FULL), ManageOwnCredentials, site, Err(Denial::KeyFlags)),
        ("full key settings", key(Admin, FULL), ManageSettings, site, Err(Denial::KeyFlags)),
        ("full key taxonomy", key(Admin, FULL), ManageTaxonomy, site, Err(Denial::KeyFlags)),
        ("full key users", key(Admin, FULL), ManageUsers, site, Err(Denial::KeyFlags)),
        ("full key keys", key(Admin, FULL), ManageApiKeys, site, Err(Denial::KeyFlags)),
        ("read-only key reads drafts", key(Admin, READ_ONLY), View, item(Post, OTHER, Draft), ok),
        ("read-only key creates tag", key(Admin, READ_ONLY), CreateTag, site, Err(Denial::KeyFlags)),
        ("own-only key creates tag", key(Admin, OWN_ONLY), CreateTag, site, ok),
        // A key never does more than its user may.
        (
            "full key of an author edits other's",
            key(Author, FULL),
            Edit,
            api_item(OTHER, Draft),
            Err(Denial::NotOwner),
        ),
        ("full key of an author edits own", key(Author, FULL), Edit, api_item(ME, Published), ok),
        ("full key of a subscriber creates", key(Subscriber, FULL), Create, new_post, Err(Denial::Role)),
        (
            "full key of a contributor publishes",
            key(Contributor, FULL),
            Publish,
            api_item(ME, Draft),
            Err(Denial::Role),
        ),
        (
            "unscoped token mints tokens",
            Actor::User(Principal::new(ME, Admin, CredentialKind::PersonalAccessToken)),
            ManageOwnCredentials,
            site,
            Err(Denial::Scope),
        ),
        // Comments and likes: open to anyone on what is public; moderation is the item
        // author's (authors) or an editor's.
        ("anon comments on a published post", Actor::Anonymous, Comment, item(Post, OTHER, Published), ok),
        (
            "anon comments on a draft",
            Actor::Anonymous,
            Comment,
            item(Post, OTHER, Draft),
            Err(Denial::NotSignedIn),
        ),
        ("anon likes a published post", Actor::Anonymous, Like, item(Post, OTHER, Published), ok),
        ("anon likes a comment", Actor::Anonymous, Like, comment(OTHER, None), ok),
        ("subscriber comments", user(Role::Subscriber), Comment, item(Post, OTHER, Published), ok),
        (
            "subscriber comments on a draft",
            user(Role::Subscriber),
            Comment,
            item(Post, OTHER, Draft),
            Err(Denial::Role),
        ),
        ("author comments on own draft", user(Author), Comment, item(Post, ME, Draft), ok),
        (
            "read-only key comments",
            key(Admin, READ_ONLY),
            Comment,
            item(Post, OTHER, Published),
            Err(Denial::KeyFlags),
        ),
        (
            "read-scoped token likes",
            token(Admin, &[Scope::ContentRead]),
            Like,
            item(Post, OTHER, Published),
            Err(Denial::Scope),
        ),
        ("author moderates own post", user(Author), Moderate, item(Post, ME, Published), ok),
        (
            "author moderates another's post",
            user(Author),
            Moderate,
            item(Post, OTHER, Published),
            Err(Denial::NotOwner),
        ),
        ("author moderates everything", user(Author), Moderate, site, Err(Denial::Role)),
        ("editor moderates everything", user(Editor), Moderate, site, ok),
        (
            "contributor moderates own post",
            user(Contributor),
            Moderate,
            item(Post, ME, Draft),
            Err(Denial::Role),
        ),
        (
            "anon moderates",
            Actor::Anonymous,
            Moderate,
            item(Post, OTHER, Published),
            Err(Denial::NotSignedIn),
        ),
        ("own-only key moderates", key(Admin, OWN_ONLY), Moderate, site, Err(Denial::KeyFlags)),
        ("commenter edits own comment", user(Role::Subscriber), Edit, comment(OTHER, Some(ME)), ok),
        ("commenter trashes own comment", user(Role::Subscriber), Trash, comment(OTHER, Some(ME)), ok),
        (
            "commenter deletes own comment",
            user(Role::Subscriber),
            Delete,
            comment(OTHER, Some(ME)),
            Err(Denial::NotOwner),
        ),
        (
            "subscriber edits another's comment",
            user(Role::Subscriber),
            Edit,
            comment(OTHER, Some(OTHER)),
            Err(Denial::NotOwner),
        ),
        ("author deletes a comment on own post", user(Author), Delete, comment(ME, None), ok),
        (
            "author edits a comment on another's post",
            user(Author),
            Edit,
            comment(OTHER, None),
            Err(Denial::NotOwner),
        ),
        ("editor deletes any comment", user(Editor), Delete, comment(OTHER, None), ok),
        ("full key deletes a comment", key(Admin, FULL), Delete, comment(OTHER, None), ok),
        (
            "own-only key deletes a comment",
            key(Admin, OWN_ONLY),
            Delete,
            comment(OTHER, None),
            Err(Denial::KeyFlags),
        ),
        // Notes: authors and up write their own; private ones are their author's and editors'.
        ("author writes a note", user(Author), Create, Resource::NewNote, ok),
        ("contributor writes a note", user(Contributor), Create, Resource::NewNote, Err(Denial::Role)),
        ("anon reads a public note", Actor::Anonymous, View, note(OTHER, false), ok),
        ("anon reads a private note", Actor::Anonymous, View, note(OTHER, true), Err(Denial::NotSignedIn)),
        ("author reads another's private note", user(Author), View, note(OTHER, true), Err(Denial::NotOwner)),
        ("author reads own private note", user(Author), View, note(ME, true), ok),
        ("editor reads a private note", user(Editor), View, note(OTHER, true), ok),
        ("anon likes a private note", Actor::Anonymous, Like, note(OTHER, true), Err(Denial::NotSignedIn)),
        ("author deletes another's note", user(Author), Delete, note(OTHER, false), Err(Denial::NotOwner)),
        ("author deletes own note", user(Author), Delete, note(ME, false), ok),
        // Media: contributors and up upload; uploaders manage their own files.
        ("contributor uploads", user(Contributor), Upload, site, ok),
        ("subscriber uploads", user(Role::Subscriber), Upload, site, Err(Denial::Role)),
        ("anon uploads", Actor::Anonymous, Upload, site, Err(Denial::NotSignedIn)),
        ("read-only key uploads", key(Admin, READ_ONLY), Upload, site, Err(Denial::KeyFlags)),
        ("anon reads media", Actor::Anonymous, View, media(OTHER, Origin::Console), ok),
        ("read-only key browses the library", key(Admin, READ_ONLY), BrowseMedia, site, ok),
        (
            "read-only key sees others' uploads",
            key(Admin, READ_ONLY),
            BrowseMedia,
            media(OTHER, Origin::Console),
            ok,
        ),
        ("author browses own uploads", user(Author), BrowseMedia, media(ME, Origin::Console), ok),
        (
            "author browses others' uploads",
            user(Author),
            BrowseMedia,
            media(OTHER, Origin::Console),
            Err(Denial::NotOwner),
        ),
        ("subscriber browses the library", user(Role::Subscriber), BrowseMedia, site, Err(Denial::Role)),
        ("anon browses the library", Actor::Anonymous, BrowseMedia, site, Err(Denial::NotSignedIn)),
        ("contributor deletes own media", user(Contributor), Delete, media(ME, Origin::Console), ok),
        (
            "author deletes another's media",
            user(Author),
            Delete,
            media(OTHER, Origin::Console),
            Err(Denial::NotOwner),
        ),
        ("own-only key deletes api media", key(Admin, OWN_ONLY), Delete, media(OTHER, Origin::Api), ok),
        (
            "own-only key deletes console media",
            key(Admin, OWN_ONLY),
            Delete,
            media(OTHER, Origin::Console),
            Err(Denial::KeyFlags),
        ),
        // Site features.
        ("editor manages friend links", user(Editor), ManageLinks, site, ok),
        ("author manages friend links", user(Author), ManageLinks, site, Err(Denial::Role)),
        ("editor reads statistics", user(Editor), ViewStats, site, ok),
        ("author reads statistics", user(Author), ViewStats, site, Err(Denial::Role)),
        ("subscriber reads own notifications", user(Role::Subscriber), ReadNotifications, site, ok),
        ("anon reads notifications", Actor::Anonymous, ReadNotifications, site, Err(Denial::NotSignedIn)),
        ("editor sends notifications", user(Editor), ManageNotifications, site, ok),
        ("author sends notifications", user(Author), ManageNotifications, site, Err(Denial::Role)),
        ("admin manages webhooks", user(Admin), ManageWebhooks, site, ok),
        ("editor manages webhooks", user(Editor), ManageWebhooks, site, Err(Denial::Role)),
        (
            "settings-scoped token manages webhooks",
            token(Admin, &[Scope::SettingsWrite]),
            ManageWebhooks,
            site,
            ok,
        ),
        ("full key manages webhooks", key(Admin, FULL), ManageWebhooks, site, Err(Denial::KeyFlags)),
        // Qexo's token is an API key: it reads statistics and, when it may write others'
        // content, manages friend links.
        ("read-only key reads statistics", key(Admin, READ_ONLY), ViewStats, site, ok),
        ("full key manages friend links", key(Admin, FULL), ManageLinks, site, ok),
        ("own-only key manages friend links", key(Admin, OWN_ONLY), ManageLinks, site, Err(Denial::KeyFlags)),
        (
            "full key of an author manages friend links",
            key(Author, FULL),
            ManageLinks,
            site,
            Err(Denial::Role),
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
    for denial in [Denial::Role, Denial::Scope, Denial::NotOwner, Denial::State, Denial::KeyFlags] {
        assert_eq!(denial.into_error().code, ErrorCode::Forbidden);
    }
}

/// The ulthon permission table: for each example key, each write action on an item created
/// through the API (`source=api`) and on one created otherwise (`source=admin`). The key's
/// user is an admin, so only the flags decide.
#[test]
fn key_flags_follow_the_ulthon_table() {
    // (action, allowed on an api item, allowed on an admin item) for each key, then whether it
    // may create.
    type KeyRow = (&'static str, KeyGrant, [(Action, bool, bool); 5], bool);
    let expected: [KeyRow; 3] = [
        (
            "read-only (0/0/0)",
            READ_ONLY,
            [
                (Edit, false, false),
                (Publish, false, false),
                (Pin, false, false),
                (Trash, false, false),
                (Delete, false, false),
            ],
            false,
        ),
        (
            "own-only (1/0/1)",
            OWN_ONLY,
            [
                (Edit, true, false),
                (Publish, true, false),
                (Pin, true, false),
                (Trash, true, false),
                (Delete, true, false),
            ],
            true,
        ),
        (
            "full (1/1/2)",
            FULL,
            [
                (Edit, true, true),
                (Publish, true, true),
                (Pin, true, true),
                (Trash, true, true),
                (Delete, true, true),
            ],
            true,
        ),
    ];
    let mut failures = Vec::new();
    for (name, grant, rows, may_create) in expected {
        let actor = key(Admin, grant);
        let created = authorize(&actor, Create, Resource::NewItem { kind: Post }).is_ok();
        if created != may_create {
            failures.push(format!("{name}: create expected {may_create}, got {created}"));
        }
        for (action, on_api, on_admin) in rows {
            for (origin, expected) in
                [(Origin::Api, on_api), (Origin::Console, on_admin), (Origin::Import, on_admin)]
            {
                let resource = Resource::Item { kind: Post, author_id: OTHER, status: Published, origin };
                let got = authorize(&actor, action, resource);
                let wanted = if expected { Ok(()) } else { Err(Denial::KeyFlags) };
                if got != wanted {
                    failures.push(format!(
                        "{name}: {action:?} on {origin} item: expected {wanted:?}, got {got:?}"
                    ));
                }
            }
        }
    }
    // can_delete 1 without can_write_own still deletes API items: the flags are independent.
    let delete_only = key(Admin, KeyGrant { can_delete: DeleteGrant::ApiOrigin, ..READ_ONLY });
    assert_eq!(authorize(&delete_only, Delete, api_item(OTHER, Published)), Ok(()));
    assert_eq!(authorize(&delete_only, Edit, api_item(OTHER, Published)), Err(Denial::KeyFlags));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Over every role, action, resource and credential flavour: a key or a scoped token is
/// never allowed what the same person signed in would be refused.
#[test]
fn delegates_never_exceed_their_user() {
    let roles = [Admin, Editor, Author, Contributor, Role::Subscriber];
    let mut resources = vec![Resource::Site];
    for kind in [Post, Page, ItemKind::Discussion] {
        resources.push(Resource::NewItem { kind });
        for author_id in [ME, OTHER] {
            for status in ItemStatus::ALL {
                for origin in Origin::ALL {
                    resources.push(Resource::Item { kind, author_id, status: *status, origin: *origin });
                }
            }
        }
    }
    resources.push(Resource::NewNote);
    for owner in [ME, OTHER] {
        for origin in Origin::ALL {
            resources.push(Resource::Media { uploader_id: owner, origin: *origin });
            for private in [false, true] {
                resources.push(Resource::Note { author_id: owner, private, origin: *origin });
            }
        }
        for author in [None, Some(ME), Some(OTHER)] {
            resources.push(Resource::Comment { item_author_id: owner, author_id: author });
        }
    }
    let grants = [READ_ONLY, OWN_ONLY, FULL, KeyGrant { can_write_other: true, ..READ_ONLY }];
    let mut checked = 0;
    for role in roles {
        let person = user(role);
        let mut delegates: Vec<Actor> = grants.iter().map(|g| key(role, *g)).collect();
        delegates.extend(Scope::ALL.iter().map(|s| token(role, &[*s])));
        delegates.push(token(role, &[]));
        for &action in Action::ALL {
            for resource in &resources {
                let allowed_to_person = authorize(&person, action, *resource).is_ok();
                for delegate in &delegates {
                    checked += 1;
                    if authorize(delegate, action, *resource).is_ok() {
                        assert!(
                            allowed_to_person,
                            "{delegate:?} may {action:?} {resource:?} but the person may not"
                        );
                    }
                }
            }
        }
    }
    assert!(checked > 10_000, "the sweep covered {checked} cases");
}
