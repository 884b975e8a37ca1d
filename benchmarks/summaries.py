"""Summary quality and speed on the BBC News Summary dev sample (bench/summ-dev).

Run: .venv/bin/python benchmarks/summaries.py

What it measures, for our summarizer and for the Lead baseline in the same run:
- ROUGE-1/2/L F-measure (rouge-score, with stemming) against the reference extracts, at two
  budgets: 3 sentences (no word cap), and 75 words (as many sentences as fit). Lead takes
  the first sentences in order that fit the same budget (cut like ours when the first alone
  is too long), using the same sentence splitter.
- "bad open": the share of summaries whose first sentence leans on missing context (a
  pronoun or connective, a dangling quote, a bare attribution), by the summarizer's rule.
- articles/s for summarize() (summary + terms + fingerprint), one core: on the dev articles
  (about 340 words), and on long ones (the 20 longest joined in pairs, 1,000+ words, as
  the build corpus often has) to show that the cost grows with length and no faster.

Caveat (from the data README): the references were chosen by a centrality-like method, so
this set over-rewards centrality; the summarizer is lead-biased on purpose, for news with
short human highlights. Read ROUGE here as a sanity check against Lead, not a target.
The data lives in <repo>/../shared/bench (override with PUBLISHER_BENCH_DIR).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rouge_score import rouge_scorer  # noqa: E402

from publisher.models import Article, Block  # noqa: E402
from publisher.summarize import split_sentences, summarize  # noqa: E402
from publisher.summarize.sentences import cut_to_words, is_bad_opening  # noqa: E402

BUDGETS = {"3 sentences": (3, 10_000), "75 words": (100, 75)}
SPEED_ROUNDS = 5
LONG_ARTICLES = 20  # the longest dev articles, joined in pairs for the long-article speed


def bench_dir() -> Path:
    return Path(os.environ.get("PUBLISHER_BENCH_DIR", REPO.parent / "shared" / "bench"))


def load() -> list[tuple[Article, str]]:
    """(article, reference) pairs; the article's first line is its title."""
    root = bench_dir() / "summ-dev"
    pairs = []
    for path in sorted((root / "article").glob("*/*.txt")):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
        article = Article(
            source=str(path),
            key=path.relative_to(root).as_posix(),
            title=title.strip(),
            blocks=tuple(Block("paragraph", p) for p in paragraphs),
        )
        reference = (root / "summary" / path.relative_to(root / "article")).read_text("utf-8")
        pairs.append((article, reference))
    return pairs


def lead(article: Article, sentences: int, words: int) -> tuple[str, ...]:
    """The first sentences in order that fit the budget."""
    chosen: list[str] = []
    used = 0
    for sentence in split_sentences(article.body):
        size = len(sentence.split())
        if len(chosen) == sentences or used + size > words:
            if not chosen:
                chosen.append(cut_to_words(sentence, words))
            break
        chosen.append(sentence)
        used += size
    return tuple(chosen)


def long_articles(articles: list[Article]) -> list[Article]:
    """The LONG_ARTICLES longest articles joined in pairs: one title, both bodies."""
    longest = sorted(articles, key=lambda article: -article.word_count)[:LONG_ARTICLES]
    return [
        Article(
            source=first.source,
            key=f"{first.key}+{second.key}",
            title=first.title,
            blocks=first.blocks + second.blocks,
        )
        for first, second in zip(longest[::2], longest[1::2], strict=True)
    ]


def speed(articles: list[Article], label: str) -> None:
    """Print summarize()'s throughput on ``articles`` (defaults, one core)."""
    start = time.perf_counter()
    for _ in range(SPEED_ROUNDS):
        for article in articles:
            summarize(article)
    elapsed = time.perf_counter() - start
    words = sum(article.word_count for article in articles) / len(articles)
    print(
        f"speed, {label} ({words:,.0f} words on average): "
        f"{SPEED_ROUNDS * len(articles) / elapsed:,.0f} articles/s, "
        f"{SPEED_ROUNDS * len(articles) * words / elapsed / 1000:,.0f}k words/s"
    )


def main() -> None:
    pairs = load()
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    print(f"BBC News Summary dev sample: {len(pairs)} articles ({bench_dir() / 'summ-dev'})")
    header = ("budget", "method", "R-1", "R-2", "R-L", "words", "bad open")
    print("{:<12} {:<8} {:>6} {:>6} {:>6} {:>6} {:>9}".format(*header))
    for budget, (sentences, words) in BUDGETS.items():
        methods = {
            "Lead": lambda a, s=sentences, w=words: lead(a, s, w),
            "ours": lambda a, s=sentences, w=words: summarize(a, sentences=s, words=w).sentences,
        }
        for name, method in methods.items():
            totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
            bad = length = 0
            for article, reference in pairs:
                summary = method(article)
                text = " ".join(summary)
                assert len(text.split()) <= words
                for key, score in scorer.score(reference, text).items():
                    totals[key] += score.fmeasure
                # The article's own first sentence may open with "He" (see is_bad_opening).
                first = summary[:1] == tuple(split_sentences(article.body)[:1])
                bad += bool(summary) and is_bad_opening(summary[0], first=first)
                length += len(text.split())
            n = len(pairs)
            print(
                f"{budget:<12} {name:<8} {100 * totals['rouge1'] / n:6.2f} "
                f"{100 * totals['rouge2'] / n:6.2f} {100 * totals['rougeL'] / n:6.2f} "
                f"{length / n:6.1f} {100 * bad / n:8.1f}%"
            )
    articles = [article for article, _ in pairs]
    print("summarize() with the defaults (3 sentences, 75 words), one core:")
    speed(articles, "dev articles")
    speed(long_articles(articles), f"{LONG_ARTICLES // 2} long articles")


if __name__ == "__main__":
    main()
