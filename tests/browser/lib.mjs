// Shared helpers of the browser tests: the Chromium launch, page watchers (console errors,
// CSP violations, failed requests), contract checks that name the missing element, and the
// native API (with the seed's admin token) to see the effect of what the browser did.

import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const BASE = process.env.INKSTONE_BASE_URL;
if (!BASE || !process.env.INKSTONE_SEED) {
  throw new Error('INKSTONE_BASE_URL and INKSTONE_SEED are unset: run these tests with scripts/browser-tests.sh');
}
export const SEED = JSON.parse(readFileSync(process.env.INKSTONE_SEED, 'utf8'));
export const ART = process.env.INKSTONE_BROWSER_ARTIFACTS || join(process.cwd(), '../../target/browser-artifacts');
export const SHOTS = join(ART, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** The flags that work on a machine with no outside network (no background fetches). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Debian's Chromium (CHROME_PATH) with a fresh temporary profile. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export const DESKTOP = { width: 1280, height: 900 };
export const MOBILE = { width: 375, height: 812 };

/**
 * A browser context. `js: false` is a reader without JavaScript; `mobile` a 375 px phone.
 * With JavaScript, CSP violations are also reported from the page's own
 * `securitypolicyviolation` events (the browser logs most of them to the console anyway).
 */
export async function newContext(browser, { js = true, mobile = false, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled: js,
    viewport: mobile ? MOBILE : DESKTOP,
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: 1,
    colorScheme,
    locale: 'zh-CN',
  });
  if (js) {
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber || ''})`);
      });
    });
  }
  return context;
}

/**
 * A new page whose console errors, uncaught exceptions, CSP reports and failed requests are
 * collected into `page.problems` (an array of strings). `allow` is a list of regexps of
 * console messages expected on that page (a 404 page logs its own 404 status).
 */
export async function watchedPage(context, { allow = [] } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    const text = m.text();
    // The browser's own "Failed to load resource: ... status of 4xx" is reported below from
    // the response itself (sub-resources) or asserted by the test (the document).
    if (/^Failed to load resource: the server responded with a status of/.test(text)) return;
    const csp = /Content[- ]Security[- ]Policy|CSP violation/i.test(text);
    if ((m.type() === 'error' || csp) && !allow.some((re) => re.test(text))) {
      problems.push(`console ${m.type()}: ${text}${m.location()?.url ? ` (${m.location().url})` : ''}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
  page.on('requestfailed', (r) => {
    const reason = r.failure()?.errorText || '';
    // A navigation replaced by the next one (a form's 303) is aborted, not failed.
    if (!/ERR_ABORTED/.test(reason)) problems.push(`request failed: ${r.method()} ${r.url()} (${reason})`);
  });
  page.on('response', (r) => {
    const status = r.status();
    if (status >= 400 && r.request().resourceType() !== 'document') {
      problems.push(`sub-resource answered ${status}: ${r.url()}`);
    }
  });
  page.problems = problems;
  return page;
}

/** Goes to `path` and asserts the status (200 unless told), naming the page on failure. */
export async function go(page, path, { status = 200 } = {}) {
  const response = await page.goto(BASE + path, { waitUntil: 'load' });
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), status, `GET ${path} answered ${response.status()}, expected ${status}`);
  return response;
}

/** Asserts `selector` is present on the page and returns its locator. */
export async function expectEl(page, selector, what) {
  const locator = page.locator(selector);
  const count = await locator.count();
  assert.ok(count > 0, `${what}: missing element \`${selector}\` on ${page.url()}`);
  return locator;
}

/** Asserts exactly `n` elements match. */
export async function expectCount(page, selector, n, what) {
  const count = await page.locator(selector).count();
  assert.equal(count, n, `${what}: expected ${n} \`${selector}\` on ${page.url()}, found ${count}`);
}

/** The contract's layout: `<html lang>`, header, main, footer landmarks and one `<h1>`. */
export async function expectLayout(page) {
  const lang = await page.locator('html').getAttribute('lang');
  assert.ok(lang && lang.trim(), `missing <html lang> on ${page.url()}`);
  await expectCount(page, 'header.site-header', 1, 'layout');
  await expectCount(page, 'main#main', 1, 'layout');
  await expectCount(page, 'footer.site-footer', 1, 'layout');
  await expectCount(page, 'h1', 1, 'every page has exactly one <h1>');
}

/** The contract's list item: `article.post-card` with `h2 a[href]`, `time[datetime]`, `p.excerpt`. */
export async function expectPostCards(page, what) {
  const cards = await expectEl(page, 'article.post-card', what);
  const n = await cards.count();
  for (let i = 0; i < n; i++) {
    const card = cards.nth(i);
    // A password-protected post has no excerpt to show: its card may leave it out.
    const locked = (await card.locator('h2 a').first().textContent().catch(() => ''))?.trim() === SEED.posts.protected?.title;
    for (const sel of locked ? ['h2 a[href]', 'time[datetime]'] : ['h2 a[href]', 'time[datetime]', 'p.excerpt']) {
      assert.ok((await card.locator(sel).count()) > 0, `${what}: post card ${i + 1} has no \`${sel}\` on ${page.url()}`);
    }
  }
  return cards;
}

/** Titles of the listed post cards. */
export async function cardTitles(page) {
  return (await page.locator('article.post-card h2 a').allTextContents()).map((t) => t.trim());
}

/** Asserts nothing went wrong in the page so far (console errors, CSP, failed requests). */
export function expectNoProblems(page, what = page.url()) {
  if (page.problems.length) {
    assert.fail(`${what}: console errors, CSP violations or failed requests:\n  ${page.problems.join('\n  ')}`);
  }
}

/** The native API as the seeded admin (bearer token): what the browser's actions changed. */
export async function api(method, path, body) {
  const headers = { accept: 'application/json', authorization: `Bearer ${SEED.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `API ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

export const postPath = (slug) => `/posts/${encodeURIComponent(slug)}`;

/** A file name for a screenshot. */
export const shotPath = (name) => join(SHOTS, `${name}.png`);
