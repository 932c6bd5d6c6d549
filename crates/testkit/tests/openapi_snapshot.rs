//! The OpenAPI document is generated from the code; `docs/openapi.json` is its committed
//! snapshot. A change to the API shows up as a diff of that file.
//!
//! Update after an intended change: `UPDATE_SNAPSHOTS=1 cargo test -p inkstone-testkit --test openapi_snapshot`.

#[test]
fn openapi_document_matches_the_snapshot() {
    let generated = inkstone_api_native::openapi().to_pretty_json().expect("serializable") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &generated).expect("write snapshot");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; run UPDATE_SNAPSHOTS=1 cargo test -p inkstone-testkit --test openapi_snapshot"
    );
}

#[test]
fn every_route_is_documented() {
    let spec = serde_json::to_value(inkstone_api_native::openapi()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/settings",
        "/api/v1/posts",
        "/api/v1/posts/{id}",
        "/api/v1/posts/by-slug/{slug}",
        "/api/v1/posts/{id}/publish",
        "/api/v1/posts/{id}/unpublish",
        "/api/v1/posts/{id}/trash",
        "/api/v1/posts/{id}/restore",
        "/api/v1/posts/{id}/revisions",
        "/api/v1/posts/{id}/revisions/{revision_id}",
        "/api/v1/posts/{id}/views",
        "/api/v1/categories",
        "/api/v1/categories/{id}",
        "/api/v1/tags",
        "/api/v1/tags/{id}",
    ] {
        assert!(paths.contains_key(path), "{path} is missing from the OpenAPI document");
    }
    assert_eq!(spec["openapi"], "3.1.0");
}
