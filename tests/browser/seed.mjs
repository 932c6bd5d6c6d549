// Seeds a running Inkstone (already holding the imported corpus) through the native API, as
// an admin script would: a category with a sub-category, tags, a long post, a post with a
// threaded comment discussion, and `site.url` set to the server's own address.
//
// Usage: node seed.mjs BASE_URL USERNAME PASSWORD OUT_JSON
// Writes OUT_JSON: { base, token, posts: { long, comments }, category, subcategory, tag,
// search: { en, zh } } for the tests. Exits non-zero with the API's answer on any failure.

import { writeFileSync } from 'node:fs';

const [base, username, password, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node seed.mjs BASE_URL USERNAME PASSWORD OUT_JSON');
  process.exit(2);
}

async function call(method, path, body, token) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`seed: ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

const { token } = await call('POST', '/api/v1/auth/token', { login: username, password, remember: true });
const api = (method, path, body) => call(method, path, body, token);

await api('PATCH', '/api/v1/settings', { 'site.url': base, 'site.title': '墨砚 Inkstone', 'site.language': 'zh-CN' });

const parent = await api('POST', '/api/v1/categories', {
  name: '浏览器测试',
  slug: 'browser-tests',
  description: '浏览器测试用的分类 (browser test category)',
});
const child = await api('POST', '/api/v1/categories', {
  name: '性能与无障碍',
  slug: 'performance-a11y',
  description: 'A sub-category',
  parent_id: parent.id,
});
const sibling = await api('POST', '/api/v1/categories', { name: '随笔', slug: 'essays', parent_id: parent.id });

// Unique words make the search scenarios exact: only the seeded posts contain them.
const SEARCH_EN = 'kingfisher';
const SEARCH_ZH = '翠鸟';

const paragraph = (i) =>
  `第 ${i} 段：墨砚是一个自托管的写作服务器，${SEARCH_ZH}在水边停留。这一段混合了中文与 English text, ` +
  `so that line breaking, fonts and the reading width are exercised on a phone as well as on a desktop. ` +
  `服务器直接渲染页面，读者无需 JavaScript 也能评论和点赞。`;
let body = '# 引言\n\n这是一篇很长的文章，用来测试长页面的性能与无障碍。\n\n<!-- more -->\n\n';
for (let section = 1; section <= 8; section++) {
  body += `## 第 ${section} 节 Section ${section}\n\n`;
  for (let i = 1; i <= 5; i++) body += paragraph(section * 10 + i) + '\n\n';
  if (section === 3) {
    body += '```rust\nfn main() {\n    let greeting = "你好，墨砚";\n    println!("{greeting} — a code block long enough to need horizontal scrolling on a 375 px wide phone screen");\n}\n```\n\n';
  }
  if (section === 5) {
    body += '| 名称 | Name | 说明 |\n|---|---|---|\n| 首页 | Home | 最新文章 |\n| 分类 | Category | 含子分类 |\n| 标签 | Tag | 文章列表 |\n\n';
  }
  if (section === 6) body += '- 第一项 first item\n- 第二项 second item\n- 第三项 third item\n\n> 引用：a quotation, 引用的文字。\n\n';
}
body += `The ${SEARCH_EN} is the last word of this long post.\n`;

const long = await api('POST', '/api/v1/posts', {
  title: '一篇很长的文章：墨砚的页面 (A long post)',
  slug: 'a-long-post',
  body,
  status: 'published',
  categories: [child.id, sibling.id],
  tags: ['浏览器', 'Lighthouse', '长文'],
});

const discussed = await api('POST', '/api/v1/posts', {
  title: '有评论的文章 (A post with comments)',
  slug: 'a-post-with-comments',
  body: `大家来讨论吧。A post to comment on and like; it mentions the ${SEARCH_EN} once (${SEARCH_ZH}).\n\n<!-- more -->\n\n更多内容 more text.`,
  status: 'published',
  categories: [parent.id],
  tags: ['浏览器', '评论'],
});

// A password-protected post: readers see the unlock form, and the body after the password.
const PROTECTED_PASSWORD = 'open-sesame-墨砚';
const locked = await api('POST', '/api/v1/posts', {
  title: '加密的文章 (A protected post)',
  slug: 'a-protected-post',
  body: '只有知道密码的人能读到这句话。The secret sentence behind the password.',
  status: 'published',
  password: PROTECTED_PASSWORD,
  categories: [sibling.id],
});

// A moderator's comment is approved at once; a guest's waits, then the admin approves it;
// the reply makes the thread nested.
const first = await api('POST', `/api/v1/posts/${discussed.id}/comments`, { body: '第一条评论：写得好！ First comment.' });
const guest = await call('POST', `/api/v1/posts/${discussed.id}/comments`, {
  body: '访客的评论 A guest comment',
  author_name: '读者甲',
  author_email: 'reader@example.com',
});
await api('PATCH', `/api/v1/comments/${guest.id}`, { status: 'approved' });
const reply = await api('POST', `/api/v1/posts/${discussed.id}/comments`, {
  body: '回复第一条评论 A reply.',
  parent_id: first.id,
});

const tags = await api('GET', '/api/v1/tags');
const tag = tags.items.find((t) => t.name === '浏览器');
if (!tag) throw new Error('seed: the tag 浏览器 was not created');

const seed = {
  base,
  token,
  posts: {
    long: { id: long.id, slug: long.slug, title: long.title },
    comments: { id: discussed.id, slug: discussed.slug, title: discussed.title, comment_ids: [first.id, guest.id, reply.id] },
    protected: { id: locked.id, slug: locked.slug, title: locked.title, password: PROTECTED_PASSWORD, secret: 'The secret sentence' },
  },
  category: { id: parent.id, slug: parent.slug, name: parent.name },
  subcategories: [child, sibling].map((c) => ({ id: c.id, slug: c.slug, name: c.name })),
  tag: { id: tag.id, slug: tag.slug, name: tag.name },
  search: { en: SEARCH_EN, zh: SEARCH_ZH },
};
writeFileSync(out, JSON.stringify(seed, null, 2));
console.log(`seeded: category ${parent.slug} (+${seed.subcategories.length} sub-categories), tag ${tag.slug}, posts ${long.slug}, ${discussed.slug} (3 comments) and ${locked.slug} (password)`);
