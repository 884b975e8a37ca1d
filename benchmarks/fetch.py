"""The fetch benchmark (issue 19): 1,000 articles over 20 loopback hosts, fetched and built.

    python benchmarks/fetch.py                 # prints one Markdown table
    python benchmarks/fetch.py --articles 200  # a quicker look

The articles are the HTML pages of benchmarks/corpus.py (real pages varied; its plain-text
scrapes are left out: the web serves pages), served gzipped as a site would, spread over 20
hosts (127.0.0.10-29), each with an RSS feed of teasers, so every article's page is fetched.
``host_interval = "0s"``:
this measures the fetcher's own cost, not its politeness. The servers run in this process;
each measured run is a `python -m publisher` subprocess whose time, CPU and peak RSS
(RUSAGE_CHILDREN in a fresh wrapper) are read from outside:

* fetch and build, as `publisher build` does them: articles/s and peak RSS, beside a build
  of the same pages saved as files;
* fetch alone, on a fresh state: its CPU per article;
* clean alone on the same pages, in this process on one core: its CPU per article, for
  comparison (the fetcher must cost well under the cleaner).
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import corpus
from web_helpers import RSS, Answer, Item, Web, rss

from publisher.clean import clean_document
from publisher.models import RawDocument
from publisher.sources import decode

HOSTS = [f"127.0.0.{n}" for n in range(10, 30)]
# Runs a command; prints its children's peak RSS (KiB) and CPU seconds (user + system).
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "status = subprocess.run(sys.argv[1:]).returncode\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)\n"
    "sys.exit(status)\n"
)


def serve(web: Web, count: int) -> list[bytes]:
    """Route ``count`` corpus pages over the hosts, gzipped as a site serves them, each host
    with a feed of their teasers; return the pages' bytes."""
    pages: list[bytes] = []
    items: dict[str, list[Item]] = {host: [] for host in HOSTS}
    when = datetime(2026, 11, 20, tzinfo=UTC)
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
    index = 0
    while len(pages) < count:
        _site, name, data = corpus.article(index)
        index += 1
        if not name.endswith(".html.gz"):
            continue  # a plain-text scrape: the web serves pages
        number = len(pages)
        host = HOSTS[number % len(HOSTS)]
        pages.append(gzip.decompress(data))
        url = web.route(host, f"/a/{number}.html", Answer(200, data, headers))
        items[host].append(Item(f"Article {number}", url, f"a{number}", when, "<p>Teaser.</p>"))
    for host, entries in items.items():
        web.route(host, "/feed.xml", Answer(200, rss(entries), RSS))
    return pages


def configure(work: Path, name: str, web: Web) -> Path:
    root = work / name
    root.mkdir(parents=True)
    feeds = "".join(
        f'[[sources]]\nfeed = "{web.url(host, "/feed.xml")}"\nevery = "0s"\n' for host in HOSTS
    )
    config = root / "publisher.toml"
    config.write_text(
        '[paths]\nout = "out"\nstate = "state.db"\n'
        '[fetch]\nhost_interval = "0s"\nallow_private = true\n' + feeds
    )
    return config


def timed_run(config: Path, *args: str) -> tuple[float, float, float]:
    """Seconds, peak RSS (MB) and CPU seconds of `publisher ARGS --config CONFIG -q`."""
    command = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "publisher", *args,
               "--config", str(config), "-q"]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"publisher {' '.join(args)} failed: {result.stderr}")
    rss_kib, cpu = result.stdout.split()[-2:]
    return seconds, int(rss_kib) / 1024, float(cpu)


def clean_cost(pages: list[bytes]) -> float:
    """CPU seconds per page of cleaning the pages (one core, in process)."""
    docs = []
    for index, data in enumerate(pages):
        decoded = decode(data, "html")
        if isinstance(decoded, str):
            continue
        text, encoding = decoded
        docs.append(RawDocument(f"p{index}", f"p{index}", "bench", text, "html", encoding,
                                0.0, len(data), ""))  # fmt: skip
    start = time.process_time()
    for doc in docs:
        clean_document(doc)
    return (time.process_time() - start) / len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000)
    args = parser.parse_args()
    count = args.articles
    web = Web(HOSTS)
    try:
        print(f"serving {count:,} articles on {len(HOSTS)} hosts ...", file=sys.stderr)
        pages = serve(web, count)
        with tempfile.TemporaryDirectory(prefix="publisher-fetch-bench-") as directory:
            work = Path(directory)
            print("fetch and build ...", file=sys.stderr)
            both = timed_run(configure(work, "both", web), "build", "--jobs", "2")
            requests = len(web.requests())
            print("fetch alone ...", file=sys.stderr)
            alone = timed_run(configure(work, "alone", web), "fetch")
            print("build alone, the same pages as files ...", file=sys.stderr)
            files = work / "files" / "pages"
            files.mkdir(parents=True)
            for number, page in enumerate(pages):
                (files / f"{number:04d}.html").write_bytes(page)
            config = work / "files" / "publisher.toml"
            config.write_text(f'[paths]\ninput = ["{files}"]\nout = "out"\nstate = "state.db"\n')
            from_files = timed_run(config, "build", "--jobs", "2")
        print("clean alone ...", file=sys.stderr)
        cleaning = clean_cost(pages)
    finally:
        web.close()
    seconds, peak, _cpu = both
    fetch_seconds, fetch_peak, fetch_cpu = alone
    file_seconds, file_peak, _ = from_files
    rows = [
        (
            f"build alone, the same {count:,} pages as files (--jobs 2), for comparison",
            f"{file_seconds:.1f} s = {count / file_seconds:,.0f} articles/s, "
            f"peak RSS {file_peak:.0f} MB",
        ),
        (
            f"fetch + build, {count:,} articles over {len(HOSTS)} loopback hosts "
            '(host_interval "0s", --jobs 2)',
            f"{seconds:.1f} s = {count / seconds:,.0f} articles/s, peak RSS {peak:.0f} MB "
            f"({requests:,} requests)",
        ),
        (
            f"fetch alone, {count:,} articles (fresh state)",
            f"{fetch_seconds:.1f} s = {count / fetch_seconds:,.0f} articles/s, "
            f"{fetch_cpu / count * 1000:.2f} ms CPU per article (start-up included), "
            f"peak RSS {fetch_peak:.0f} MB",
        ),
        (
            "clean alone, the same HTML pages (1 core, in process)",
            f"{cleaning * 1000:.2f} ms CPU per article",
        ),
    ]
    print("\n| measurement | result |")
    print("|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
