#!/usr/bin/env bash
# Inkstone upload benchmark: multipart uploads of 20 MB and 100 MB files to POST /api/v1/media
# on a release build with local-directory storage; reports MB/s and the server's peak RSS
# (VmHWM) per file size. Writes bench/out/upload-report.md. See bench/README.md.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${BENCH_OUT:-$BENCH_DIR/out}
RUNS=${BENCH_UPLOAD_RUNS:-5}            # uploads per file size
SIZES=${BENCH_UPLOAD_SIZES:-"20 100"}   # file sizes in MB (10^6 bytes)
KEEP=${BENCH_KEEP:-0}

[[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= 1)) || { echo "bench: BENCH_UPLOAD_RUNS must be a whole number >= 1" >&2; exit 2; }
for size in $SIZES; do
    [[ $size =~ ^[0-9]+$ ]] && ((size >= 1 && size <= 1000)) || { echo "bench: sizes are whole MB from 1 to 1000, got '$size'" >&2; exit 2; }
done

log() { printf '[upload-bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in curl python3; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required"; done

if [[ -n ${INKSTONE_BIN:-} ]]; then
    BIN=$INKSTONE_BIN
else
    log "building inkstone (cargo build --release -p inkstone-server)"
    cargo build --release -p inkstone-server --manifest-path "$ROOT/Cargo.toml"
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/inkstone
fi
[[ -x $BIN ]] || die "no inkstone binary at $BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/inkstone-upload-bench.XXXXXX")
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM
mkdir -p "$OUT"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
kib() { awk -v k="$1" '/^'"$1"':/ {print $2}' "/proc/$SERVER_PID/status"; }

# A file the server sniffs as video/mp4 (an ISO BMFF `ftyp` box) followed by random bytes.
make_file() { # path bytes
    python3 - "$1" "$2" <<'PY'
import os, sys
path, size = sys.argv[1], int(sys.argv[2])
head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
with open(path, "wb") as f:
    f.write(head)
    left = size - len(head)
    while left > 0:
        n = min(left, 1 << 20)
        f.write(os.urandom(n))
        left -= n
PY
}

start_server() { # data_dir
    local port
    port=$(free_port)
    INKSTONE_DATA_DIR=$1 INKSTONE_ADMIN_USERNAME=bench INKSTONE_ADMIN_PASSWORD=bench-password-123 \
        INKSTONE_MEDIA_MAX_UPLOAD_MB=256 INKSTONE_LOG=warn RUST_LOG=warn \
        "$BIN" serve --listen "127.0.0.1:$port" >"$1.log" 2>&1 &
    SERVER_PID=$!
    BASE=http://127.0.0.1:$port
    for _ in $(seq 1 100); do
        curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(cat "$1.log")"
        sleep 0.1
    done
    die "server did not start: $(cat "$1.log")"
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

upload() { # file -> prints "seconds"
    local result code secs
    result=$(curl -sS -o "$WORK/response.json" -w '%{http_code} %{time_total}' \
        -H "Authorization: Bearer $TOKEN" -F "file=@$1;filename=bench.mp4" "$BASE/api/v1/media")
    code=${result%% *}
    secs=${result#* }
    [[ $code == 201 ]] || die "upload answered $code: $(cat "$WORK/response.json")"
    echo "$secs"
}

REPORT=$OUT/upload-report.md
{
    echo "# Upload benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    echo "Release build, local-directory storage in a temporary directory, curl as the client on"
    echo "the same machine ($(nproc) cores), $RUNS uploads per size (each file differs in its last"
    echo "bytes, so none is deduplicated). MB = 10^6 bytes. RSS = the server's VmHWM (peak resident"
    echo "set) from /proc: after start-up, sign-in and one 1 MB warm-up upload, then after the runs."
    echo
    echo "| file | runs | median MB/s | best MB/s | peak RSS before | peak RSS after | growth |"
    echo "|---|---|---|---|---|---|---|"
} >"$REPORT"

for size in $SIZES; do
    data=$WORK/data-$size
    mkdir -p "$data"
    start_server "$data"
    TOKEN=$(curl -fsS -H 'content-type: application/json' \
        -d '{"login":"bench","password":"bench-password-123"}' "$BASE/api/v1/auth/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    make_file "$WORK/warmup.bin" 1000000
    upload "$WORK/warmup.bin" >/dev/null
    before=$(kib VmHWM)
    file=$WORK/upload-$size.bin
    bytes=$((size * 1000000))
    log "writing a $size MB file"
    make_file "$file" "$bytes"
    speeds=()
    for run in $(seq 1 "$RUNS"); do
        printf '%08d' "$run" | dd of="$file" bs=1 seek=$((bytes - 8)) conv=notrunc status=none
        secs=$(upload "$file")
        speed=$(python3 -c "print(f'{$bytes / $secs / 1e6:.1f}')")
        log "$size MB run $run: ${secs}s, $speed MB/s"
        speeds+=("$speed")
    done
    after=$(kib VmHWM)
    stored=$(find "$data/media" -type f | wc -l)
    ((stored == RUNS + 1)) || die "expected $((RUNS + 1)) stored files, found $stored"
    stop_server
    rm -f "$file"
    python3 - "$size" "$RUNS" "$before" "$after" "${speeds[@]}" >>"$REPORT" <<'PY'
import statistics, sys
size, runs, before, after = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
speeds = [float(s) for s in sys.argv[5:]]
mib = lambda k: f"{k / 1024:.1f} MiB"
print(f"| {size} MB | {runs} | {statistics.median(speeds):.1f} | {max(speeds):.1f} | {mib(before)} | {mib(after)} | {mib(after - before)} |")
PY
done
cat "$REPORT"
