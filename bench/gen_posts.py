#!/usr/bin/env python3
"""Writes N realistic Markdown posts (Hexo/Hugo-style YAML front matter) into a directory.

Usage: gen_posts.py DIR [COUNT] [SEED]

Every post has a unique title, 2-4 KB of mixed English and Chinese paragraphs, a fenced
code block and a list, a few tags, one of 20 categories and a `date:` spread over 2012-2025.
Deterministic for a given seed. Search keywords, for the benchmark's search endpoints:
  - the English word "lighthouse" is in exactly the posts with index % 100 == 7  (1%)
  - the Chinese word "灯塔" is in exactly the posts with index % 100 == 42 (1%)
No other post contains either (the filler vocabulary avoids them).
"""

import os
import random
import sys
from datetime import datetime, timedelta, timezone

EN_KEYWORD = "lighthouse"
ZH_KEYWORD = "灯塔"

CATEGORIES = [
    "Rust", "Databases", "Web", "DevOps", "Linux", "Networking", "Security", "Frontend",
    "Travel", "Photography", "Reading", "Cooking", "Music", "Life", "Career", "Design",
    "读书笔记", "随笔", "旅行", "技术",
]

TAGS = [
    "rust", "sqlite", "postgres", "tokio", "async", "http", "nginx", "docker", "kubernetes",
    "linux", "shell", "git", "vim", "python", "go", "typescript", "css", "performance",
    "testing", "debugging", "notes", "tutorial", "review", "weekly", "book", "film", "hiking",
    "coffee", "photo", "编程", "数据库", "前端", "后端", "生活", "阅读", "摄影", "旅行", "日记",
]

ADJECTIVES = [
    "Quiet", "Practical", "Curious", "Gentle", "Fast", "Small", "Hidden", "Simple", "Careful",
    "Late", "Early", "Honest", "Lazy", "Patient", "Strange", "Useful", "Modest", "Brief",
]
NOUNS = [
    "Notes", "Thoughts", "Lessons", "Experiments", "Patterns", "Mistakes", "Sketches", "Days",
    "Questions", "Benchmarks", "Journeys", "Habits", "Tools", "Letters", "Drafts",
]
SUBJECTS = [
    "async Rust", "SQLite indexes", "HTTP caching", "connection pools", "full-text search",
    "static sites", "a home server", "the borrow checker", "database migrations", "log rotation",
    "shell scripts", "code review", "a mountain trail", "film cameras", "sourdough bread",
    "learning Chinese", "a rainy week", "old notebooks", "TLS certificates", "backups",
]
ZH_TITLES = [
    "关于{}的一些思考", "{}笔记", "重新认识{}", "{}踩坑记录", "聊聊{}", "{}的那些事",
]
ZH_SUBJECTS = [
    "异步编程", "数据库索引", "全文搜索", "静态博客", "家庭服务器", "代码审查", "山间小路",
    "胶片相机", "慢跑", "读书", "周末", "旧笔记本", "备份策略", "日志", "缓存",
]

EN_SENTENCES = [
    "I spent most of the evening reading the documentation again, and this time it finally made sense.",
    "The first version worked, but it was slow in a way that only showed up under real traffic.",
    "It is tempting to reach for a bigger machine, yet most of the time the fix is a missing index.",
    "We measured twice, changed one thing, and measured again before drawing any conclusion.",
    "The trail climbed steadily through pine forest before opening onto a wide, windy ridge.",
    "A good default matters more than a clever option that nobody will ever discover.",
    "Logs told a different story than the dashboard, so we trusted the logs.",
    "Small, boring changes shipped often beat a heroic rewrite every single time.",
    "The coffee shop on the corner has become my unofficial office on Friday mornings.",
    "Reading old notes is humbling: half of the questions I had then still have no answer.",
    "Every cache is a promise that the data will not change behind your back.",
    "The compiler was right, as usual, and the bug was in my understanding of ownership.",
    "After a week of rain the river was loud and brown and full of branches.",
    "Writing things down is the cheapest way I know to think more clearly.",
    "Latency is a distribution, not a number, and the tail is where users live.",
    "We kept the schema simple and let the database do what databases do best.",
    "The old camera needs a new light seal, but the photos still have that warm grain.",
    "Nothing teaches you about backups quite like a disk that fails on a Sunday.",
    "Tests caught the regression, which is exactly what they are for.",
    "The harbour was calm at dawn, fishing boats drifting out one by one.",
]
ZH_SENTENCES = [
    "今天又把文档从头读了一遍，这一次终于看懂了其中的设计思路。",
    "第一个版本能跑，但在真实流量下暴露出了性能问题。",
    "很多时候我们想换一台更强的机器，其实缺的只是一个索引。",
    "先测量，再修改，然后再测量一次，最后才下结论。",
    "山路穿过松林缓缓向上，最后来到一片开阔的山脊。",
    "好的默认值比一个没人知道的巧妙选项更重要。",
    "日志讲述的故事和监控面板并不一样，所以我们相信日志。",
    "小而频繁的改动，总是胜过一次英雄式的重写。",
    "街角的咖啡馆已经成了我周五上午的临时办公室。",
    "翻看旧笔记让人谦卑：当年的很多问题至今仍没有答案。",
    "每一个缓存都是一个承诺：数据不会在你背后悄悄改变。",
    "编译器又一次是对的，错误出在我对所有权的理解上。",
    "连续下了一周的雨，河水变得浑浊而湍急。",
    "把事情写下来，是我所知道的让思路变清晰的最便宜的方法。",
    "延迟是一个分布而不是一个数字，用户就生活在长尾里。",
    "我们让表结构保持简单，让数据库去做它最擅长的事情。",
    "老相机需要换新的遮光条，但照片依然有温暖的颗粒感。",
    "没有什么比周日坏掉一块硬盘更能让人理解备份的意义。",
    "测试抓住了这次回归，这正是测试存在的意义。",
    "清晨的港口很平静，渔船一艘接一艘地驶向远方。",
]
EN_KEYWORD_SENTENCES = [
    "From the ridge we could see the old lighthouse at the end of the breakwater.",
    "The lighthouse keeper's logbook is the best example of an append-only log I know.",
    "A good metric is like a lighthouse: it does not steer the ship, it tells you where the rocks are.",
]
ZH_KEYWORD_SENTENCES = [
    "远处的灯塔在夜色里一闪一闪，像是在提醒晚归的渔船。",
    "好的监控指标就像一座灯塔，它不替你掌舵，只告诉你礁石在哪里。",
    "我们沿着防波堤一直走到尽头那座白色的灯塔下面。",
]

CODE_BLOCKS = [
    ("rust", "fn main() {\n    let items: Vec<u32> = (1..=10).collect();\n"
             "    let total: u32 = items.iter().sum();\n    println!(\"total = {total}\");\n}"),
    ("sql", "CREATE INDEX idx_items_published ON items (status, published_at DESC);\n"
            "EXPLAIN QUERY PLAN\nSELECT id, title FROM items\nWHERE status = 'published'\n"
            "ORDER BY published_at DESC LIMIT 10;"),
    ("bash", "#!/usr/bin/env bash\nset -euo pipefail\nfor f in logs/*.log; do\n"
             "  gzip -9 \"$f\"\ndone\nrsync -a --delete backups/ /mnt/offsite/"),
    ("python", "import statistics\n\nsamples = [12.1, 11.8, 13.4, 40.2, 12.0]\n"
               "print(statistics.median(samples))\nprint(max(samples))"),
    ("nginx", "location /static/ {\n    root /srv/site;\n    expires 30d;\n"
              "    add_header Cache-Control \"public\";\n}"),
    ("toml", "[server]\nlisten = \"127.0.0.1:8080\"\n\n[database]\nurl = \"sqlite:data/inkstone.db\"\n"
             "pool = 4"),
]

LIST_ITEMS_EN = [
    "measure before changing anything", "keep the change small", "write the test first",
    "check the query plan", "read the error message twice", "pack a rain jacket",
    "back up the database", "update the changelog", "sleep on big decisions",
    "ask for a second review",
]
LIST_ITEMS_ZH = [
    "先测量再动手", "每次只改一处", "先写测试", "看一眼查询计划", "把错误信息读两遍",
    "带上雨衣", "备份数据库", "更新变更日志", "重要的决定隔天再做", "请同事再看一遍",
]


def paragraph(rng, sentences, n_min, n_max, sep):
    return sep.join(rng.choice(sentences) for _ in range(rng.randint(n_min, n_max)))


def make_post(i, rng):
    chinese_title = rng.random() < 0.35
    if chinese_title:
        title = rng.choice(ZH_TITLES).format(rng.choice(ZH_SUBJECTS)) + f"（第 {i + 1} 篇）"
    else:
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} on {rng.choice(SUBJECTS)}, part {i + 1}"

    start = datetime(2012, 1, 1, tzinfo=timezone.utc)
    span = int((datetime(2025, 12, 31, tzinfo=timezone.utc) - start).total_seconds())
    date = start + timedelta(seconds=rng.randrange(span))
    category = rng.choice(CATEGORIES)
    tags = rng.sample(TAGS, rng.randint(2, 4))

    blocks = []
    target = rng.randint(2000, 3800)  # bytes of body text, before the keyword sentence
    lang, code = rng.choice(CODE_BLOCKS)
    code_at = rng.randint(1, 3)
    list_at = rng.randint(2, 5)
    size = 0
    n = 0
    while size < target:
        if n == code_at:
            block = f"```{lang}\n{code}\n```"
        elif n == list_at:
            items = LIST_ITEMS_ZH if rng.random() < 0.5 else LIST_ITEMS_EN
            block = "\n".join(f"- {item}" for item in rng.sample(items, rng.randint(3, 6)))
        elif n % 4 == 2:
            block = "## " + (rng.choice(ZH_SUBJECTS) if rng.random() < 0.5 else rng.choice(SUBJECTS).capitalize())
        elif rng.random() < 0.5:
            block = paragraph(rng, EN_SENTENCES, 2, 5, " ")
        else:
            block = paragraph(rng, ZH_SENTENCES, 2, 5, "")
        blocks.append(block)
        size += len(block.encode("utf-8")) + 2
        n += 1
    if i % 100 == 7:
        blocks.insert(rng.randint(1, len(blocks)), rng.choice(EN_KEYWORD_SENTENCES))
    if i % 100 == 42:
        blocks.insert(rng.randint(1, len(blocks)), rng.choice(ZH_KEYWORD_SENTENCES))
    body = "\n\n".join(blocks) + "\n"

    def q(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    front = [
        "---",
        f"title: {q(title)}",
        f"date: {date.strftime('%Y-%m-%d %H:%M:%S')}",
        f"categories: [{q(category)}]",
        "tags: [" + ", ".join(q(t) for t in tags) + "]",
        "---",
        "",
    ]
    return "\n".join(front) + body


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20240601
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    total = 0
    for i in range(count):
        text = make_post(i, rng)
        total += len(text.encode("utf-8"))
        with open(os.path.join(out, f"post-{i + 1:05d}.md"), "w", encoding="utf-8") as f:
            f.write(text)
    print(f"wrote {count} posts, {total / 1024 / 1024:.1f} MiB, avg {total / count / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
