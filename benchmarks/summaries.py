"""Summary quality and speed on every summary dev set, next to Lead-3 and TextRank.

Run: .venv/bin/python benchmarks/summaries.py [--sets xsum,orangesum] [--dump DIR] [--ours DIR]

Sets (in <repo>/../shared/bench, or $PUBLISHER_BENCH_DIR):
- summ-dev: 100 BBC articles whose references are long extracts picked by a centrality-like
  method, so it over-rewards centrality (TextRank beats Lead-3 there, unlike on real news):
  read it for splitting, budgets and determinism, not as a target.
- summ-dev2's xsum, inshorts and orangesum: 200 articles each with a summary written by a
  person (BBC intros, Inshorts cards, French OrangeSum abstracts). Lead-3 is the bar there.

For each set, three systems under one budget (at most 3 sentences and 75 words):
- ours: ``summarize(article)`` with the defaults, the article built as the cleaner would
  (paragraphs as blocks, the set's language, Inshorts' headline as title);
- Lead-3 and the scoring itself from the shared scorer ``score_summaries.py`` (imported from
  the bench directory): its sentence splitter, its Lead rule (the first sentences that fit,
  stopping at 3 or >= 70 words), ROUGE-1/2/Lsum F1 x 100 (Porter stems for English; Unicode
  words with Snowball stems otherwise), and its paired bootstrap;
- TextRank: sumy's TextRank (Mihalcea & Tarau 2004) re-implemented over the scorer's
  sentences (edge = shared stemmed content words / (log |a| + log |b|), PageRank with damping
  0.85), then the same budget rule over its ranking, shown in article order.

Columns: ROUGE; words per summary; "=lead": share of summaries identical to Lead-3; "dangling":
summaries holding a sentence that leans on one the summary left out (by the summarizer's own
rule: a pronoun or connective opening anywhere but on the article's true first sentence, a
quotation attributed to a pronoun, a bare attribution; each sentence must follow the one before
it in the article); "junk": summaries holding a sentence the summarizer judges furniture; the
paired bootstrap 95% interval of the per-article ROUGE-1 difference ours - Lead-3; and all
summ-dev2 sets together (resampled within each set). Speed: summarize() per article, one core.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from publisher.models import Article, Block  # noqa: E402
from publisher.summarize import summarize  # noqa: E402
from publisher.summarize.keywords import STOPWORDS  # noqa: E402
from publisher.summarize.openings import guess_language, is_bad_opening  # noqa: E402
from publisher.summarize.sentences import is_junk, strip_dateline  # noqa: E402

SUMM_DEV2 = ("xsum", "inshorts", "orangesum")
SETS = ("summ-dev", *SUMM_DEV2)
SYSTEMS = ("Lead-3", "TextRank", "ours")
BOOTSTRAP = 10_000
SPEED_ROUNDS = 5
LONG_ARTICLES = 20  # the longest summ-dev articles, joined in pairs for the long-article speed
TEXTRANK_DAMPING = 0.85
TEXTRANK_EPSILON = 1e-4
# The scorer's bootstrap seed, so the intervals printed here are the ones it prints.
SEED = 7


def bench_dir() -> Path:
    return Path(os.environ.get("PUBLISHER_BENCH_DIR") or REPO.parent / "shared" / "bench")


def load_scorer() -> ModuleType:
    """The shared scorer ``score_summaries.py``, imported from the bench directory."""
    path = bench_dir() / "score_summaries.py"
    spec = importlib.util.spec_from_file_location("score_summaries", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: the shared summary scorer is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Item:
    """One article of a set: what the summarizer gets and what it is scored against."""

    id: str
    article: Article
    text: str  # paragraphs separated by blank lines (summ-dev: one sentence a line)
    reference: list[str]
    lang: str


def load_summ_dev(scorer: ModuleType) -> list[Item]:
    """summ-dev: the article's first line is its title; blank lines separate paragraphs."""
    root = bench_dir() / "summ-dev"
    items = []
    for path in sorted((root / "article").glob("*/*.txt")):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
        key = path.relative_to(root / "article").as_posix()
        article = Article(
            source=str(path),
            key=key,
            title=title.strip(),
            blocks=tuple(Block("paragraph", p) for p in paragraphs),
            language="en",
        )
        reference = (root / "summary" / key).read_text(encoding="utf-8")
        items.append(
            Item(key, article, "\n\n".join(paragraphs), scorer.as_sentences(reference), "en")
        )
    return items


def load_summ_dev2(name: str, scorer: ModuleType) -> list[Item]:
    """One summ-dev2 set: one JSON object a line (id, title, article, summary, lang)."""
    items = []
    for row in scorer.read_jsonl(str(bench_dir() / "summ-dev2" / f"{name}.jsonl")):
        paragraphs = [p.strip() for p in row["article"].split("\n\n") if p.strip()]
        article = Article(
            source=f"{name}/{row['id']}",
            key=str(row["id"]),
            title=row.get("title") or "",
            blocks=tuple(Block("paragraph", p) for p in paragraphs),
            language=row.get("lang", "en"),
        )
        reference = scorer.as_sentences(row["summary"])
        items.append(
            Item(str(row["id"]), article, row["article"], reference, row.get("lang", "en"))
        )
    return items


# --- TextRank --------------------------------------------------------------------------------


class TextRank:
    """sumy's TextRank over given sentences, with stemmed content words."""

    def __init__(self, scorer: ModuleType, lang: str) -> None:
        self.tokenizer = scorer.UnicodeTokenizer(lang)
        self.budget: Callable[[list[str]], list[str]] = scorer.lead_within_budget

    def words(self, sentence: str) -> list[str]:
        return [
            self.tokenizer.tokenize(word)[0]
            for word in re.findall(r"\w+", sentence.lower())
            if word not in STOPWORDS
        ]

    def ranks(self, sentences: Sequence[str]) -> list[float]:
        bags = [Counter(self.words(sentence)) for sentence in sentences]
        sizes = [sum(bag.values()) for bag in bags]
        n = len(sentences)
        weights = [[0.0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                shared = sum(bags[j][word] * count for word, count in bags[i].items())
                if shared:
                    norm = math.log(sizes[i] or 1) + math.log(sizes[j] or 1)
                    weights[i][j] = weights[j][i] = shared / norm if norm > 1e-9 else shared
        for row in weights:
            total = sum(row) + 1e-7
            row[:] = [value / total for value in row]
        rank = [1.0 / n] * n
        for _ in range(1000):  # bounded; converges in a few dozen steps
            following = [
                (1 - TEXTRANK_DAMPING) / n
                + TEXTRANK_DAMPING * sum(weights[i][j] * rank[i] for i in range(n))
                for j in range(n)
            ]
            delta = math.sqrt(sum((a - b) ** 2 for a, b in zip(following, rank, strict=True)))
            rank = following
            if delta < TEXTRANK_EPSILON:
                break
        return rank

    def summary(self, sentences: list[str]) -> list[str]:
        if not sentences:
            return []
        ranks = self.ranks(sentences)
        order = sorted(range(len(sentences)), key=lambda i: (-ranks[i], i))
        chosen = self.budget([sentences[i] for i in order])
        position = {sentence: i for i, sentence in reversed(list(enumerate(sentences)))}
        return sorted(chosen, key=lambda sentence: position.get(sentence, len(sentences)))


# --- Readability checks ----------------------------------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


def dangling(summary: Sequence[str], text: str, lang: str) -> bool:
    """True when a sentence of ``summary`` leans on one the summary left out.

    A sentence that opens with a pronoun, a connective or a pronoun-attributed quotation may
    stand only right after the article sentence it follows, or as the article's true first
    sentence (a dateline before it aside) for a referring word; positions are found in the
    article's text with white space normalised.
    """
    flat = _flat(text)
    language = guess_language(text, lang)
    end = -1  # where the previous summary sentence ended
    for sentence in summary:
        plain = _flat(sentence).removesuffix("…")
        at = flat.find(plain, max(end, 0))
        if at < 0:  # a standfirst given its full stop, a cut sentence
            at = flat.find(plain.rstrip("."), max(end, 0))
        before = flat[:at].strip() if at >= 0 else "?"
        first = not before or strip_dateline(before + " X") == "X"
        follows = at >= 0 and end >= 0 and not flat[end:at].strip()
        if not follows and is_bad_opening(sentence, first=first, language=language):
            return True
        end = at + len(plain) if at >= 0 else -1
    return False


def junk(summary: Sequence[str]) -> bool:
    """True when a sentence of ``summary`` is furniture or a fragment by the summarizer's rule.
    Quotation marks are left out of the judgement: the scorer's splitter cuts quotations that
    run over several sentences, and half a quotation is no junk line."""
    return any(
        is_junk(re.sub('["“”«»]', "", sentence))
        for sentence in summary
        if not sentence.endswith("…")
    )


# --- Scoring -------------------------------------------------------------------------------


@dataclass
class Scores:
    """Per-article results of one system on one set."""

    rouge: list[tuple[float, float, float]] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    same_as_lead: int = 0
    dangling: int = 0
    junk: int = 0

    def mean(self, index: int) -> float:
        return sum(row[index] for row in self.rouge) / len(self.rouge)


def score_set(
    items: list[Item], scorer: ModuleType, name: str, dump: Path | None, ours: Path | None
) -> dict[str, Scores]:
    """Summarise and judge every article of one set with each system; ``ours``: read our
    summaries from an earlier ``--dump`` instead (an earlier version, judged by today's
    rules)."""
    results = {system: Scores() for system in SYSTEMS}
    given = {}
    if ours is not None:
        given = {
            row["id"]: row["summary"] for row in scorer.read_jsonl(str(ours / f"{name}.jsonl"))
        }
    rankers: dict[str, TextRank] = {}
    dumped = []
    for item in items:
        ranker = rankers.setdefault(item.lang, TextRank(scorer, item.lang))
        sentences = scorer.split_sentences(item.text)
        lead = scorer.lead_within_budget(sentences)
        summaries = {
            "Lead-3": lead,
            "TextRank": ranker.summary(sentences),
            "ours": given[item.id] if given else list(summarize(item.article).sentences),
        }
        for system, summary in summaries.items():
            scores = results[system]
            scores.rouge.append(
                scorer.rouge(item.lang, item.reference, summary) if summary else (0.0, 0.0, 0.0)
            )
            scores.words.append(len(" ".join(summary).split()))
            scores.same_as_lead += _flat(" ".join(summary)) == _flat(" ".join(lead))
            scores.dangling += dangling(summary, item.text, item.lang)
            scores.junk += junk(summary)
        dumped.append({"id": item.id, "summary": summaries["ours"], "lead": lead})
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        with (dump / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for row in dumped:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return results


def differences(results: dict[str, Scores]) -> list[float]:
    """Per-article ROUGE-1 of ours minus Lead-3."""
    return [
        ours[0] - lead[0]
        for ours, lead in zip(results["ours"].rouge, results["Lead-3"].rouge, strict=True)
    ]


def stratified_interval(groups: list[list[float]]) -> tuple[float, float, float]:
    """Mean and 95% bootstrap interval of the pooled mean, resampling within each group."""
    rng = random.Random(SEED)
    total = sum(map(len, groups))
    means = sorted(
        sum(sum(group[rng.randrange(len(group))] for _ in group) for group in groups) / total
        for _ in range(BOOTSTRAP)
    )
    pooled = sum(map(sum, groups)) / total
    return pooled, means[int(0.025 * BOOTSTRAP)], means[min(BOOTSTRAP - 1, int(0.975 * BOOTSTRAP))]


def report(name: str, items: list[Item], results: dict[str, Scores], scorer: ModuleType) -> None:
    n = len(items)
    print(f"\n{name}: {n} articles, lang {','.join(sorted({item.lang for item in items}))}")
    print(
        f"{'system':<9} {'R1':>6} {'R2':>6} {'RLsum':>6} {'words':>6} {'=lead':>6} "
        f"{'dangling':>8} {'junk':>5}  R1 - Lead-3 (95% CI)"
    )
    lead = results["Lead-3"]
    for system in SYSTEMS:
        scores = results[system]
        interval = ""
        if system != "Lead-3":
            diff = [a[0] - b[0] for a, b in zip(scores.rouge, lead.rouge, strict=True)]
            low, high = scorer.bootstrap_ci(diff, BOOTSTRAP, SEED)
            interval = f"{sum(diff) / n:+.2f} [{low:+.2f}, {high:+.2f}]"
        print(
            f"{system:<9} {scores.mean(0):6.2f} {scores.mean(1):6.2f} {scores.mean(2):6.2f} "
            f"{sum(scores.words) / n:6.1f} {100 * scores.same_as_lead / n:5.0f}% "
            f"{scores.dangling:8d} {scores.junk:5d}  {interval}"
        )


def speed(articles: list[Article]) -> tuple[float, float]:
    """summarize()'s milliseconds of CPU per article (the best of SPEED_ROUNDS passes, as the
    machine is shared) and the articles' words on average (defaults, one core)."""
    best = math.inf
    for _ in range(SPEED_ROUNDS):
        start = time.process_time()
        for article in articles:
            summarize(article)
        best = min(best, time.process_time() - start)
    words = sum(article.word_count for article in articles) / len(articles)
    return 1000 * best / len(articles), words


def long_articles(articles: list[Article]) -> list[Article]:
    """The LONG_ARTICLES longest articles joined in pairs: one title, both bodies."""
    longest = sorted(articles, key=lambda article: -article.word_count)[:LONG_ARTICLES]
    return [
        Article(
            source=first.source,
            key=f"{first.key}+{second.key}",
            title=first.title,
            blocks=first.blocks + second.blocks,
            language=first.language,
        )
        for first, second in zip(longest[::2], longest[1::2], strict=True)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sets to run")
    parser.add_argument("--dump", type=Path, help="write our and Lead-3's summaries here")
    parser.add_argument("--ours", type=Path, help="score the summaries of an earlier --dump")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed runs")
    args = parser.parse_args(argv)
    scorer = load_scorer()
    chosen = [name for name in args.sets.split(",") if name]
    unknown = set(chosen) - set(SETS)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}; choose among {', '.join(SETS)}")
    print(f"Summary dev sets in {bench_dir()}; budget 3 sentences, 75 words")
    loaded: dict[str, list[Item]] = {}
    diffs: dict[str, list[float]] = {}
    for name in chosen:
        items = load_summ_dev(scorer) if name == "summ-dev" else load_summ_dev2(name, scorer)
        loaded[name] = items
        results = score_set(items, scorer, name, args.dump, args.ours)
        report(name, items, results, scorer)
        diffs[name] = differences(results)
    together = [name for name in SUMM_DEV2 if name in diffs]
    if len(together) > 1:
        mean, low, high = stratified_interval([diffs[name] for name in together])
        print(
            f"\nours - Lead-3, R1, {' + '.join(together)} together: "
            f"{mean:+.2f} [{low:+.2f}, {high:+.2f}] (bootstrap within each set)"
        )
    if args.no_speed:
        return
    print("\nsummarize() with the defaults, one core:")
    for name, items in loaded.items():
        ms, words = speed([item.article for item in items])
        print(f"  {name:<10} {ms:6.2f} ms per article ({words:,.0f} words on average)")
    if "summ-dev" in loaded:
        joined = long_articles([item.article for item in loaded["summ-dev"]])
        ms, words = speed(joined)
        print(f"  {'long':<10} {ms:6.2f} ms per article ({words:,.0f} words on average)")


if __name__ == "__main__":
    main()
