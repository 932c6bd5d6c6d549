#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy with warnings as errors, and the whole test
# suite (unit, HTTP against real SQLite files, the real binary, corpus imports).
# Needs only a Rust toolchain; the corpus is read from ../shared/corpus beside the checkout.
# Then the site in headless Chromium with Lighthouse (scripts/browser-tests.sh): skipped with
# a message when node or Chromium is missing, unless INKSTONE_REQUIRE_BROWSER=1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
./scripts/browser-tests.sh
