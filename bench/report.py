#!/usr/bin/env python3
"""Builds bench/out/report.md from the raw wrk outputs and the run's facts.

Usage: report.py OUT_DIR
Reads OUT_DIR/meta.txt (KEY=VALUE lines written by run.sh) and OUT_DIR/raw/wrk-<server>-<endpoint>.txt,
writes OUT_DIR/report.md and OUT_DIR/results.json.
"""

import json
import os
import re
import sys

ENDPOINTS = [
    # key, label, target kind, target value
    ("list", "List `GET /api/v1/posts?per_page=10`", "ratio", 0.3),
    ("post", "Single post `GET /api/v1/posts/{id}`", "ratio", 0.4),
    ("search_en", "Search `GET /api/v1/posts?q=lighthouse&per_page=10`", "p99_ms", 20.0),
    ("search_zh", "Search `GET /api/v1/posts?q=灯塔&per_page=10`", "p99_ms", 20.0),
    ("home", "Site home page `GET /`", "ratio", 0.3),
    ("post_page", "Site post page `GET /posts/{slug}`", "ratio", 0.3),
]
# Site pages have their own page cache, which the cache-off run does not turn off.
SITE_KEYS = {"home", "post_page"}
RSS_TARGET_MIB = 60.0

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(value, unit):
    return float(value) * UNIT_MS[unit]


def parse_wrk(path):
    """Requests/s, latency percentiles (ms), request count, errors from `wrk --latency` output."""
    if not os.path.exists(path):
        return None
    text = open(path, encoding="utf-8", errors="replace").read()
    result = {"raw": os.path.basename(path)}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    result["rps"] = float(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
        result[f"p{pct}_ms"] = to_ms(*m.groups()) if m else None
    m = re.search(r"^\s+Latency\s+([\d.]+)(us|ms|s|m|h)\s+([\d.]+)(us|ms|s|m|h)\s+([\d.]+)(us|ms|s|m|h)", text, re.M)
    if m:
        result["avg_ms"] = to_ms(m.group(1), m.group(2))
        result["max_ms"] = to_ms(m.group(5), m.group(6))
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)(\w+) read", text)
    result["requests"] = int(m.group(1)) if m else None
    result["read"] = f"{m.group(4)}{m.group(5)}" if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    result["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    result["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    result["socket_errors_text"] = m.group(0) if m else ""
    if not result["requests"]:
        # wrk prints zeros when nothing completed: those are not latencies.
        for k in ("p50_ms", "p75_ms", "p90_ms", "p99_ms", "avg_ms", "max_ms"):
            result[k] = None
    return result


def fmt_rps(v):
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_ms(v):
    if v is None:
        return "none completed"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    return f"{v * 1000:.0f} µs" if v < 1 else f"{v:.2f} ms"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    return f"{r:.3f}" if r >= 0.01 else f"{r:.2g}"


def verdict(ok):
    return "✅ pass" if ok else "❌ FAIL"


def main():
    out = sys.argv[1]
    meta = {}
    with open(os.path.join(out, "meta.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                meta[k] = v

    results = {}
    for key, _, _, _ in ENDPOINTS:
        results[key] = {
            "inkstone": parse_wrk(os.path.join(out, "raw", f"wrk-inkstone-{key}.txt")),
            "nginx": parse_wrk(os.path.join(out, "raw", f"wrk-nginx-{key}.txt")),
            "inkstone_uncached": parse_wrk(os.path.join(out, "raw", f"wrk-inkstone_uncached-{key}.txt")),
        }

    lines = []
    add = lines.append
    add("# Inkstone benchmark report")
    add("")
    add(f"- Date: {meta.get('date', '?')}")
    add(f"- Git revision: `{meta.get('git_rev', '?')}`")
    add(f"- Binary: `{meta.get('binary', '?')}`")
    add(f"- Machine: {meta.get('cpu_model', '?')}, {meta.get('nproc', '?')} cores (nproc), "
        f"{meta.get('mem_total', '?')} RAM, Linux {meta.get('kernel', '?')}")
    add(f"- Tools: {meta.get('wrk_version', '?')}; {meta.get('nginx_version', '?')}")
    add(f"- Load: wrk, {meta.get('threads')} threads, {meta.get('connections')} connections, "
        f"{meta.get('duration')} s per endpoint after a {meta.get('warmup')} s warm-up; "
        "wrk, inkstone and nginx share the same cores")
    add(f"- Data: {meta.get('posts_expected')} generated Markdown posts "
        f"({meta.get('corpus_size', '?')}), imported with `inkstone import markdown` "
        "next to the running server")
    add("")
    add("## Results")
    add("")
    add("| Endpoint | inkstone req/s | inkstone p50 | inkstone p99 | nginx req/s | nginx p99 | "
        "ratio (req/s) | target | result |")
    add("|---|---:|---:|---:|---:|---:|---:|---|---|")
    all_ok = True
    notes = []
    for key, label, kind, target in ENDPOINTS:
        ink, ngx = results[key]["inkstone"], results[key]["nginx"]
        ink = ink or {}
        ngx = ngx or {}
        skipped = meta.get(f"skipped_{key}")
        if skipped:
            results[key].update(ratio=None, target=f"ratio ≥ {target}", ok=False, skipped=skipped)
            all_ok = False
            notes.append(f"{key}: not measured, {skipped}")
            add(f"| {label} | not measured | | | | | | ratio ≥ {target} | {verdict(False)} |")
            continue
        ratio = None
        if ink.get("rps") and ngx.get("rps"):
            ratio = ink["rps"] / ngx["rps"]
        results[key]["ratio"] = ratio
        if kind == "ratio":
            ok = ratio is not None and ratio >= target
            target_text = f"ratio ≥ {target}"
        else:
            ok = ink.get("p99_ms") is not None and ink["p99_ms"] < target
            target_text = f"p99 < {target:g} ms"
        if not ink.get("requests"):
            ok = False
            notes.append(f"{key}: inkstone completed no request within the {meta.get('duration')} s run "
                         "(every request took longer, or the run failed); its figures are not measurements")
        errors = (ink.get("non_2xx") or 0) + (ink.get("socket_errors") or 0)
        if errors:
            ok = False
            notes.append(f"{key}: inkstone had {ink.get('non_2xx')} non-2xx responses; "
                         f"{ink.get('socket_errors_text')}")
        ngx_errors = (ngx.get("non_2xx") or 0) + (ngx.get("socket_errors") or 0)
        if ngx_errors:
            notes.append(f"{key}: nginx had {ngx.get('non_2xx')} non-2xx responses; "
                         f"{ngx.get('socket_errors_text')}")
        results[key]["target"] = target_text
        results[key]["ok"] = ok
        all_ok &= ok
        add(f"| {label} | {fmt_rps(ink.get('rps'))} | {fmt_ms(ink.get('p50_ms'))} | "
            f"{fmt_ms(ink.get('p99_ms'))} | {fmt_rps(ngx.get('rps'))} | {fmt_ms(ngx.get('p99_ms'))} | "
            f"{fmt_ratio(ratio)} | {target_text} | {verdict(ok)} |")

    add("")
    add("The server runs as shipped: anonymous reads are micro-cached for 1 s (see docs/decisions.md). "
        "The same API endpoints with the cache off measure the database path itself (site pages keep "
        "their page cache, valid until the content changes, and are not repeated here):")
    add("")
    add("| Endpoint, cache off | inkstone req/s | inkstone p50 | inkstone p99 | ratio to nginx | target | result |")
    add("|---|---:|---:|---:|---:|---|---|")
    for key, label, kind, target in ENDPOINTS:
        if key in SITE_KEYS:
            continue
        unc = results[key].get("inkstone_uncached") or {}
        ngx = results[key]["nginx"] or {}
        ratio = unc["rps"] / ngx["rps"] if unc.get("rps") and ngx.get("rps") else None
        if kind == "ratio":
            ok = ratio is not None and ratio >= target
            target_text = f"ratio ≥ {target}"
        else:
            ok = unc.get("p99_ms") is not None and unc["p99_ms"] < target
            target_text = f"p99 < {target:g} ms"
        if not unc.get("requests") or (unc.get("non_2xx") or 0) + (unc.get("socket_errors") or 0):
            ok = False
        results[key]["uncached_ratio"] = ratio
        results[key]["uncached_ok"] = ok
        add(f"| {label} | {fmt_rps(unc.get('rps'))} | {fmt_ms(unc.get('p50_ms'))} | {fmt_ms(unc.get('p99_ms'))} | "
            f"{fmt_ratio(ratio)} | {target_text} | {verdict(ok)} |")
    unc_hwm = float(meta.get("rss_uncached_hwm_kib", "0") or 0) / 1024
    add("")
    add(f"Peak RSS of the uncached server (fresh process, load only): {unc_hwm:.1f} MiB")

    hwm = float(meta.get("rss_hwm_kib", "0") or 0) / 1024
    rss_ok = 0 < hwm < RSS_TARGET_MIB
    all_ok &= rss_ok
    add("")
    add("| Server memory | value | target | result |")
    add("|---|---:|---|---|")
    add(f"| Peak RSS (VmHWM, after all load) | {hwm:.1f} MiB | < {RSS_TARGET_MIB:g} MiB | {verdict(rss_ok)} |")
    add(f"| Peak RSS right after start-up, incl. creating the first admin (VmHWM) | "
        f"{float(meta.get('rss_start_hwm_kib', '0') or 0) / 1024:.1f} MiB | | |")
    add(f"| RSS after seeding, before load (VmRSS) | {float(meta.get('rss_seeded_kib', '0') or 0) / 1024:.1f} MiB | | |")
    add(f"| RSS at the end (VmRSS) | {float(meta.get('rss_end_kib', '0') or 0) / 1024:.1f} MiB | | |")
    add("")
    add(f"**Overall: {'all targets met' if all_ok else 'some targets missed'}.**")
    add("")
    add("## Seeding")
    add("")
    add(f"- Generating {meta.get('posts_expected')} Markdown files: {meta.get('gen_seconds')} s")
    add(f"- `inkstone import markdown`: {meta.get('import_seconds')} s "
        f"({meta.get('import_rate')} posts/s); its summary: `{meta.get('import_summary')}`")
    add(f"- Posts visible through the API afterwards: {meta.get('posts_total')}")
    add(f"- Search hits: `lighthouse` {meta.get('hits_en')}, `灯塔` {meta.get('hits_zh')} "
        f"(expected {meta.get('hits_expected')} each)")
    add(f"- Single-post id used: {meta.get('post_id')} (slug `{meta.get('post_slug')}` for the post page)")
    add(f"- Database size after seeding: {meta.get('db_size')}")
    add("")
    add("## Responses (the bytes nginx serves) and unloaded latency")
    add("")
    add("| Endpoint | URL path | body bytes | inkstone, one request at a time (median of 5) |")
    add("|---|---|---:|---:|")
    for key, _, _, _ in ENDPOINTS:
        if meta.get(f"skipped_{key}"):
            add(f"| {key} | `{meta.get(f'url_{key}', '?')}` | not measured | {meta.get(f'skipped_{key}')} |")
            continue
        single = meta.get(f"single_ms_{key}")
        single = fmt_ms(float(single)) if single else "not measured"
        add(f"| {key} | `{meta.get(f'url_{key}', '?')}` | {meta.get(f'bytes_{key}', '?')} | {single} |")
    add("")
    add("## Details")
    add("")
    add("| Endpoint | server | requests | avg | p50 | p75 | p90 | p99 | max | errors |")
    add("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, _, _, _ in ENDPOINTS:
        if meta.get(f"skipped_{key}"):
            continue
        for server in ("inkstone", "nginx"):
            r = results[key][server] or {}
            errors = (r.get("non_2xx") or 0) + (r.get("socket_errors") or 0)
            add(f"| {key} | {server} | {r.get('requests', 'n/a')} | {fmt_ms(r.get('avg_ms'))} | "
                f"{fmt_ms(r.get('p50_ms'))} | {fmt_ms(r.get('p75_ms'))} | {fmt_ms(r.get('p90_ms'))} | "
                f"{fmt_ms(r.get('p99_ms'))} | {fmt_ms(r.get('max_ms'))} | {errors} |")
    add("")
    log_lines = meta.get("server_log_warnings", "0")
    add(f"- Server log (INKSTONE_LOG=warn): {meta.get('server_log_lines', '0')} lines, "
        f"{log_lines} WARN/ERROR lines (copied to `server.log` next to this report).")
    settle = [(k[len("settle_"):], v) for k, v in meta.items() if k.startswith("settle_")]
    busy = [f"{k} {v} s" for k, v in settle if float(v) >= 1.0]
    if busy:
        notes.append("inkstone kept using CPU after wrk stopped (requests abandoned by the client still "
                     "being worked on); the script waited for it to go idle before the next run: "
                     + ", ".join(busy))
    for note in notes:
        add(f"- {note}")
    add("- Raw wrk outputs are in `raw/` next to this report.")
    add("")

    report = "\n".join(lines)
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write(report)
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "endpoints": results, "rss_hwm_mib": hwm, "rss_ok": rss_ok,
                   "all_ok": all_ok}, f, indent=2, ensure_ascii=False)
    print(report)


if __name__ == "__main__":
    main()
