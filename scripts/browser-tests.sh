#!/usr/bin/env bash
# Browser tests and Lighthouse audits of the public site, in headless Chromium (Debian's
# `chromium`) driven by playwright-core, against the real binary on a seeded data dir.
#
# 1. builds target/debug/inkstone (cheap after `cargo test`), or uses INKSTONE_BIN;
# 2. starts `inkstone serve` on a free 127.0.0.1 port with a fresh temporary data dir;
# 3. imports ../shared/corpus/markdown-zh and seeds categories, tags, a long post and a
#    post with comments through the native API (tests/browser/seed.mjs);
# 4. runs tests/browser/site.test.mjs (node:test) then tests/browser/lighthouse.mjs;
# 5. stops the server (always; it also stops by itself after INKSTONE_BROWSER_TIMEOUT s).
#
# Artifacts (screenshots, Lighthouse reports and scores, the server log) go to
# target/browser-artifacts/. Without node or Chromium the tests are skipped with a message,
# unless INKSTONE_REQUIRE_BROWSER=1 (CI), which makes that a failure.
#
# Knobs: INKSTONE_BIN, CHROME_PATH (default /usr/bin/chromium), INKSTONE_CORPUS (default
# ../shared/corpus beside the checkout), INKSTONE_BROWSER_TIMEOUT (default 1200 s),
# BROWSER_TESTS_ONLY=site|lighthouse (one half), NODE_TEST_NAME_PATTERN (a regexp of tests).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TESTS=$ROOT/tests/browser
ART=${INKSTONE_BROWSER_ARTIFACTS:-$ROOT/target/browser-artifacts}
CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
CORPUS=${INKSTONE_CORPUS:-$ROOT/../shared/corpus}
TIMEOUT=${INKSTONE_BROWSER_TIMEOUT:-1200}
ONLY=${BROWSER_TESTS_ONLY:-}

log() { printf '[browser-tests] %s\n' "$*" >&2; }
skip() {
    if [[ ${INKSTONE_REQUIRE_BROWSER:-0} == 1 ]]; then
        log "FAILED: $* (INKSTONE_REQUIRE_BROWSER=1: the browser tests must run)"
        exit 1
    fi
    log "SKIPPED: $* (set INKSTONE_REQUIRE_BROWSER=1 to make this an error)"
    exit 0
}

command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v npm >/dev/null 2>&1 || skip "npm is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || skip "node $(node --version) is too old (playwright-core needs 20 or later)"
[[ -x $CHROME_PATH ]] || skip "no Chromium at $CHROME_PATH (Debian: apt-get install chromium)"
[[ -d $CORPUS/markdown-zh ]] || { log "FAILED: the corpus is missing: expected $CORPUS/markdown-zh"; exit 1; }

# --- node modules: the committed lockfile, never a browser download -------------------------
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1
if [[ ! -f $TESTS/node_modules/.package-lock.json || $TESTS/package-lock.json -nt $TESTS/node_modules/.package-lock.json ]]; then
    log "npm ci in tests/browser"
    (cd "$TESTS" && npm ci --no-audit --no-fund --loglevel=error) || skip "npm ci failed in tests/browser (is the npm registry reachable?)"
fi

# --- the binary -----------------------------------------------------------------------------
if [[ -n ${INKSTONE_BIN:-} ]]; then
    BIN=$INKSTONE_BIN
else
    log "cargo build -p inkstone-server --locked"
    cargo build -q -p inkstone-server --locked
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/inkstone
fi
[[ -x $BIN ]] || { log "FAILED: no inkstone binary at $BIN"; exit 1; }

# --- server ---------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/inkstone-browser.XXXXXX")
SERVER_PID=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    cp "$WORK/server.log" "$ART/server.log" 2>/dev/null || true
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$ART"
mkdir -p "$ART" "$WORK/data"
PORT=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
BASE=http://127.0.0.1:$PORT
ADMIN_USER=admin
ADMIN_PASSWORD="browser-$(node -p 'require("crypto").randomBytes(12).toString("hex")')"

log "starting $BIN serve on $BASE (data dir $WORK/data)"
# `timeout` makes the server stop by itself even if this script is killed without its trap.
env -u INKSTONE_CONFIG -u INKSTONE_DATABASE_URL -u INKSTONE_LISTEN -u INKSTONE_RESPONSE_CACHE_TTL_MS \
    INKSTONE_DATA_DIR="$WORK/data" INKSTONE_ADMIN_USERNAME=$ADMIN_USER INKSTONE_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    INKSTONE_LOG=warn NO_COLOR=1 \
    timeout --signal=TERM --kill-after=10 "$TIMEOUT" "$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 300); do
    if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$BASE/api/v1/posts?per_page=1"; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; log "FAILED: the server exited during start-up"; exit 1; }
    ((i < 300)) || { log "FAILED: the server did not answer within 30 s"; exit 1; }
    sleep 0.1
done

# --- seed -----------------------------------------------------------------------------------
log "importing $CORPUS/markdown-zh"
env -u INKSTONE_CONFIG -u INKSTONE_DATABASE_URL INKSTONE_LOG=warn \
    "$BIN" import markdown "$CORPUS/markdown-zh" --data-dir "$WORK/data" >"$WORK/import.txt" 2>&1 \
    || { cat "$WORK/import.txt" >&2; log "FAILED: import of markdown-zh"; exit 1; }
log "import: $(head -n1 "$WORK/import.txt")"
node "$TESTS/seed.mjs" "$BASE" "$ADMIN_USER" "$ADMIN_PASSWORD" "$WORK/seed.json"

export INKSTONE_BASE_URL=$BASE INKSTONE_SEED=$WORK/seed.json INKSTONE_BROWSER_ARTIFACTS=$ART CHROME_PATH
status=0
if [[ $ONLY != lighthouse ]]; then
    log "browser tests (node --test tests/browser/site.test.mjs)"
    pattern=()
    [[ -n ${NODE_TEST_NAME_PATTERN:-} ]] && pattern=(--test-name-pattern="$NODE_TEST_NAME_PATTERN")
    (cd "$TESTS" && node --test --test-concurrency=1 --test-reporter=spec "${pattern[@]}" site.test.mjs) || status=1
fi
if [[ $ONLY != site ]]; then
    log "Lighthouse (tests/browser/lighthouse.mjs)"
    (cd "$TESTS" && node lighthouse.mjs) || status=1
fi
kill -0 "$SERVER_PID" 2>/dev/null || { log "FAILED: the server died during the tests"; status=1; }
if grep -qE 'panicked|ERROR' "$WORK/server.log"; then
    log "FAILED: the server logged errors:"
    grep -E 'panicked|ERROR' "$WORK/server.log" | head -20 >&2
    status=1
fi
log "artifacts: $ART"
((status == 0)) && log "browser tests and Lighthouse passed" || log "browser tests or Lighthouse FAILED"
exit "$status"
