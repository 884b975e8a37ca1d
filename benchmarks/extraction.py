"""Extraction quality and speed of publisher.clean on the extraction dev sets, beside its peers.

Usage: .venv/bin/python benchmarks/extraction.py [--sets aeb-dev,wceb-dev] [--quick]
       [--halves] [--per-page N] [--save DIR] [--no-reference]

For each dev set (``aeb-dev``: 91 pages; ``wceb-dev``: 300 pages in four slices) and each
track (html: the pages as fetched; text: the same pages flattened to one block per line) it
runs the cleaner and, in the same run, trafilatura's default extraction and readability-lxml
(html track only: it needs markup), and prints F1 / precision / recall as the sets' own
scorer gives them (4-word shingles of articleBody), with wceb-dev's slices side by side
(their gold conventions differ: read per-slice scores before concluding). Then the speed:
milliseconds of CPU per page for the cleaner and trafilatura on each track, and their ratio.

Speed is CPU time of this (single-threaded) process, which other work on a shared machine
does not distort the way it distorts wall-clock time; each tool runs RUNS times and the
fastest run counts, with the cleaner's caches emptied before each run. --quick runs the
cleaner alone, once (for trying a change; the peers' rows need the full run).

--halves also scores two fixed halves of each set (pages split by id) to show whether a
change helps generally or only on some pages; --per-page N lists the N weakest pages; --save
DIR writes each tool's predictions as DIR/<set>-<track>-<tool>.json (the scorer's format).

Data: <repo>/../shared/bench (aeb-dev/, wceb-dev/ and score_extraction.py), or
$PUBLISHER_BENCH_DIR. trafilatura and readability-lxml are benchmark-only dependencies (the
"bench" extra).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib.util
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from publisher.clean import clean, html, scoring  # noqa: E402
from publisher.models import Article, RawDocument  # noqa: E402

# Each tool runs this many times per track; the fastest run counts (the usual timeit practice).
RUNS = 3
SETS = ("aeb-dev", "wceb-dev")
TRACKS = ("html", "text")
CLEANER = "publisher.clean"
TRAFILATURA = "trafilatura (default)"
READABILITY = "readability-lxml"
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
# Elements after which readability's HTML reads as a new line (so words do not run together).
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|li|tr|td|th|blockquote|pre|section|article)>|<br\s*/?>")

Runner = Callable[[str, dict[str, str], int], tuple[dict[str, str], float]]


@dataclass(frozen=True)
class DevSet:
    """One dev set: its ground truth, its pages on both tracks and each page's slice."""

    name: str
    truth: dict[str, dict[str, str]]
    pages: dict[str, dict[str, str]]  # track -> id -> text
    slices: dict[str, list[str]]  # slice name -> ids (empty when the set has none)


def bench_dir() -> Path:
    """The shared benchmark directory: $PUBLISHER_BENCH_DIR or <repo>/../shared/bench."""
    return Path(os.environ.get("PUBLISHER_BENCH_DIR") or REPO.parent / "shared" / "bench")


def load_scorer(root: Path) -> ModuleType:
    """The dev sets' own scorer module (score_extraction.py)."""
    spec = importlib.util.spec_from_file_location("score_extraction", root / "score_extraction.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no scorer at {root / 'score_extraction.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decode(data: bytes) -> str:
    """Decode a page the way a browser would, roughly: UTF-8, else its declared charset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        match = _CHARSET.search(data[:4096])
        try:
            return data.decode(match.group(1).decode() if match else "cp1252", "replace")
        except LookupError:
            return data.decode("cp1252", "replace")


def load_set(root: Path, name: str) -> DevSet:
    """A dev set from root/name: ground truth, both tracks, slices from index.tsv if any."""
    data = root / name
    if not (data / "ground-truth.json").exists():
        raise SystemExit(f"benchmark data not found in {data} (set PUBLISHER_BENCH_DIR)")
    truth = json.loads((data / "ground-truth.json").read_text("utf-8"))
    pages: dict[str, dict[str, str]] = {"html": {}, "text": {}}
    for page_id in sorted(truth):
        pages["html"][page_id] = decode(
            gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        )
        pages["text"][page_id] = (data / "text" / f"{page_id}.txt").read_text("utf-8")
    slices: dict[str, list[str]] = {}
    index = data / "index.tsv"
    if index.exists():
        for line in index.read_text("utf-8").splitlines()[1:]:
            page_id, slice_name = line.split("\t")[:2]
            if page_id in truth:
                slices.setdefault(slice_name, []).append(page_id)
    return DevSet(name, truth, pages, slices)


def run_cleaner(track: str, pages: dict[str, str], runs: int) -> tuple[dict[str, str], float]:
    """Predictions {id: body} and CPU seconds per page of publisher.clean on one track."""
    docs = [
        RawDocument(
            source=page_id,
            key=page_id,
            group="bench",
            text=text,
            kind=track,  # type: ignore[arg-type]
            encoding="utf-8",
            mtime=1_600_000_000.0,
            size=len(text),
            content_hash=page_id,
        )
        for page_id, text in pages.items()
    ]
    elapsed = float("inf")
    results: list[object] = []
    for _ in range(runs):
        # Timed cold: no pattern or class-name results carried over from the previous run.
        scoring.boilerplate_family.cache_clear()
        html.names_hint.cache_clear()
        gc.collect()
        start = time.process_time()
        results = [clean(doc) for doc in docs]
        elapsed = min(elapsed, time.process_time() - start)
    bodies = {
        doc.key: (r.body if isinstance(r, Article) else "")
        for doc, r in zip(docs, results, strict=True)
    }
    return bodies, elapsed / len(docs)


def _lines_as_html(text: str) -> str:
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line.strip())
    return f"<html><body>{paragraphs}</body></html>"


def _timed(
    extract: Callable[[str], str], inputs: dict[str, str], runs: int
) -> tuple[dict[str, str], float]:
    elapsed = float("inf")
    bodies: dict[str, str] = {}
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        bodies = {k: extract(v) for k, v in inputs.items()}
        elapsed = min(elapsed, time.process_time() - start)
    return bodies, elapsed / max(1, len(inputs))


def run_trafilatura(track: str, pages: dict[str, str], runs: int) -> tuple[dict[str, str], float]:
    """The same with trafilatura's default settings (text: each line as a paragraph)."""
    import trafilatura

    inputs = {k: (v if track == "html" else _lines_as_html(v)) for k, v in pages.items()}
    return _timed(lambda page: trafilatura.extract(page) or "", inputs, runs)


def run_readability(track: str, pages: dict[str, str], runs: int) -> tuple[dict[str, str], float]:
    """readability-lxml's article HTML, as text (one line per block)."""
    import logging

    from lxml import html as lxml_html
    from readability import Document

    logging.getLogger("readability").setLevel(logging.ERROR)

    def extract(page: str) -> str:
        try:
            summary = Document(page).summary(html_partial=True)
            if not summary.strip():
                return ""
            return lxml_html.fromstring(_BLOCK_END.sub("\\g<0>\n", summary)).text_content()
        except Exception:  # a page it cannot read is an empty extraction, as for any tool
            return ""

    return _timed(extract, pages, runs)


def score(scorer: ModuleType, truth: dict, bodies: dict[str, str], ids: list[str]) -> dict:
    """The scorer's result on the pages ids."""
    return scorer.score({k: truth[k] for k in ids}, {k: {"articleBody": bodies[k]} for k in ids})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated dev sets")
    parser.add_argument("--tracks", default=",".join(TRACKS), help="comma-separated tracks")
    parser.add_argument("--quick", action="store_true", help="the cleaner alone, one run")
    parser.add_argument("--no-reference", action="store_true", help="skip the peers")
    parser.add_argument("--halves", action="store_true", help="also score two halves of a set")
    parser.add_argument("--per-page", type=int, default=0, help="list the N weakest pages")
    parser.add_argument("--save", type=Path, help="write predictions into this directory")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else RUNS

    root = bench_dir()
    scorer = load_scorer(root)
    tools: list[tuple[str, Runner]] = [(CLEANER, run_cleaner)]
    if not (args.no_reference or args.quick):
        tools += [(TRAFILATURA, run_trafilatura), (READABILITY, run_readability)]
    tracks = [t for t in args.tracks.split(",") if t]
    speeds: dict[tuple[str, str, str], float] = {}
    means: list[float] = []
    for set_name in [s for s in args.sets.split(",") if s]:
        dev = load_set(root, set_name)
        ids = sorted(dev.truth)
        slices = sorted(dev.slices)
        named = f", slices {', '.join(slices)}" if slices else ""
        print(f"\n{set_name}: {len(ids)} pages{named}")
        header = ["track", "tool", "F1", "P", "R", "exact", "empty", *slices]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        weakest: list[tuple[str, str, float, float]] = []
        half_rows: list[str] = []
        for track in tracks:
            for name, runner in tools:
                if name == READABILITY and track != "html":
                    continue
                bodies, seconds = runner(track, dev.pages[track], runs)
                speeds[set_name, track, name] = seconds
                if args.save:
                    args.save.mkdir(parents=True, exist_ok=True)
                    slug = name.split()[0].replace(".", "-")
                    out = args.save / f"{set_name}-{track}-{slug}.json"
                    out.write_text(json.dumps({k: {"articleBody": v} for k, v in bodies.items()}))
                s = score(scorer, dev.truth, bodies, ids)
                if name == CLEANER:
                    means.append(s["f1"])
                cells = [f"{s[k]:.3f}" for k in ("f1", "precision", "recall", "exact")]
                cells.append(str(s["empty"]))
                for x in slices:
                    cells.append(f"{score(scorer, dev.truth, bodies, dev.slices[x])['f1']:.3f}")
                print(f"| {track} | {name} | " + " | ".join(cells) + " |")
                halves = {"half A": ids[0::2], "half B": ids[1::2]}
                for label, half in halves.items():
                    h = score(scorer, dev.truth, bodies, half)
                    half_rows.append(
                        f"| {track} | {name} | {label} | {h['f1']:.3f} | {h['precision']:.3f} "
                        f"| {h['recall']:.3f} |"
                    )
                if name == CLEANER:
                    weakest += [(track, k, p, r) for k, (p, r) in s["per_page"].items()]
        if args.halves:
            print("\n| track | tool | half | F1 | P | R |\n|---|---|---|---|---|---|")
            print("\n".join(half_rows))
        if args.per_page:
            print(f"\nweakest pages of {set_name} (track, id, P, R):")
            for track, page_id, p, r in sorted(weakest, key=lambda w: w[2] + w[3])[: args.per_page]:
                print(f"  {track:5} {page_id} P={p:.3f} R={r:.3f}")
    if means:
        print(f"\nmean cleaner F1 over the sets and tracks: {sum(means) / len(means):.4f}")
    print("\n| set | track | tool | ms of CPU per page | cleaner speed-up |\n|---|---|---|---|---|")
    for (set_name, track, name), seconds in speeds.items():
        base = speeds.get((set_name, track, CLEANER))
        ratio = f"{seconds / base:.1f}x" if base and name != CLEANER else ""
        print(f"| {set_name} | {track} | {name} | {1000 * seconds:.2f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
