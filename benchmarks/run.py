"""The performance benchmark of `publisher build` (issue 9): prints one Markdown table.

    python benchmarks/run.py                    # 1,000 and 10,000 articles, --jobs 2
    python benchmarks/run.py --work /tmp/bench  # keep (and reuse) corpora and outputs there

Every build runs as its own process, `python -m publisher build ... -q --jobs 2`, the way
cron runs it; its peak RSS is the largest of the build process and its workers (read from
RUSAGE_CHILDREN in a fresh wrapper process, so earlier builds do not count). Clean,
summarize and render are also timed in this process, on one core, to show where the time
goes. The small cold build is the best of three runs (the machines are shared). The corpus
comes from benchmarks/corpus.py and needs the shared dev pages
(<repo>/../shared/bench or $PUBLISHER_BENCH_DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# benchmarks/ is a directory of scripts, not a package: corpus.py is imported from here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from publisher import sources
from publisher.clean import clean_document
from publisher.config import load_settings
from publisher.mailing.issues import pending_digest
from publisher.models import Article, Entry, RawDocument
from publisher.render import archive
from publisher.render.feeds import render_feeds
from publisher.store import Store
from publisher.summarize import summarize

# Runs a command and prints the peak RSS (KiB on Linux) of it and everything it waited for.
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "status = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(status)\n"
)
# Documents timed in-process for the clean and summarize rows.
STAGE_SAMPLE = 500


@dataclass(frozen=True)
class Build:
    """One timed `publisher build` subprocess."""

    seconds: float
    peak_mb: float


def machine() -> str:
    """nproc, CPU model and Python version, for the record."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs (nproc), {model}, Python {platform.python_version()} "
        f"on {platform.system()} {platform.release()}"
    )


def ensure_corpus(work: Path, count: int) -> Path:
    """A corpus of ``count`` articles under ``work``, generated once and reused."""
    root = work / f"corpus-{count}"
    marker = root / ".complete"
    if not marker.exists():
        corpus.generate(count, root)
        marker.write_text(str(count))
    # Articles added by an earlier run go, so every run measures the same thing.
    for extra in root.glob("*/*"):
        if int(extra.name.split(".")[0]) >= count:
            extra.unlink()
    return root


def build(work: Path, inputs: Path, name: str, jobs: int) -> Build:
    """Run one build of ``inputs`` into ``work/name``; time it and read its peak RSS."""
    command = [
        sys.executable, "-c", _WRAPPER,
        sys.executable, "-m", "publisher", "build", "--input", str(inputs),
        "--out", str(work / name / "out"), "--state", str(work / name / "state.db"),
        "-q", "--jobs", str(jobs),
    ]  # fmt: skip
    start = time.perf_counter()
    # A quiet build prints only the files it skipped, on stderr: not wanted in the table.
    result = subprocess.run(
        command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"build of {inputs} failed with status {result.returncode}")
    return Build(seconds, int(result.stdout.split()[-1]) / 1024)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def stage_rates(inputs: Path) -> dict[str, float]:
    """Documents per second of each per-article stage, in this process (one core)."""
    files, _ = sources.discover([inputs])
    # Spread over the whole corpus: its files are sorted by site, and the first sites are not
    # the corpus's mix of plain-text and HTML pages.
    sample = files[:: max(1, len(files) // STAGE_SAMPLE)][:STAGE_SAMPLE]
    rates = {
        "read": len(sample) / timed(lambda: [sources.read(f, max_bytes=10 << 20) for f in sample]),
    }
    docs: list[RawDocument] = []
    for file in sample:
        doc = sources.read(file, max_bytes=10 << 20)
        if isinstance(doc, RawDocument):
            docs.append(doc)
    articles: list[Article] = []

    def clean_all() -> None:
        for doc in docs:
            result, _keys = clean_document(doc)
            if isinstance(result, Article):
                articles.append(result)

    rates["clean (with boilerplate keys, one parse)"] = len(docs) / timed(clean_all)
    # Per input kind too: a plain-text scrape and a whole HTML page (about 20 times its size,
    # parsed into a tree) cost very different amounts, and a user's mix decides the average.
    # Timed after the mixed run, which so still starts with cold caches.
    for kind in ("text", "html"):
        some = [doc for doc in docs if doc.kind == kind]
        if some:
            rates[f"clean ({kind} pages only, {len(some)})"] = len(some) / timed(
                lambda some=some: [clean_document(doc) for doc in some]
            )
    rates["summarize"] = len(articles) / timed(
        lambda: [summarize(a, sentences=3, words=75) for a in articles]
    )
    return rates


def render_times(work: Path, name: str) -> dict[str, float]:
    """Seconds to render each output from a built state (in process, nothing written)."""
    settings = load_settings(
        None,
        {"paths.out": work / name / "out", "paths.state": work / name / "state.db"},
        cwd=work,
    )
    times: dict[str, float] = {}
    with Store.open(settings.paths.state) as store:
        months = store.months()
        biggest = max(months, key=lambda m: months[m][0])
        site = archive.Archive(settings)
        month: list[Entry] = []
        # New articles land on the newest page of their month: the one a build rewrites.
        page = [i for i, _ in archive.month_parts(store.month_order(biggest))[-1][1]]
        times[f"the largest month ({months[biggest][0]:,}): its newest page's records"] = timed(
            lambda: month.extend(r.entry() for r in store.light_articles(ids=page))
        )
        times[f"archive month page ({len(month)} entries)"] = timed(
            lambda: site.month_page((biggest, 0), month, None, None)
        )
        newest = [r.entry() for r in store.articles(limit=100)]
        counts = {m: n for m, (n, _) in months.items()}
        times["archive index (newest entries, every month)"] = timed(
            lambda: site.index_page(newest[:50], counts)
        )
        times["archive: 100 article pages"] = timed(lambda: [site.article_page(e) for e in newest])
        feed = newest[: settings.feed.max_entries]
        times[f"feeds ({len(feed)} entries, 3 formats)"] = timed(
            lambda: render_feeds(feed, settings)
        )
        times["digest (pending, capped at max_items)"] = timed(
            lambda: pending_digest(store, settings)
        )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args.work.resolve(), args)
    else:
        with tempfile.TemporaryDirectory(prefix="publisher-bench-") as work:
            run(Path(work), args)


def run(work: Path, args: argparse.Namespace) -> None:
    """Measure everything, then print the table."""
    small, large, jobs = args.small, args.large, args.jobs
    print(f"machine: {machine()}", file=sys.stderr)
    print(f"generating corpora in {work} ...", file=sys.stderr)
    small_in, large_in = ensure_corpus(work, small), ensure_corpus(work, large)
    rows: list[tuple[str, str, str]] = []

    def cold(count: int, inputs: Path, name: str, runs: int = 1) -> Build:
        # The best of a few runs: on a shared machine, the slower ones measure the neighbours.
        results = []
        for _ in range(runs):
            shutil.rmtree(work / name, ignore_errors=True)
            print(f"cold build of {count:,} ...", file=sys.stderr)
            results.append(build(work, inputs, name, jobs))
        result = min(results, key=lambda b: b.seconds)
        best = f", best of {runs}" if runs > 1 else ""
        rows.append(
            (
                f"cold build, {count:,} articles (--jobs {jobs}{best})",
                f"{result.seconds:.1f} s = {count / result.seconds:,.0f} articles/s, "
                f"peak RSS {result.peak_mb:.0f} MB",
                ">= 800 articles/s" + (", <= 300 MB" if count >= 10_000 else ""),
            )
        )
        return result

    first = cold(small, small_in, "small", runs=3)
    second = cold(large, large_in, "large")
    rows.append(
        (
            f"cost ratio {large:,} / {small:,} articles",
            f"{second.seconds / first.seconds:.1f}x the time for {large / small:.0f}x the articles",
            "about 10x (linear)",
        )
    )
    noop = build(work, large_in, "large", jobs)
    rows.append(
        (
            f"no-op rebuild of {large:,}",
            f"{noop.seconds:.2f} s, peak RSS {noop.peak_mb:.0f} MB",
            "<= 1 s",
        )
    )
    corpus.generate(1, large_in, start=large)
    one = build(work, large_in, "large", jobs)
    rows.append(
        (
            f"1 new article among {large:,}",
            f"{one.seconds:.2f} s, peak RSS {one.peak_mb:.0f} MB",
            "<= 1 s",
        )
    )
    print("timing stages in process ...", file=sys.stderr)
    for stage, rate in stage_rates(small_in).items():
        rows.append((f"{stage} alone (1 core, in process)", f"{rate:,.0f} articles/s", ""))
    for what, seconds in render_times(work, "large").items():
        rows.append((f"render {what}, {large:,} archive", f"{seconds * 1000:,.0f} ms", ""))
    print(f"\n{machine()}\n")
    print("| measurement | result | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    (work / "results.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
