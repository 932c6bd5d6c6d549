// Lighthouse against the same Debian Chromium: the home page and a long post must score
// >= 0.95 in performance, accessibility, best practices and SEO.
//
// Presets (LIGHTHOUSE_PRESET, default `desktop,mobile`: both must pass): `desktop` is
// Lighthouse's `desktop-config` (simulated throttling of a desktop connection, 1350x940),
// `mobile` its default config (simulated slow 4G, 4x CPU slowdown, a 412 px phone). Each page
// is audited LIGHTHOUSE_RUNS times (3) per preset and judged on the median of each category,
// as Lighthouse recommends for its run-to-run variance. Writes
// target/browser-artifacts/lighthouse.json (every run's scores, the medians, the audits that
// cost points) and lighthouse-<preset>-<page>.html (the last run's full report).
//
// Nothing is downloaded: Chromium is CHROME_PATH, the background-networking flags keep it
// off the network, and error reporting (Sentry) stays off in programmatic use.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lighthouse, { desktopConfig } from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { ART, BASE, CHROMIUM_ARGS, SEED, postPath } from './lib.mjs';

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const THRESHOLD = Number(process.env.LIGHTHOUSE_THRESHOLD || 0.95);
const RUNS = Math.max(1, Number(process.env.LIGHTHOUSE_RUNS || 3));
const PRESETS = (process.env.LIGHTHOUSE_PRESET || 'desktop,mobile').split(',').map((p) => p.trim()).filter(Boolean);
for (const preset of PRESETS) {
  if (!['desktop', 'mobile'].includes(preset)) throw new Error(`LIGHTHOUSE_PRESET: desktop and/or mobile, not ${preset}`);
}

const pages = [
  ['home', '/'],
  ['long-post', postPath(SEED.posts.long.slug)],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

const profile = mkdtempSync(join(tmpdir(), 'inkstone-lighthouse-'));
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  chromeFlags: CHROMIUM_ARGS,
  userDataDir: profile,
  logLevel: 'error',
});

const report = {
  presets: PRESETS,
  threshold: THRESHOLD,
  runs_per_page: RUNS,
  base: BASE,
  chromium: null,
  lighthouse: null,
  results: {},
};
const failures = [];
try {
  for (const PRESET of PRESETS) for (const [name, path] of pages) {
    const url = BASE + path;
    const runs = [];
    let lastHtml = null;
    for (let i = 0; i < RUNS; i++) {
      const result = await lighthouse(
        url,
        { port: chrome.port, output: ['json', 'html'], logLevel: 'error', onlyCategories: CATEGORIES, disableFullPageScreenshot: true },
        PRESET === 'desktop' ? desktopConfig : undefined,
      );
      const lhr = result.lhr;
      report.lighthouse = lhr.lighthouseVersion;
      report.chromium = lhr.environment?.hostUserAgent?.match(/Chrome\/[\d.]+/)?.[0] || null;
      lastHtml = result.report[1];
      if (lhr.runtimeError) {
        runs.push({ error: `${lhr.runtimeError.code}: ${lhr.runtimeError.message}` });
        break; // A page that does not load scores nothing, however often it is tried.
      }
      const scores = Object.fromEntries(CATEGORIES.map((c) => [c, lhr.categories[c]?.score ?? null]));
      // The audits that cost points: weighted in a category and not passed.
      const failed = CATEGORIES.flatMap((c) => (lhr.categories[c]?.auditRefs || [])
        .filter((ref) => ref.weight > 0 && lhr.audits[ref.id]?.score !== null && lhr.audits[ref.id]?.score < 0.9)
        .map((ref) => `${c}/${ref.id} (${lhr.audits[ref.id].score}: ${lhr.audits[ref.id].title})`));
      runs.push({ scores, audits_below_0_9: failed, fcp_ms: lhr.audits['first-contentful-paint']?.numericValue,
        lcp_ms: lhr.audits['largest-contentful-paint']?.numericValue });
    }
    if (lastHtml) writeFileSync(join(ART, `lighthouse-${PRESET}-${name}.html`), lastHtml);
    const ok = runs.filter((r) => r.scores);
    const med = ok.length ? Object.fromEntries(CATEGORIES.map((c) => [c, median(ok.map((r) => r.scores[c]))])) : null;
    const pass = !!med && CATEGORIES.every((c) => med[c] !== null && med[c] >= THRESHOLD);
    (report.results[PRESET] ||= {})[name] = { url, median: med, pass, runs };
    const shown = med ? CATEGORIES.map((c) => `${c} ${med[c] === null ? 'n/a' : Math.round(med[c] * 100)}`).join(', ') : runs[0]?.error;
    console.log(`lighthouse ${PRESET} ${name} ${path}: ${shown} ${pass ? 'PASS' : 'FAIL'}`);
    if (!pass) {
      const reasons = med
        ? CATEGORIES.filter((c) => !(med[c] >= THRESHOLD)).map((c) => `${c} ${med[c]} < ${THRESHOLD}`)
        : [runs[0]?.error];
      const audits = [...new Set(ok.flatMap((r) => r.audits_below_0_9))];
      failures.push(`${PRESET} ${name} (${path}): ${reasons.join(', ')}${audits.length ? `; audits below 0.9: ${audits.join(', ')}` : ''}`);
    }
  }
} finally {
  await chrome.kill();
  rmSync(profile, { recursive: true, force: true });
  writeFileSync(join(ART, 'lighthouse.json'), JSON.stringify(report, null, 2));
}
console.log(`lighthouse scores written to ${join(ART, 'lighthouse.json')}`);
if (failures.length) {
  console.error(`Lighthouse below ${THRESHOLD}:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
