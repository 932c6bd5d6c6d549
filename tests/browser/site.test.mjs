// The public site in headless Chromium, as readers use it: with and without JavaScript, on
// a desktop and a 375 px phone, in light and dark. Selectors and URLs are the contract of
// docs/site.md; a failure names the missing element and the page.
//
// Run by scripts/browser-tests.sh (which starts and seeds the server); screenshots go to
// target/browser-artifacts/screenshots/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, SEED, api, cardTitles, expectCount, expectEl, expectLayout, expectNoProblems, expectPostCards, go,
  launch, newContext, postPath, shotPath, watchedPage,
} from './lib.mjs';

const LONG = SEED.posts.long;
const DISCUSSED = SEED.posts.comments;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Runs `fn(page)` in a fresh context (fresh visitor cookie), then closes it. */
async function withPage(options, fn) {
  const context = await newContext(browser, options);
  try {
    const page = await watchedPage(context, options);
    return await fn(page);
  } finally {
    await context.close();
  }
}

/**
 * Passes the page's POSTs to `path` through unchanged and keeps each request's Accept header
 * and the answer (status, content type, text): site.js may navigate away right after the
 * answer, when the browser no longer holds the response body.
 */
async function recordPosts(page, path) {
  const seen = [];
  await page.route((url) => url.pathname === path, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    const text = await response.text();
    seen.push({ accept: route.request().headers().accept || '', status: response.status(),
      type: response.headers()['content-type'] || '', text });
    await route.fulfill({ response, body: text });
  });
  return {
    seen,
    /** The first answer, waited for up to 10 s, its body parsed as JSON. */
    async json() {
      for (let i = 0; i < 100 && !seen.length; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(seen.length, `no POST ${path} was sent by site.js`);
      const { accept, type, text, status } = seen[0];
      assert.match(accept, /application\/json/, `site.js asks ${path} for JSON (Accept: ${accept})`);
      assert.match(type, /application\/json/, `the answer of ${path} to site.js is JSON (status ${status}, ${type}): ${text.slice(0, 200)}`);
      return JSON.parse(text);
    },
  };
}

async function setModeration(value) {
  await api('PATCH', '/api/v1/settings', { 'comments.moderation': value });
}

/** The like form of the post (`target_kind=post`), its count and button. */
function postLike(page) {
  const form = page.locator('form.like-form:has(input[name="target_kind"][value="post"])').first();
  return { form, count: form.locator('.like-count'), button: form.locator('button.like-button') };
}

async function likeCount(locator, what) {
  assert.ok((await locator.count()) > 0, `${what}: missing \`.like-count\` inside the post's \`form.like-form\``);
  const text = (await locator.first().textContent()).trim();
  const n = Number.parseInt(text.replace(/[^\d]/g, ''), 10);
  assert.ok(Number.isInteger(n), `${what}: .like-count is not a number: "${text}"`);
  return n;
}

describe('pages', () => {
  test('home page: layout, post cards, pager, security headers', async () => {
    await withPage({}, async (page) => {
      const response = await go(page, '/');
      const headers = response.headers();
      assert.match(headers['content-type'] || '', /^text\/html/, 'home page content type');
      const csp = headers['content-security-policy'] || '';
      assert.match(csp, /script-src 'self'/, 'the home page has a CSP limiting scripts to the site');
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, 'the CSP allows no inline script or eval');
      await expectLayout(page);
      await expectPostCards(page, 'home page lists posts');
      const titles = await cardTitles(page);
      assert.ok(titles.includes(LONG.title) && titles.includes(DISCUSSED.title),
        `home page: the newest seeded posts are not listed; found ${JSON.stringify(titles)}`);
      await expectEl(page, 'nav.pager a[rel="next"]', 'home page pager (218 posts, more than one page)');
      await page.locator('nav.pager a[rel="next"]').first().click();
      await page.waitForLoadState('load');
      assert.match(page.url(), /[?&]page=2\b/, 'the pager\'s next link goes to page 2');
      await expectPostCards(page, 'home page 2');
      await expectEl(page, 'nav.pager a[rel="prev"]', 'home page 2 pager');
      expectNoProblems(page);
    });
  });

  test('theme assets: hashed names, long cache, right types', async () => {
    await withPage({}, async (page) => {
      const assets = [];
      page.on('response', (r) => {
        if (new URL(r.url()).pathname.startsWith('/assets/')) assets.push(r);
      });
      await go(page, '/');
      await page.waitForLoadState('networkidle');
      const kinds = assets.map((r) => new URL(r.url()).pathname);
      assert.ok(kinds.some((p) => p.endsWith('.css')) && kinds.some((p) => p.endsWith('.js')),
        `home page: expected a stylesheet and a script under /assets/, got ${JSON.stringify(kinds)}`);
      for (const r of assets) {
        const path = new URL(r.url()).pathname;
        assert.equal(r.status(), 200, `${path} answered ${r.status()}`);
        assert.match(path, /^\/assets\/[\w-]+\.[0-9a-f]{6,}\.\w+$/, `${path} has no content hash in its name`);
        assert.match(r.headers()['cache-control'] || '', /immutable/, `${path} is not cached as immutable`);
        const type = r.headers()['content-type'] || '';
        if (path.endsWith('.css')) assert.match(type, /^text\/css/, `${path} content type ${type}`);
        if (path.endsWith('.js')) assert.match(type, /javascript/, `${path} content type ${type}`);
      }
      expectNoProblems(page);
    });
  });

  test('404 page helps: status 404, one h1, a way home', async () => {
    await withPage({}, async (page) => {
      await go(page, '/no-such-page-for-the-browser-test', { status: 404 });
      await expectLayout(page);
      await expectEl(page, 'main#main a[href="/"], header.site-header a[href="/"]', '404 page links home');
      expectNoProblems(page);
    });
  });

  test('a post opens from the home page: title, meta, content, like form, comments', async () => {
    await withPage({}, async (page) => {
      await go(page, '/');
      const link = page.locator('article.post-card h2 a', { hasText: LONG.title }).first();
      assert.ok((await link.count()) > 0, `home page: no \`article.post-card h2 a\` for "${LONG.title}"`);
      const [opened] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
      assert.equal(new URL(page.url()).pathname, postPath(LONG.slug), 'the card links to the post\'s permalink');
      assert.equal(opened?.status(), 200, `GET ${postPath(LONG.slug)} (from the home page) answered ${opened?.status()}`);
      await expectLayout(page);
      await expectEl(page, 'article.post', 'post page');
      const h1 = await expectEl(page, 'article.post h1.post-title', 'post page');
      assert.equal((await h1.textContent()).trim(), LONG.title, 'h1.post-title is the post title');
      await expectEl(page, '.post-meta time[datetime]', 'post meta: date');
      await expectEl(page, `.post-meta a[href="/categories/${SEED.subcategories[0].slug}"]`, 'post meta: category link');
      await expectEl(page, '.post-meta a[href^="/tags/"]', 'post meta: tag links');
      const content = await expectEl(page, '.post-content', 'post content');
      assert.ok((await content.locator('h2').count()) >= 8, 'post content: the Markdown headings are rendered as h2');
      assert.match(await content.textContent(), new RegExp(SEED.search.en), 'post content: the whole body is shown');
      await expectEl(page, 'form.like-form[action="/interact/like"][method="post" i]', 'like form');
      await expectEl(page, 'section#comments', 'comments section');
      await expectEl(page, 'form#comment-form[action="/interact/comment"][method="post" i]', 'comment form');
      for (const name of ['_token', 'item_id', 'parent_id', 'author_name', 'author_email', 'author_url', 'website']) {
        await expectEl(page, `form#comment-form [name="${name}"]`, `comment form field ${name}`);
      }
      await expectEl(page, 'form#comment-form textarea[name="body"]', 'comment form body');
      await expectEl(page, 'form#comment-form button[type="submit"]', 'comment form submit button');
      // Every visible input has a label (accessibility rule of the brief).
      const unlabelled = await page.$$eval('form#comment-form input:not([type=hidden]), form#comment-form textarea', (els) =>
        els.filter((el) => el.offsetParent !== null && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
          .map((el) => el.name));
      assert.deepEqual(unlabelled, [], 'comment form inputs without a label');
      const canonical = await page.locator('link[rel="canonical"]').getAttribute('href').catch(() => null);
      assert.equal(canonical, BASE + postPath(LONG.slug), 'post page: link[rel=canonical] is site.url + the post path');
      await expectEl(page, 'meta[property="og:title"]', 'Open Graph meta');
      await expectEl(page, 'script[type="application/ld+json"]', 'JSON-LD Article');
      expectNoProblems(page);
    });
  });

  test('a post with comments: threaded list, authors, reply links, comment likes', async () => {
    await withPage({}, async (page) => {
      await go(page, postPath(DISCUSSED.slug));
      await expectLayout(page);
      const [first, guest, reply] = DISCUSSED.comment_ids;
      await expectEl(page, 'section#comments ol.comment-list', 'comment list');
      for (const id of [first, guest, reply]) {
        const sel = `section#comments li.comment#comment-${id}`;
        await expectEl(page, sel, `approved comment ${id}`);
        for (const part of ['.comment-author', 'time', '.comment-body', `a.comment-reply[href="?reply=${id}#comment-form"]`,
          'form.like-form input[name="target_kind"][value="comment"]']) {
          await expectEl(page, `${sel} ${part}`, `comment ${id}`);
        }
      }
      await expectEl(page, `li.comment#comment-${first} ol.comment-children li.comment#comment-${reply}`,
        'the reply is nested under its parent');
      const body = await page.locator(`li#comment-${guest} .comment-body`).first().textContent();
      assert.match(body, /访客的评论/, 'the guest comment body is shown');
      // The reply link preselects the parent in the form, also without JavaScript.
      await page.locator(`li#comment-${first} a.comment-reply`).first().click();
      await page.waitForLoadState('load');
      assert.equal(await page.locator('form#comment-form [name="parent_id"]').inputValue(), String(first),
        'after "reply", the form\'s parent_id is the comment replied to');
      expectNoProblems(page);
    });
  });

  test('category page: name, sub-categories, posts, feed links', async () => {
    await withPage({}, async (page) => {
      await go(page, `/categories/${SEED.category.slug}`);
      await expectLayout(page);
      assert.equal((await page.locator('h1').textContent()).trim(), SEED.category.name, 'category h1 is its name');
      for (const sub of SEED.subcategories) {
        await expectEl(page, `nav.subcategories a[href="/categories/${sub.slug}"]`, `sub-category ${sub.name}`);
      }
      await expectPostCards(page, 'category page lists its posts');
      assert.ok((await cardTitles(page)).includes(DISCUSSED.title), 'category page lists the post filed under it');
      const feeds = await expectEl(page, 'head link[rel="alternate"][type="application/rss+xml"], head link[rel="alternate"][type="application/atom+xml"]',
        'category feed links');
      const hrefs = await feeds.evaluateAll((els) => els.map((e) => e.href));
      assert.ok(hrefs.some((h) => h.includes(`/categories/${SEED.category.slug}/`)), `category feed links point to the category: ${hrefs}`);
      await page.locator(`nav.subcategories a[href="/categories/${SEED.subcategories[0].slug}"]`).click();
      await page.waitForLoadState('load');
      assert.ok((await cardTitles(page)).includes(LONG.title), 'the sub-category page lists the long post');
      expectNoProblems(page);
    });
  });

  test('tag page: name, posts, feed links', async () => {
    await withPage({}, async (page) => {
      await go(page, `/tags/${encodeURIComponent(SEED.tag.slug)}`);
      await expectLayout(page);
      assert.match(await page.locator('h1').textContent(), new RegExp(SEED.tag.name), 'tag h1 names the tag');
      await expectPostCards(page, 'tag page lists its posts');
      const titles = await cardTitles(page);
      assert.ok(titles.includes(LONG.title) && titles.includes(DISCUSSED.title), `tag page lists both tagged posts: ${titles}`);
      await expectEl(page, 'head link[rel="alternate"][type="application/rss+xml"]', 'tag RSS link');
      await expectEl(page, 'head link[rel="alternate"][type="application/atom+xml"]', 'tag Atom link');
      expectNoProblems(page);
    });
  });

  for (const [lang, q] of [['Chinese', SEED.search.zh], ['English', SEED.search.en]]) {
    test(`search in ${lang} (${q}) through the search form`, async () => {
      await withPage({}, async (page) => {
        await go(page, '/search');
        await expectLayout(page);
        const input = await expectEl(page, 'form.search-form[action="/search"] input[name="q"]', 'search form');
        await input.first().fill(q);
        await Promise.all([page.waitForURL(/\/search\?/), input.first().press('Enter')]);
        await page.waitForLoadState('load');
        assert.equal(new URL(page.url()).searchParams.get('q'), q, 'the search form sends q');
        await expectEl(page, 'p.search-summary', 'search results summary');
        await expectPostCards(page, `search results for ${q}`);
        const titles = await cardTitles(page);
        assert.ok(titles.includes(LONG.title) && titles.includes(DISCUSSED.title),
          `search for ${q} finds both seeded posts: ${JSON.stringify(titles)}`);
        assert.equal(await page.locator('form.search-form input[name="q"]').first().inputValue(), q,
          'the results page keeps the query in the search box');
        expectNoProblems(page);
      });
    });
  }
});

describe('feeds and crawlers', () => {
  /** Fetches `path` through the page's request context and parses it with the browser's DOMParser. */
  async function parseXml(page, path, type) {
    const res = await page.request.get(BASE + path);
    assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
    const ctype = res.headers()['content-type'] || '';
    assert.equal(ctype.replace(/\s+/g, '').toLowerCase(), `${type};charset=utf-8`, `${path} content type`);
    const text = await res.text();
    const doc = await page.evaluate((xml) => {
      const d = new DOMParser().parseFromString(xml, 'application/xml');
      const error = d.getElementsByTagName('parsererror')[0];
      const root = d.documentElement;
      const texts = (tag) => [...d.getElementsByTagName(tag)].map((e) => e.textContent.trim());
      return {
        error: error ? error.textContent : null,
        root: root.localName,
        ns: root.namespaceURI,
        version: root.getAttribute('version'),
        items: d.getElementsByTagName('item').length,
        entries: d.getElementsByTagName('entry').length,
        titles: texts('title'),
        locs: texts('loc'),
        links: [...d.getElementsByTagName('link')].map((e) => e.getAttribute('href') || e.textContent.trim()),
      };
    }, text);
    assert.equal(doc.error, null, `${path} is not well-formed XML: ${doc.error}`);
    return doc;
  }

  test('RSS 2.0 and Atom feeds of the site, a category and a tag parse and list the posts', async () => {
    await withPage({}, async (page) => {
      await go(page, '/');
      for (const prefix of ['', `/categories/${SEED.category.slug}`, `/tags/${encodeURIComponent(SEED.tag.slug)}`]) {
        const rss = await parseXml(page, `${prefix}/feed.xml`, 'application/rss+xml');
        assert.equal(rss.root, 'rss', `${prefix}/feed.xml root element`);
        assert.equal(rss.version, '2.0', `${prefix}/feed.xml version`);
        assert.ok(rss.items > 0, `${prefix}/feed.xml has no <item>`);
        assert.ok(rss.titles.includes(DISCUSSED.title), `${prefix}/feed.xml lists "${DISCUSSED.title}"`);
        assert.ok(rss.links.every((l) => !l || l.startsWith(BASE) || !l.startsWith('/')), `${prefix}/feed.xml links are absolute`);
        const atom = await parseXml(page, `${prefix}/atom.xml`, 'application/atom+xml');
        assert.equal(atom.root, 'feed', `${prefix}/atom.xml root element`);
        assert.equal(atom.ns, 'http://www.w3.org/2005/Atom', `${prefix}/atom.xml namespace`);
        assert.ok(atom.entries > 0, `${prefix}/atom.xml has no <entry>`);
        assert.ok(atom.titles.includes(DISCUSSED.title), `${prefix}/atom.xml lists "${DISCUSSED.title}"`);
      }
      expectNoProblems(page);
    });
  });

  test('sitemap.xml lists the posts; robots.txt points to it', async () => {
    await withPage({}, async (page) => {
      await go(page, '/');
      const res = await page.request.get(`${BASE}/sitemap.xml`);
      assert.equal(res.status(), 200, `GET /sitemap.xml answered ${res.status()}`);
      assert.match(res.headers()['content-type'] || '', /xml/, '/sitemap.xml content type');
      const sitemap = await page.evaluate((xml) => {
        const d = new DOMParser().parseFromString(xml, 'application/xml');
        return { error: d.getElementsByTagName('parsererror').length, root: d.documentElement.localName,
          locs: [...d.getElementsByTagName('loc')].map((e) => e.textContent.trim()) };
      }, await res.text());
      assert.equal(sitemap.error, 0, '/sitemap.xml is well-formed');
      assert.ok(['urlset', 'sitemapindex'].includes(sitemap.root), `/sitemap.xml root is ${sitemap.root}`);
      if (sitemap.root === 'urlset') {
        for (const slug of [LONG.slug, DISCUSSED.slug]) {
          assert.ok(sitemap.locs.includes(BASE + postPath(slug)), `/sitemap.xml lists ${BASE + postPath(slug)}`);
        }
      }
      const robots = await page.request.get(`${BASE}/robots.txt`);
      assert.equal(robots.status(), 200, `GET /robots.txt answered ${robots.status()}`);
      assert.match(robots.headers()['content-type'] || '', /^text\/plain/, '/robots.txt content type');
      assert.match(await robots.text(), new RegExp(`Sitemap:\\s*${BASE.replace(/\./g, '\\.')}/sitemap\\.xml`, 'i'),
        '/robots.txt names the sitemap with site.url');
    });
  });
});

describe('comments', () => {
  const guest = { author_name: '测试读者', author_email: 'browser@example.com' };

  async function fillComment(page, body) {
    const form = await expectEl(page, 'form#comment-form[action="/interact/comment"]', 'comment form');
    await form.locator('[name="author_name"]').fill(guest.author_name);
    await form.locator('[name="author_email"]').fill(guest.author_email);
    await form.locator('textarea[name="body"]').fill(body);
    return form;
  }

  async function commentsWithBody(status, body) {
    const list = await api('GET', `/api/v1/posts/${DISCUSSED.id}/comments?status=${status}&per_page=100`);
    return list.items.filter((c) => c.body.includes(body));
  }

  test('without JavaScript, held for moderation: 303 to ?comment=pending and a notice', async () => {
    await setModeration('guests');
    await withPage({ js: false }, async (page) => {
      await go(page, postPath(DISCUSSED.slug));
      const body = `没有 JavaScript 的评论 no-JS pending ${Date.now()}`;
      const form = await fillComment(page, body);
      await Promise.all([page.waitForURL(/[?&]comment=/), form.locator('button[type="submit"]').click()]);
      await page.waitForLoadState('load');
      const url = new URL(page.url());
      assert.equal(url.pathname, postPath(DISCUSSED.slug), 'back on the post after sending');
      assert.equal(url.searchParams.get('comment'), 'pending', 'the redirect says the comment is pending');
      assert.equal(url.hash, '#comments', 'the redirect goes to #comments');
      await expectEl(page, 'p.notice[role="status"]', 'notice after a comment');
      assert.equal((await commentsWithBody('pending', body)).length, 1, 'the comment is stored once, pending');
      assert.equal(await page.locator('.comment-body', { hasText: body }).count(), 0, 'a pending comment is not shown to readers');
      expectNoProblems(page);
    });
  });

  test('without JavaScript, approved: 303 to ?comment=approved#comment-{id}, the comment is shown', async () => {
    await setModeration('off');
    try {
      await withPage({ js: false }, async (page) => {
        await go(page, postPath(DISCUSSED.slug));
        const body = `没有 JavaScript 的评论 no-JS approved ${Date.now()}`;
        const form = await fillComment(page, body);
        await Promise.all([page.waitForURL(/[?&]comment=/), form.locator('button[type="submit"]').click()]);
        await page.waitForLoadState('load');
        const stored = await commentsWithBody('approved', body);
        assert.equal(stored.length, 1, 'the comment is stored once, approved');
        const url = new URL(page.url());
        assert.equal(url.searchParams.get('comment'), 'approved', 'the redirect says approved');
        assert.equal(url.hash, `#comment-${stored[0].id}`, 'the redirect goes to the new comment');
        await expectEl(page, 'p.notice[role="status"]', 'notice after a comment');
        await expectEl(page, `li.comment#comment-${stored[0].id} .comment-body`, 'the new comment on the page');
        expectNoProblems(page);
      });
    } finally {
      await setModeration('guests');
    }
  });

  test('with JavaScript, held for moderation: the message appears in the form, no navigation', async () => {
    await setModeration('guests');
    await withPage({ js: true }, async (page) => {
      await go(page, postPath(DISCUSSED.slug));
      await page.evaluate(() => { window.__noNavigation = true; });
      const body = `有 JavaScript 的评论 JS pending ${Date.now()}`;
      const form = await fillComment(page, body);
      const posts = await recordPosts(page, '/interact/comment');
      await form.locator('button[type="submit"]').click();
      const json = await posts.json();
      assert.equal(json.status, 'pending', `JSON answer: ${JSON.stringify(json)}`);
      assert.ok(json.message, 'the JSON answer has a message');
      await page.waitForFunction((message) => document.querySelector('form#comment-form')?.textContent.includes(message),
        json.message, { timeout: 5000 }).catch(() => assert.fail(`the message "${json.message}" did not appear in form#comment-form`));
      assert.equal(await page.evaluate(() => window.__noNavigation), true, 'the page did not navigate');
      assert.equal((await commentsWithBody('pending', body)).length, 1, 'the comment is stored once, pending');
      expectNoProblems(page);
    });
  });

  test('with JavaScript, approved: the new comment appears on the post', async () => {
    await setModeration('off');
    try {
      await withPage({ js: true }, async (page) => {
        await go(page, postPath(DISCUSSED.slug));
        const body = `有 JavaScript 的评论 JS approved ${Date.now()}`;
        const form = await fillComment(page, body);
        const posts = await recordPosts(page, '/interact/comment');
        await form.locator('button[type="submit"]').click();
        const json = await posts.json();
        assert.equal(json.status, 'approved', `JSON answer: ${JSON.stringify(json)}`);
        assert.ok(Number.isInteger(json.id) && json.url, `the JSON answer has id and url: ${JSON.stringify(json)}`);
        await page.locator(`li.comment#comment-${json.id} .comment-body`, { hasText: body })
          .waitFor({ timeout: 10000 }).catch(() => assert.fail(`li.comment#comment-${json.id} with the new body did not appear`));
        assert.equal((await commentsWithBody('approved', body)).length, 1, 'the comment is stored once, approved');
        expectNoProblems(page);
      });
    } finally {
      await setModeration('guests');
    }
  });
});

describe('protected post', () => {
  const locked = SEED.posts.protected;
  for (const js of [false, true]) {
    test(`the password form unlocks the post ${js ? 'with' : 'without'} JavaScript`, async () => {
      await withPage({ js }, async (page) => {
        await go(page, postPath(locked.slug));
        await expectLayout(page);
        const form = await expectEl(page, 'form.unlock-form[action="/interact/unlock"][method="post" i]', 'password form of a protected post');
        for (const name of ['_token', 'item_id']) await expectEl(page, `form.unlock-form [name="${name}"]`, `password form field ${name}`);
        const input = await expectEl(page, 'form.unlock-form input[name="password"]', 'password form field password');
        assert.doesNotMatch(await page.locator('main#main').textContent(), new RegExp(locked.secret), 'the locked body is not in the page');
        await input.first().fill(locked.password);
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"], input[type="submit"]').first().click()]);
        assert.equal(new URL(page.url()).pathname, postPath(locked.slug), 'back on the post after the password');
        const content = await expectEl(page, '.post-content', 'the unlocked post content');
        assert.match(await content.textContent(), new RegExp(locked.secret), 'the unlocked post shows its body');
        expectNoProblems(page);
      });
    });
  }
});

describe('likes', () => {
  test('without JavaScript: the count goes up by one after the 303', async () => {
    await withPage({ js: false }, async (page) => {
      await go(page, postPath(LONG.slug));
      const like = postLike(page);
      const before = await likeCount(like.count, 'like without JS');
      const apiBefore = (await api('GET', `/api/v1/posts/${LONG.id}`)).like_count;
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), like.button.click()]);
      assert.equal(new URL(page.url()).pathname, postPath(LONG.slug), 'back on the post after liking');
      assert.equal(await likeCount(postLike(page).count, 'after the like'), before + 1, 'the page shows one more like');
      assert.equal((await api('GET', `/api/v1/posts/${LONG.id}`)).like_count, apiBefore + 1, 'the API counts one more like');
      expectNoProblems(page);
    });
  });

  test('with JavaScript: .like-count changes in place and the button is pressed', async () => {
    await withPage({ js: true }, async (page) => {
      await go(page, postPath(LONG.slug));
      await page.evaluate(() => { window.__noNavigation = true; });
      const like = postLike(page);
      const before = await likeCount(like.count, 'like with JS');
      const posts = await recordPosts(page, '/interact/like');
      await like.button.click();
      const json = await posts.json();
      assert.equal(json.liked, true, `JSON answer: ${JSON.stringify(json)}`);
      assert.equal(json.count, before + 1, 'the JSON count is one more');
      await page.waitForFunction(({ n }) => {
        const el = document.querySelector('form.like-form input[name="target_kind"][value="post"]')
          ?.closest('form').querySelector('.like-count');
        return el && Number.parseInt(el.textContent.replace(/[^\d]/g, ''), 10) === n;
      }, { n: before + 1 }, { timeout: 5000 }).catch(() => assert.fail('.like-count did not change in place'));
      assert.equal(await like.button.getAttribute('aria-pressed'), 'true', 'button.like-button has aria-pressed="true"');
      assert.equal(await page.evaluate(() => window.__noNavigation), true, 'the page did not navigate');
      expectNoProblems(page);
    });
  });
});

describe('every page: no console errors or CSP violations; screenshots desktop/375 px, light/dark', () => {
  const pages = [
    ['home', '/'],
    ['home-page-2', '/?page=2'],
    ['post-long', postPath(LONG.slug)],
    ['post-comments', postPath(DISCUSSED.slug)],
    ['post-protected', postPath(SEED.posts.protected.slug)],
    ['category', `/categories/${SEED.category.slug}`],
    ['tag', `/tags/${encodeURIComponent(SEED.tag.slug)}`],
    ['search-zh', `/search?q=${encodeURIComponent(SEED.search.zh)}`],
    ['search-en', `/search?q=${encodeURIComponent(SEED.search.en)}`],
    ['archives', '/archives'],
    ['404', '/no-such-page-for-the-browser-test'],
  ];
  const variants = [
    ['desktop-light', { mobile: false, colorScheme: 'light' }],
    ['desktop-dark', { mobile: false, colorScheme: 'dark' }],
    ['mobile-light', { mobile: true, colorScheme: 'light' }],
    ['mobile-dark', { mobile: true, colorScheme: 'dark' }],
  ];
  for (const [name, path] of pages) {
    test(`${name} (${path})`, async () => {
      const failures = [];
      for (const [variant, options] of variants) {
        await withPage(options, async (page) => {
          const response = await page.goto(BASE + path, { waitUntil: 'load' });
          await page.screenshot({ path: shotPath(`${name}-${variant}`), fullPage: false });
          const status = response.status();
          if (status !== (name === '404' ? 404 : 200)) failures.push(`${variant}: status ${status}`);
          if (options.mobile) {
            // Readable on a phone: nothing makes the page wider than the screen.
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            if (width > 375 + 1) failures.push(`${variant}: the page is ${width} px wide on a 375 px screen`);
          }
          if (page.problems.length) failures.push(`${variant}: ${page.problems.join('; ')}`);
        });
      }
      if (failures.length) assert.fail(`${path}:\n  ${failures.join('\n  ')}`);
    });
  }
});
