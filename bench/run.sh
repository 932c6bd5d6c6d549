#!/usr/bin/env bash
# Inkstone HTTP benchmark: 10,000 posts, wrk against inkstone (API reads and site pages) and
# against nginx serving the same response bytes from files. Writes bench/out/report.md. See
# bench/README.md.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${BENCH_OUT:-$BENCH_DIR/out}
DURATION=${BENCH_DURATION:-10}        # seconds of measured load per endpoint and server
WARMUP=${BENCH_WARMUP:-2}             # seconds of unmeasured load before each measurement
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
POSTS=${BENCH_POSTS:-10000}
IMPORT_TIMEOUT=${BENCH_IMPORT_TIMEOUT:-900}
KEEP=${BENCH_KEEP:-0}                 # 1: keep the temporary directory (data dir, posts, nginx)

for n in "$DURATION" "$WARMUP" "$CONNECTIONS" "$THREADS" "$POSTS" "$IMPORT_TIMEOUT"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "bench: numeric settings must be whole numbers, got '$n'" >&2; exit 2; }
done
((POSTS >= 200)) || { echo "bench: BENCH_POSTS must be at least 200" >&2; exit 2; }
((CONNECTIONS >= THREADS)) || { echo "bench: BENCH_CONNECTIONS must be >= BENCH_THREADS" >&2; exit 2; }

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- 1. tools -------------------------------------------------------------------------------
need_install=()
command -v wrk >/dev/null 2>&1 || need_install+=(wrk)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need_install+=(nginx)
if ((${#need_install[@]})); then
    command -v apt-get >/dev/null 2>&1 || die "missing ${need_install[*]} and no apt-get to install them"
    SUDO=()
    [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
    log "installing ${need_install[*]} from Debian"
    "${SUDO[@]}" apt-get update -qq
    pkgs=()
    for tool in "${need_install[@]}"; do
        if [[ $tool == nginx ]]; then
            if apt-cache show nginx-light >/dev/null 2>&1; then pkgs+=(nginx-light); else pkgs+=(nginx); fi
        else
            pkgs+=("$tool")
        fi
    done
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
for tool in wrk curl python3; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required"; done

# --- 2. build -------------------------------------------------------------------------------
if [[ -n ${INKSTONE_BIN:-} ]]; then
    BIN=$INKSTONE_BIN
else
    log "building inkstone (cargo build --release -p inkstone-server)"
    cargo build --release -p inkstone-server --manifest-path "$ROOT/Cargo.toml"
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/inkstone
fi
[[ -x $BIN ]] || die "no inkstone binary at $BIN"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# --- workspace and cleanup ------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/inkstone-bench.XXXXXX")
SERVER_PID=""
NGINX_PID=""

stop_pid() { # pid name: SIGTERM, wait up to 10 s, then SIGKILL
    local pid=$1 name=$2 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) did not stop within 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$NGINX_PID" nginx
    stop_pid "$SERVER_PID" inkstone
    if [[ -f $WORK/server.log ]]; then cp "$WORK/server.log" "$OUT/server.log" 2>/dev/null || true; fi
    if [[ -f $WORK/nginx/error.log ]]; then cp "$WORK/nginx/error.log" "$OUT/nginx-error.log" 2>/dev/null || true; fi
    if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$OUT/raw"
rm -f "$OUT"/{report.md,results.json,meta.txt,server.log,nginx-error.log,nginx.conf,import.txt}
mkdir -p "$OUT/raw" "$WORK/data" "$WORK/posts" "$WORK/www" "$WORK/nginx"
META=$OUT/meta.txt
: >"$META"
meta() { printf '%s=%s\n' "$1" "$2" >>"$META"; }

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

read -r PORT NGINX_PORT < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
NBASE=http://127.0.0.1:$NGINX_PORT

# --- machine facts --------------------------------------------------------------------------
meta date "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $rev != unknown && -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    rev="$rev (work tree has uncommitted changes)"
fi
meta git_rev "$rev"
if [[ -n ${INKSTONE_BIN:-} ]]; then
    meta binary "$BIN (from INKSTONE_BIN, modified $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'); the git revision describes the work tree, not necessarily this binary)"
else
    meta binary "$BIN (built by this run)"
fi
meta nproc "$(nproc)"
meta cpu_model "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
meta mem_total "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
meta kernel "$(uname -r)"
meta wrk_version "$( (wrk -v 2>&1 || true) | head -n1 | sed 's/ Copyright.*//')"
meta nginx_version "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
meta threads "$THREADS"
meta connections "$CONNECTIONS"
meta duration "$DURATION"
meta warmup "$WARMUP"
meta posts_expected "$POSTS"

# --- 3. server ------------------------------------------------------------------------------
log "starting inkstone on $BASE (data dir $WORK/data)"
env -u INKSTONE_CONFIG -u INKSTONE_DATABASE_URL -u INKSTONE_LISTEN \
    INKSTONE_DATA_DIR="$WORK/data" \
    INKSTONE_ADMIN_USERNAME=bench INKSTONE_ADMIN_PASSWORD=bench-password-2718281828 \
    INKSTONE_LOG=warn NO_COLOR=1 \
    "$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

wait_http() { # url pid name
    local i
    for ((i = 0; i < 300; i++)); do
        if curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; then return 0; fi
        kill -0 "$2" 2>/dev/null || { cat "$WORK/server.log" "$WORK/nginx/error.log" 2>/dev/null >&2; die "$3 exited during start-up"; }
        sleep 0.1
    done
    die "$3 did not answer $1 within 30 s"
}
wait_http "$BASE/api/v1/posts?per_page=1" "$SERVER_PID" inkstone
meta rss_start_hwm_kib "$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"

# --- 4. seed --------------------------------------------------------------------------------
log "generating $POSTS Markdown posts"
t0=$(now)
python3 "$BENCH_DIR/gen_posts.py" "$WORK/posts" "$POSTS" >"$WORK/gen.log"
t1=$(now)
meta gen_seconds "$(elapsed "$t0" "$t1")"
meta corpus_size "$(du -sh --apparent-size "$WORK/posts" | cut -f1)B on disk, $(tail -n1 "$WORK/gen.log" | sed 's/^wrote [0-9]* posts, //')"

log "importing them with inkstone import markdown (the server keeps running)"
t0=$(now)
if ! env -u INKSTONE_CONFIG -u INKSTONE_DATABASE_URL INKSTONE_LOG=warn \
    timeout --foreground "$IMPORT_TIMEOUT" "$BIN" import markdown "$WORK/posts" --data-dir "$WORK/data" \
    >"$WORK/import.out" 2>"$WORK/import.err"; then
    cat "$WORK/import.err" >&2
    die "import failed or took longer than $IMPORT_TIMEOUT s"
fi
t1=$(now)
import_seconds=$(elapsed "$t0" "$t1")
meta import_seconds "$import_seconds"
meta import_rate "$(python3 -c "import sys; print(f'{int(sys.argv[1]) / max(float(sys.argv[2]), 0.001):.0f}')" "$POSTS" "$import_seconds")"
meta import_summary "$(head -n1 "$WORK/import.out")"
cp "$WORK/import.out" "$OUT/import.txt"
log "import: $(head -n1 "$WORK/import.out") in $import_seconds s"
meta db_size "$(du -sh "$WORK/data" | cut -f1)B (database with WAL)"

json_field() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$1" "$2"; }

curl -fsS -o "$WORK/probe.json" "$BASE/api/v1/posts?per_page=1"
total=$(json_field "$WORK/probe.json" "d['total']")
meta posts_total "$total"
((total >= POSTS)) || die "only $total posts are visible after importing $POSTS"
curl -fsS -o "$WORK/probe.json" "$BASE/api/v1/posts?per_page=1&page=$((total / 2))"
POST_ID=$(json_field "$WORK/probe.json" "d['items'][0]['id']")
meta post_id "$POST_ID"
# The same middle post as a reader sees it: the site's default permalink, /posts/{slug}.
POST_SLUG=$(json_field "$WORK/probe.json" "d['items'][0]['slug']")
POST_PAGE_PATH=/posts/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$POST_SLUG")
meta post_slug "$POST_SLUG"
meta hits_expected "$((POSTS / 100))"

meta rss_seeded_kib "$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"

# --- 5/6. endpoints and reference files -----------------------------------------------------
declare -A URLS=(
    [list]="/api/v1/posts?per_page=10"
    [post]="/api/v1/posts/$POST_ID"
    [search_en]="/api/v1/posts?q=lighthouse&per_page=10"
    [search_zh]="/api/v1/posts?q=%E7%81%AF%E5%A1%94&per_page=10"
    [home]="/"
    [post_page]="$POST_PAGE_PATH"
)
API_KEYS=(list post search_en search_zh)
SITE_KEYS=(home post_page)
declare -A FILES=()
for key in "${API_KEYS[@]}"; do FILES[$key]=$key.json; done
for key in "${SITE_KEYS[@]}"; do FILES[$key]=$key.html; done
ENDPOINT_KEYS=("${API_KEYS[@]}")
# Site pages: measured when the site serves them (a build without the page answers 404; the
# report then says so and fails that row instead of stopping the whole run). Each response
# carries a per-visitor form token and sets a visitor cookie (wrk sends none): nginx serves
# one captured copy, the same size as every response.
for key in "${SITE_KEYS[@]}"; do
    meta "url_$key" "${URLS[$key]}"
    code=$(curl -sS -o "$WORK/www/${FILES[$key]}" -w '%{http_code}' "$BASE${URLS[$key]}" || echo 000)
    ctype=$(curl -sS -o /dev/null -w '%{content_type}' "$BASE${URLS[$key]}" || true)
    if [[ $code == 200 && $ctype == text/html* ]]; then
        ENDPOINT_KEYS+=("$key")
    else
        log "not measuring $key: GET ${URLS[$key]} answered $code ($ctype)"
        meta "skipped_$key" "GET ${URLS[$key]} answered $code ($ctype)"
        rm -f "$WORK/www/${FILES[$key]}"
    fi
done
for key in "${ENDPOINT_KEYS[@]}"; do
    curl -fsS -o "$WORK/www/${FILES[$key]}" "$BASE${URLS[$key]}" || die "GET ${URLS[$key]} failed"
    meta "url_$key" "${URLS[$key]}"
    meta "bytes_$key" "$(stat -c %s "$WORK/www/${FILES[$key]}")"
    # Unloaded latency: median of 5 sequential requests (after the fetch above warmed it).
    times=()
    for _ in 1 2 3 4 5; do
        times+=("$(curl -fsS -o /dev/null -w '%{time_total}' --max-time 60 "$BASE${URLS[$key]}")")
    done
    meta "single_ms_$key" "$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p | awk '{printf "%.3f", $1 * 1000}')"
done
meta hits_en "$(json_field "$WORK/www/search_en.json" "d['total']")"
meta hits_zh "$(json_field "$WORK/www/search_zh.json" "d['total']")"

# nginx: serves each response body as a static file, same port kind, same cores.
nginx_conf=$WORK/nginx/nginx.conf
{
    [[ $(id -u) -eq 0 ]] && echo "user root;"
    cat <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/json;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/client_body;
EOF
    # Temp-path directives exist only for the modules this nginx was built with.
    nginx_build=$("$NGINX" -V 2>&1)
    for mod in proxy fastcgi uwsgi scgi; do
        if [[ $nginx_build != *"--without-http_${mod}_module"* ]]; then
            echo "    ${mod}_temp_path $WORK/nginx/${mod}_temp;"
        fi
    done
    cat <<EOF
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        location / { }
    }
}
EOF
} >"$nginx_conf"
cp "$nginx_conf" "$OUT/nginx.conf"
nginx_args=(-p "$WORK/nginx/" -c "$nginx_conf" -e "$WORK/nginx/error.log")
"$NGINX" "${nginx_args[@]}" -t >"$WORK/nginx/test.log" 2>&1 || { cat "$WORK/nginx/test.log" >&2; die "nginx rejected its config"; }
log "starting nginx on $NBASE"
"$NGINX" "${nginx_args[@]}" -g 'daemon off;' >>"$WORK/nginx/error.log" 2>&1 &
NGINX_PID=$!
wait_http "$NBASE/list.json" "$NGINX_PID" nginx
for key in "${ENDPOINT_KEYS[@]}"; do
    curl -fsS "$NBASE/${FILES[$key]}" | cmp -s - "$WORK/www/${FILES[$key]}" || die "nginx does not serve ${FILES[$key]} as fetched"
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
settle() { # key: wait (up to 60 s) until inkstone is idle, so a backlog of abandoned requests
    # from one wrk run does not leak into the next one; records how long that took.
    local start prev cur i
    start=$(now)
    prev=$(cpu_ticks "$SERVER_PID")
    for ((i = 0; i < 240; i++)); do
        sleep 0.25
        cur=$(cpu_ticks "$SERVER_PID")
        ((cur - prev <= 1)) && break
        prev=$cur
    done
    meta "settle_$1" "$(elapsed "$start" "$(now)")"
}

run_wrk() { # server key url
    local limit=$((DURATION > WARMUP ? DURATION + 30 : WARMUP + 30))
    log "wrk $1 $2 ($3)"
    if ((WARMUP > 0)); then
        timeout --foreground "$limit" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s "$3" >/dev/null
        [[ $1 == inkstone* ]] && settle "$2-warmup"
    fi
    timeout --foreground "$limit" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$3" \
        >"$OUT/raw/wrk-$1-$2.txt"
    [[ $1 == inkstone* ]] && settle "$2"
    return 0
}
for key in "${ENDPOINT_KEYS[@]}"; do
    run_wrk inkstone "$key" "$BASE${URLS[$key]}"
    run_wrk nginx "$key" "$NBASE/${FILES[$key]}"
done

# --- 7. memory ------------------------------------------------------------------------------
kill -0 "$SERVER_PID" 2>/dev/null || die "inkstone died during the load"
meta rss_hwm_kib "$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"
meta rss_end_kib "$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"
meta server_log_lines "$(wc -l <"$WORK/server.log")"
meta server_log_warnings "$(grep -ciE 'WARN|ERROR' "$WORK/server.log" || true)"

# --- 7b. the database path: the API endpoints with the response cache off --------------------
# (Site pages keep their own page cache, valid until the content changes; this knob does not
# touch it, so they are not measured again.)
log "restarting inkstone with the response cache off (--response-cache-ttl-ms 0)"
stop_pid "$SERVER_PID" inkstone
env -u INKSTONE_CONFIG -u INKSTONE_DATABASE_URL -u INKSTONE_LISTEN \
    INKSTONE_DATA_DIR="$WORK/data" INKSTONE_LOG=warn NO_COLOR=1 INKSTONE_RESPONSE_CACHE_TTL_MS=0 \
    "$BIN" serve --listen "127.0.0.1:$PORT" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_http "$BASE/api/v1/posts?per_page=1" "$SERVER_PID" inkstone
for key in "${API_KEYS[@]}"; do
    run_wrk inkstone_uncached "$key" "$BASE${URLS[$key]}"
done
kill -0 "$SERVER_PID" 2>/dev/null || die "inkstone (uncached) died during the load"
meta rss_uncached_hwm_kib "$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"

# --- 8. report ------------------------------------------------------------------------------
python3 "$BENCH_DIR/report.py" "$OUT" >/dev/null
cat "$OUT/report.md"
log "report written to $OUT/report.md"
