"""The performance benchmark of `publisher build` (issues 9 and 24): prints one Markdown table.

    python benchmarks/run.py                    # 1,000, 10,000 and 100,000 articles, --jobs 2
    python benchmarks/run.py --work /tmp/bench  # keep (and reuse) corpora and outputs there
    python benchmarks/run.py --huge 0           # without the 100,000 (and the cluster) rows

Every build runs as its own process, `python -m publisher build ... -q --jobs 2`, the way
cron runs it, with its bytecode compiled once beforehand (as an installed package has it:
this machine sets PYTHONDONTWRITEBYTECODE, which would make every timed run compile the
whole program from source); its peak RSS is the largest of the build process and its
workers (read from RUSAGE_CHILDREN in a fresh wrapper process, so earlier builds do not
count). The steady state (a no-op rebuild, one new article) is measured on archives of
each size, best of three, with the cost per archived article between the smallest and the
largest; the state database's size per article, beside the article's own stored text.
Pelican builds the same articles (their cleaned text, as Markdown) in the same run; a real
`dask scheduler` with two `dask worker` processes on loopback builds 5,000 articles with
`--executor`, byte for byte as a local build, and the coordinator's CPU per article is
shown. Clean, summarize and render are also timed in this process, on one core, to show
where the time goes. The small cold build is the best of three runs (the machines are
shared). The corpus comes from benchmarks/corpus.py and needs the shared dev pages
(<repo>/../shared/bench or $PUBLISHER_BENCH_DIR).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
REPO = Path(__file__).resolve().parent.parent
# Steady-state builds of each archive: the best of this many.
STEADY_RUNS = 3
# Articles built on the loopback dask cluster, and by Pelican beside the small corpus.
CLUSTER_ARTICLES = 5_000
PELICAN_SIZES = (1_000, 5_000)
# A build at a fixed clock (for byte-for-byte comparisons), printing its own CPU seconds.
_AT_CLOCK = (
    "import resource, sys\n"
    "from datetime import datetime\n"
    "from pathlib import Path\n"
    "from publisher.build import build\n"
    "from publisher.config import load_settings\n"
    "inputs, work, jobs, address = sys.argv[1:5]\n"
    "settings = load_settings(None, {'paths.input': [Path(inputs)],"
    " 'paths.out': Path(work) / 'out', 'paths.state': Path(work) / 'state.db',"
    " 'jobs': int(jobs)}, cwd=Path(work))\n"
    "now = datetime.fromisoformat('2026-12-01T06:00:00+00:00')\n"
    "if address:\n"
    "    from distributed import Client\n"
    "    with Client(address) as client:\n"
    "        build(settings, now=now, executor=client.get_executor())\n"
    "else:\n"
    "    build(settings, now=now)\n"
    "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print(usage.ru_utime + usage.ru_stime)\n"
)


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


def environment(work: Path) -> dict[str, str]:
    """The environment of every timed process: bytecode read from (and written to) a cache
    under ``work``, as an installed program reads its own."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def compile_program(work: Path) -> None:
    """Compile the program's bytecode into the cache of ``environment`` once, untimed."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "publisher")],
        env=environment(work),
        check=True,
        stdout=subprocess.DEVNULL,
    )


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
        command,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment(work),
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
        page = [i for i, _ in archive.month_parts(list(store.month_order(biggest)))[-1][1]]
        times[f"the largest month ({months[biggest][0]:,}): its newest page's records"] = timed(
            lambda: month.extend(r.entry() for r in store.light_articles(ids=page))
        )
        times[f"archive month page ({len(month)} entries)"] = timed(
            lambda: site.month_page((biggest, 0), month, None, None)
        )
        newest = [r.entry() for r in store.articles(limit=100)]
        counts = {m: n for m, (n, *_) in months.items()}
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


def steady(work: Path, inputs: Path, name: str, count: int, jobs: int) -> tuple[Build, Build]:
    """A no-op rebuild and one new article on the archive built in ``work/name``: the best
    of STEADY_RUNS each (each run adds another new article)."""
    noops = [build(work, inputs, name, jobs) for _ in range(STEADY_RUNS)]
    ones = []
    for run in range(STEADY_RUNS):
        corpus.generate(1, inputs, start=count + run)
        ones.append(build(work, inputs, name, jobs))
    return min(noops, key=lambda b: b.seconds), min(ones, key=lambda b: b.seconds)


def state_size(state: Path) -> tuple[int, int, int]:
    """(bytes of the state database with its log, articles, bytes of their stored text)."""
    wal = state.with_name(state.name + "-wal")
    size = state.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    with sqlite3.connect(state) as db:
        # Bytes, not characters (length of text counts characters).
        count, text = db.execute(
            "SELECT COUNT(*), SUM(length(CAST(data AS BLOB))) FROM articles"
        ).fetchone()
    return size, count, text


def vacuum(work: Path, name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "publisher", "state", "vacuum", "-q",
         "--state", str(work / name / "state.db")],
        cwd=work, check=True, env=environment(work),
    )  # fmt: skip


def markdown_for_pelican(state: Path, content: Path) -> int:
    """Write the articles the publisher cleaned (title, date, site, body) as Markdown
    files for Pelican under ``content``; return how many."""
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir(parents=True)
    count = 0
    with sqlite3.connect(state) as db:
        rows = db.execute(
            "SELECT slug, grp, published, data FROM articles WHERE duplicate_of IS NULL"
        )
        for slug, group, published, data in rows:
            article = json.loads(data)["article"]
            lines = [
                f"Title: {_one_line(article['title'])}",
                f"Date: {published[:16].replace('T', ' ')}",
                f"Category: {group}",
                f"Slug: {slug}",
                "",
            ]
            for block in article["blocks"]:
                text = _markdown_text(block[1])
                lines += [f"## {text}" if block[0] == "heading" else text, ""]
            (content / f"{slug}.md").write_text("\n".join(lines), "utf-8")
            count += 1
    return count


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _markdown_text(text: str) -> str:
    """Plain text as a Markdown paragraph that reads as the same text."""
    escaped = re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", _one_line(text))
    return re.sub(r"^([-+]|\d+\.)", r"\\\1", escaped)


_PELICAN_CONF = """
AUTHOR = "bench"
SITENAME = "bench"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = False
LOAD_CONTENT_CACHE = False
"""


def pelican(work: Path, name: str) -> float:
    """Seconds of one cold Pelican build of ``work/name/content`` (both site feeds on)."""
    site = work / name
    (site / "pelicanconf.py").write_text(_PELICAN_CONF)
    shutil.rmtree(site / "output", ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
        cwd=site, check=True, env=environment(work), stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def at_clock(work: Path, inputs: Path, name: str, jobs: int, address: str = "") -> float:
    """Build ``inputs`` into ``work/name`` at a fixed clock (on the dask scheduler at
    ``address`` when given); the build process's own CPU seconds."""
    result = subprocess.run(
        [sys.executable, "-c", _AT_CLOCK, str(inputs), str(work / name), str(jobs), address],
        cwd=work, check=True, env=environment(work), capture_output=True, text=True,
    )  # fmt: skip
    return float(result.stdout.split()[-1])


def same_outputs(first: Path, second: Path) -> bool:
    """Whether two builds wrote the same files, byte for byte, and the same articles."""

    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    names = files(first / "out")
    if names != files(second / "out"):
        return False
    _, mismatch, errors = filecmp.cmpfiles(first / "out", second / "out", names, shallow=False)
    if mismatch or errors:
        return False
    query = "SELECT * FROM articles ORDER BY id"
    with sqlite3.connect(first / "state.db") as a, sqlite3.connect(second / "state.db") as b:
        return a.execute(query).fetchall() == b.execute(query).fetchall()


@contextmanager
def dask_cluster(work: Path, workers: int) -> Iterator[str]:
    """A `dask scheduler` and ``workers`` one-thread `dask worker` processes on loopback;
    the scheduler's address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    env = environment(work)

    def start(*command: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [dask, *command],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    processes = [start("scheduler", "--host", "127.0.0.1", "--port", str(port))]
    try:
        for _ in range(workers):
            processes.append(start("worker", address, "--nthreads", "1", "--memory-limit", "0"))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def cluster_rows(work: Path, inputs: Path, count: int, jobs: int) -> list[tuple[str, str, str]]:
    """The cold build of ``inputs`` on a loopback dask cluster: the coordinator's CPU per
    article (a no-op build's subtracted: start-up and connecting), and whether the output
    is byte for byte a local build's."""
    for name in ("cluster", "cluster-local"):
        shutil.rmtree(work / name, ignore_errors=True)
    print(f"cold build of {count:,} on a loopback dask cluster ...", file=sys.stderr)
    with dask_cluster(work, 2) as address:
        start = time.perf_counter()
        cold = at_clock(work, inputs, "cluster", jobs, address)
        seconds = time.perf_counter() - start
        idle = at_clock(work, inputs, "cluster", jobs, address)
    at_clock(work, inputs, "cluster-local", jobs)
    same = same_outputs(work / "cluster", work / "cluster-local")
    per = (cold - idle) / count * 1000
    return [
        (
            f"cold build of {count:,} with --executor (dask scheduler + 2 workers, loopback)",
            f"{seconds:.1f} s = {count / seconds:,.0f} articles/s; coordinator CPU "
            f"{cold:.2f} s, of which {per:.2f} ms per article (a no-op's {idle:.2f} s "
            f"subtracted); output {'byte-identical to' if same else 'DIFFERENT from'} "
            "a local build",
            "< 0.5 ms per article, identical",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument(
        "--huge", type=int, default=100_000, help="the largest archive (0: leave it out)"
    )
    parser.add_argument(
        "--pelican",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=list(PELICAN_SIZES),
        help="sizes built by Pelican too, comma-separated",
    )
    parser.add_argument(
        "--cluster", type=int, default=CLUSTER_ARTICLES, help="articles built on dask (0: none)"
    )
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args.work.resolve(), args)
    else:
        with tempfile.TemporaryDirectory(prefix="publisher-bench-") as work:
            run(Path(work), args)


def run(work: Path, args: argparse.Namespace) -> None:
    """Measure everything, then print the table."""
    small, large, huge, jobs = args.small, args.large, args.huge, args.jobs
    print(f"machine: {machine()}", file=sys.stderr)
    print(f"generating corpora in {work} ...", file=sys.stderr)
    sizes = [small, large, *([huge] if huge else [])]
    inputs = {count: ensure_corpus(work, count) for count in sizes}
    compile_program(work)
    rows: list[tuple[str, str, str]] = []

    def cold(count: int, runs: int = 1) -> Build:
        # The best of a few runs: on a shared machine, the slower ones measure the neighbours.
        name = f"built-{count}"
        results = []
        for _ in range(runs):
            shutil.rmtree(work / name, ignore_errors=True)
            print(f"cold build of {count:,} ...", file=sys.stderr)
            results.append(build(work, inputs[count], name, jobs))
        result = min(results, key=lambda b: b.seconds)
        best = f", best of {runs}" if runs > 1 else ""
        rows.append(
            (
                f"cold build, {count:,} articles (--jobs {jobs}{best})",
                f"{result.seconds:.1f} s = {count / result.seconds:,.0f} articles/s, "
                f"peak RSS {result.peak_mb:.0f} MB",
                ">= 600 articles/s" + (", < 200 MB" if count >= 10_000 else ""),
            )
        )
        return result

    colds = {count: cold(count, runs=3 if count == small else 1) for count in sizes}
    rows.append(
        (
            f"cost ratio {large:,} / {small:,} articles",
            f"{colds[large].seconds / colds[small].seconds:.1f}x the time for "
            f"{large / small:.0f}x the articles",
            "about 10x (linear)",
        )
    )
    if huge:
        ratio = colds[huge].peak_mb / colds[large].peak_mb
        rows.append(
            (
                f"peak RSS, cold build of {huge:,} / of {large:,}",
                f"{ratio:.2f} ({colds[huge].peak_mb:.0f} / {colds[large].peak_mb:.0f} MB)",
                "<= 1.2, and < 200 MB",
            )
        )
    states = {count: state_size(work / f"built-{count}" / "state.db") for count in sizes}
    steady_results = {}
    for count in sizes:
        print(f"no-op and one new article among {count:,} ...", file=sys.stderr)
        steady_results[count] = steady(work, inputs[count], f"built-{count}", count, jobs)
        noop, one = steady_results[count]
        rows.append(
            (
                f"no-op rebuild of {count:,} (best of {STEADY_RUNS})",
                f"{noop.seconds:.2f} s, peak RSS {noop.peak_mb:.0f} MB",
                "< 1 s, the same at every size",
            )
        )
        rows.append(
            (
                f"1 new article among {count:,} (best of {STEADY_RUNS})",
                f"{one.seconds:.2f} s, peak RSS {one.peak_mb:.0f} MB",
                "< 1 s, the same at every size",
            )
        )
    first, last = sizes[0], sizes[-1]
    for index, what in ((0, "no-op rebuild"), (1, "1 new article")):
        slope = (
            (steady_results[last][index].seconds - steady_results[first][index].seconds)
            / (last - first)
            * 1e6
        )
        rows.append(
            (
                f"{what}: cost per archived article, {first:,} to {last:,}",
                f"{slope:+.2f} µs",
                "about 0 (was 16-43 µs)",
            )
        )
    for count in sizes:
        name = f"built-{count}"
        before = state_size(work / name / "state.db")[0]
        vacuum(work, name)
        states[count] = state_size(work / name / "state.db")
        size, articles, text = states[count]
        rows.append(
            (
                f"state database, {count:,} articles",
                f"{before / 1e6:,.0f} MB after the builds, {size / 1e6:,.0f} MB after "
                f"`state vacuum`; {(size - text) / articles:,.0f} bytes per article beside "
                f"its stored text ({text / articles:,.0f} bytes)",
                "",
            )
        )
    growth = ((states[last][0] - states[last][2]) - (states[first][0] - states[first][2])) / (
        states[last][1] - states[first][1]
    )
    rows.append(
        (
            f"state growth per article beyond its stored text, {first:,} to {last:,}",
            f"{growth:,.0f} bytes",
            "< 2 KB",
        )
    )
    rows += pelican_rows(work, args.pelican, inputs[small], colds[small], jobs)
    if args.cluster:
        rows += cluster_rows(work, ensure_corpus(work, args.cluster), args.cluster, jobs)
    print("timing stages in process ...", file=sys.stderr)
    for stage, rate in stage_rates(inputs[small]).items():
        rows.append((f"{stage} alone (1 core, in process)", f"{rate:,.0f} articles/s", ""))
    for what, seconds in render_times(work, f"built-{large}").items():
        rows.append((f"render {what}, {large:,} archive", f"{seconds * 1000:,.0f} ms", ""))
    print(f"\n{machine()}\n")
    print("| measurement | result | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    (work / "results.json").write_text(json.dumps(rows, indent=1))


def pelican_rows(
    work: Path, sizes: list[int], small_inputs: Path, small_cold: Build, jobs: int
) -> list[tuple[str, str, str]]:
    """Pelican against the publisher on the same articles, timed alternately in this run."""
    rows = []
    for count in sizes:
        inputs = ensure_corpus(work, count)
        name = f"pelican-{count}"
        ours: list[float] = [small_cold.seconds] if inputs == small_inputs else []
        theirs: list[float] = []
        for attempt in range(2):
            print(f"publisher and Pelican, {count:,} articles ...", file=sys.stderr)
            shutil.rmtree(work / f"built-p{count}", ignore_errors=True)
            ours.append(build(work, inputs, f"built-p{count}", jobs).seconds)
            if attempt == 0:
                markdown_for_pelican(work / f"built-p{count}" / "state.db", work / name / "content")
            theirs.append(pelican(work, name))
        best, pelican_best = min(ours), min(theirs)
        rows.append(
            (
                f"cold build of {count:,}: publisher (clean, summarize, --jobs {jobs}) / "
                "Pelican (clean Markdown, both feeds)",
                f"{best:.1f} s / {pelican_best:.1f} s = {best / pelican_best:.2f}",
                "<= 1.0",
            )
        )
    return rows


if __name__ == "__main__":
    main()
