//! Embeds the default theme: every file under `theme/` becomes an entry of `EMBEDDED`
//! (its path relative to `theme/`, with `/` separators, and its bytes), so a new template
//! or asset needs no code change to ship in the binary.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("theme");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The default theme's files: path under `theme/` and bytes.\npub static EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under theme/").to_string_lossy().replace('\\', "/");
        code.push_str(&format!("    ({relative:?}, include_bytes!({:?})),\n", file.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_theme.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
