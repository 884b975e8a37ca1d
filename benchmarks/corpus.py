"""A deterministic corpus of N distinct articles for the performance benchmarks.

Articles are made from real pages: the project's seeds, the extraction dev set
(``aeb-dev``: plain-text and gzipped HTML pages) and the summarization dev set (``summ-dev``:
BBC articles), found in ``<repo>/../shared/bench`` or ``$PUBLISHER_BENCH_DIR``. Each article
takes one page as its template and varies it with an RNG seeded by (seed, index): prose
paragraphs (in an HTML page, the runs of prose between its tags; menus and links stay where
they are) are permuted, the sentences inside them shuffled and joined by one sentence from
any page, one paragraph is swapped for a paragraph of another page, and the title gets a
unique number. So no two articles are duplicates, and article ``i`` is the same whatever N
is: the corpus of 10,000 holds the corpus of 1,000, and ``generate(1, out, start=10_000)``
adds "one new article" to it.

Files are laid out one directory per site (``<out>/<site>/<index>.<ext>``), as a scraper
would leave them, so the cross-document boilerplate memory sees realistic groups.

    python benchmarks/corpus.py 1000 /tmp/corpus
"""

from __future__ import annotations

import argparse
import gzip
import html as htmllib
import os
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DEFAULT_SEED = 9
# Every file gets a fixed modification time (plus its index), so two generated corpora are
# identical down to what `publisher build` stats.
EPOCH = 1_700_000_000

# Scripts written without spaces (Japanese, Chinese) end sentences with their own marks.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])|(?<=[。！？])(?=.)")
_TITLE = re.compile(r"(<title[^>]*>)(.*?)(</title>)", re.S | re.I)
_H1 = re.compile(r"(<h1[^>]*>)(.*?)(</h1>)", re.S | re.I)
# Text between two tags (group 2). Comments and the bodies of elements that hold no text a
# reader sees are matched whole first, so their text is never taken for prose.
_TEXT_RUN = re.compile(
    r"<!--.*?-->|<(script|style|textarea|title|noscript)\b.*?</\1\s*>|(?<=>)([^<]+)(?=<)",
    re.S | re.I,
)


@dataclass(frozen=True)
class Template:
    """One real page that articles are varied from."""

    site: str  # the directory its variants go to
    kind: str  # "text" or "html"
    text: str


def bench_dir() -> Path:
    """Where the shared dev sets live: $PUBLISHER_BENCH_DIR or <repo>/../shared/bench."""
    return Path(os.environ.get("PUBLISHER_BENCH_DIR") or REPO.parent / "shared" / "bench")


@cache
def templates(*, dev: bool = True) -> tuple[Template, ...]:
    """Every page the corpus is made from, in a fixed order.

    With ``dev=False`` only the seeds are used: enough for tests that need many distinct
    articles but must not depend on the benchmark data being present.
    """
    found: list[Template] = []
    for path in sorted(SEEDS.glob("*.txt")):
        found.append(Template(f"seed-{path.stem[:3]}", "text", path.read_text("utf-8")))
    if not dev:
        return tuple(found)
    base = bench_dir()
    aeb = base / "aeb-dev"
    for path in sorted((aeb / "text").glob("*.txt")):
        found.append(Template(f"aeb-{path.stem[:8]}", "text", path.read_text("utf-8")))
    for path in sorted((aeb / "html").glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        found.append(Template(f"aeb-{path.name[:8]}-html", "html", html))
    for path in sorted((base / "summ-dev" / "article").glob("*/*.txt")):
        found.append(Template(f"bbc-{path.parent.name}", "text", path.read_text("utf-8")))
    if len(found) <= len(list(SEEDS.glob("*.txt"))):
        raise SystemExit(f"no dev pages under {base}: set PUBLISHER_BENCH_DIR")
    return tuple(found)


_ENDS = ".!?\"”'’。！？」"


def _is_prose(line: str) -> bool:
    # Eight words, or forty characters: a script without spaces between words has one "word".
    return (len(line.split()) >= 8 or len(line.strip()) >= 40) and line.rstrip()[-1:] in _ENDS


def _single(text: str) -> str:
    return " ".join(text.split())


def _vary(
    paragraph: str, rng: random.Random, pool: tuple[str, ...], *, markup: bool = False
) -> str:
    """The paragraph's sentences shuffled, with one sentence from the pool put among them
    (escaped when the paragraph is HTML source: ``markup``).

    Shuffling alone leaves a one-sentence paragraph the same in every variant of its page,
    and the build would rightly take a line that recurs across a site's articles for
    boilerplate: real sites share navigation and footers, not prose.
    """
    sentences = _SENTENCE_END.split(_single(paragraph))
    rng.shuffle(sentences)
    if pool:
        sentence = rng.choice(pool)
        sentences.insert(
            rng.randrange(len(sentences) + 1), htmllib.escape(sentence) if markup else sentence
        )
    return " ".join(sentences)


@cache
def _sentence_pool(dev: bool) -> tuple[str, ...]:
    """Every sentence of every template's prose, as plain text, in a fixed order."""
    pool: list[str] = []
    for template in templates(dev=dev):
        lines = (
            [htmllib.unescape(m.group(2)) for m in _prose_runs(template.text)]
            if template.kind == "html"
            else [line for line in template.text.split("\n") if _is_prose(line)]
        )
        for line in lines:
            pool += [s for s in _SENTENCE_END.split(_single(line)) if len(s.split()) >= 5]
    return tuple(pool)


def _text_variant(
    template: Template, donor: Template, index: int, rng: random.Random, pool: tuple[str, ...]
) -> str:
    lines = template.text.split("\n")
    prose = [n for n, line in enumerate(lines) if _is_prose(line)]
    paragraphs = [_vary(lines[n], rng, pool) for n in prose]
    rng.shuffle(paragraphs)
    donated = [line for line in donor.text.split("\n") if _is_prose(line)]
    if paragraphs and donated:
        paragraphs[rng.randrange(len(paragraphs))] = rng.choice(donated).strip()
    for n, paragraph in zip(prose, paragraphs, strict=True):
        lines[n] = paragraph
    # The title is the first real line: make it unique.
    first = next((n for n, line in enumerate(lines) if line.strip()), 0)
    lines[first] = f"{lines[first].strip()} (report {index})"
    return "\n".join(lines)


def _html_variant(
    template: Template, donor: Template, index: int, rng: random.Random, pool: tuple[str, ...]
) -> str:
    html = template.text
    # Only the article's prose moves, among its own places, as in a text variant: shuffling
    # every <p> would pour sentences into menus and links into the article, a page no site
    # serves. Runs of text rather than <p> elements, as some pages set their article in
    # <span>s or between <br>s, and their variants would otherwise all be the same article.
    runs = _prose_runs(html)
    texts = [_vary(m.group(2), rng, pool, markup=True) for m in runs]
    rng.shuffle(texts)
    donated = _prose_runs(donor.text)
    if texts and donated:
        texts[rng.randrange(len(texts))] = rng.choice(donated).group(2).strip()
    parts: list[str] = []
    last = 0
    for match, text in zip(runs, texts, strict=True):
        run = match.group(2)
        # The run's own white space stays: it may be all that separates it from a tag.
        lead, trail = run[: len(run) - len(run.lstrip())], run[len(run.rstrip()) :]
        parts += [html[last : match.start(2)], lead, text, trail]
        last = match.end(2)
    parts.append(html[last:])
    html = "".join(parts)
    suffix = f" (report {index})"
    html = _TITLE.sub(lambda m: m.group(1) + m.group(2).strip() + suffix + m.group(3), html, 1)
    return _H1.sub(lambda m: m.group(1) + m.group(2) + suffix + m.group(3), html, 1)


def _prose_runs(html: str) -> list[re.Match[str]]:
    """The page's runs of text between two tags that read as prose."""
    return [m for m in _TEXT_RUN.finditer(html) if m.group(2) and _is_prose(_single(m.group(2)))]


def article(index: int, seed: int = DEFAULT_SEED, *, dev: bool = True) -> tuple[str, str, bytes]:
    """Article ``index`` of the corpus: (site directory, file name, file bytes)."""
    rng = random.Random(seed * 1_000_003 + index)
    pages = templates(dev=dev)
    template = pages[rng.randrange(len(pages))]
    text = variant(template, index, rng, dev=dev)
    if template.kind == "html":
        # mtime=0 in the gzip header: the same article is the same bytes on every run.
        data = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
        return template.site, f"{index:06d}.html.gz", data
    return template.site, f"{index:06d}.txt", text.encode()


def variant(template: Template, index: int, rng: random.Random, *, dev: bool = True) -> str:
    """The text of ``template`` varied into article ``index``, drawing on ``rng``."""
    pages = templates(dev=dev)
    donors = [page for page in pages if page.kind == template.kind and page is not template]
    vary = _html_variant if template.kind == "html" else _text_variant
    return vary(template, rng.choice(donors), index, rng, _sentence_pool(dev))


def generate(
    count: int, out: Path, *, start: int = 0, seed: int = DEFAULT_SEED, dev: bool = True
) -> list[Path]:
    """Write articles ``start .. start + count - 1`` under ``out``; return their paths."""
    written = []
    for index in range(start, start + count):
        site, name, data = article(index, seed, dev=dev)
        path = out / site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (EPOCH + index, EPOCH + index))
        written.append(path)
    return written


def main() -> None:
    """Command line: ``corpus.py COUNT OUT [--start I] [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--start", type=int, default=0, help="index of the first article")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    paths = generate(args.count, args.out, start=args.start, seed=args.seed)
    print(f"{len(paths)} articles in {args.out}")


if __name__ == "__main__":
    main()
