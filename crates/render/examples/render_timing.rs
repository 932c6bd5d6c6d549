use inkstone_render::sanitize_html;
use std::time::Instant;
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1000);
    let cases = [
        ("fmt-unclosed-in-p", (0..n).map(|i| format!("<p><b id={i}>x</p>")).collect::<String>()),
        ("divs", "<div>".repeat(n)),
        ("b-same", "<b>".repeat(n) + "x"),
        ("a-misnest", "<a href=x><p>t</a>".repeat(n)),
        ("tables", "<table><tr><td>".repeat(n)),
        ("nested-inline", "<span>".repeat(n)),
    ];
    for (name, source) in cases {
        let t = Instant::now();
        let s = sanitize_html(&source);
        println!("{name}: in {} out {} in {:?}", source.len(), s.len(), t.elapsed());
    }
}
