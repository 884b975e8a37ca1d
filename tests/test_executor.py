"""Issue 9: cleaning and summarizing in a process pool (or on any Executor) changes nothing.

A build with ``--jobs 2`` (or on a dask cluster) must write exactly the bytes of a build with
``--jobs 1``: the same corpus, the same clock, every output file compared.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from publisher.build import build, pool
from publisher.cli import main
from publisher.config import Settings, load_settings
from publisher.models import Article
from publisher.preview import clean_paths

REPO = Path(__file__).resolve().parent.parent
FIXED = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
# Enough articles that the pool is really used (build.pool.POOL_THRESHOLD is 64).
ARTICLES = 100


@cache
def _corpus_module() -> ModuleType:
    """benchmarks/corpus.py (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "benchmarks" / "corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up while being made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~100 generated articles (text, HTML and gzipped HTML when the dev pages are there)."""
    root = tmp_path_factory.mktemp("corpus")
    module = _corpus_module()
    # The dev pages add HTML and gzip to the mix when present; the seeds alone suffice.
    module.generate(ARTICLES, root, dev=(module.bench_dir() / "aeb-dev").is_dir())
    return root


def settings_for(corpus: Path, run: Path, jobs: int) -> Settings:
    return load_settings(
        None,
        {
            "paths.input": [corpus],
            "paths.out": run / "out",
            "paths.state": run / "state.db",
            "jobs": jobs,
        },
        cwd=run,
    )


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def serial(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every output file of a build with --jobs 1."""
    run = tmp_path_factory.mktemp("serial")
    report = build(settings_for(corpus, run, 1), now=FIXED)
    assert report.new > ARTICLES * 0.8
    return outputs(run / "out")


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Records the size of every process pool the pipeline starts."""
    sizes: list[int] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, max_workers: int | None = None, **options: Any) -> None:
            sizes.append(max_workers or 0)
            super().__init__(max_workers=max_workers, **options)

    monkeypatch.setattr(pool, "ProcessPoolExecutor", Counted)
    yield sizes


def test_two_jobs_write_the_same_bytes_as_one(
    corpus: Path, serial: dict[str, bytes], tmp_path: Path, pools: list[int]
) -> None:
    build(settings_for(corpus, tmp_path, 2), now=FIXED)
    assert pools == [2]
    parallel = outputs(tmp_path / "out")
    assert sorted(parallel) == sorted(serial)
    different = [name for name in serial if parallel[name] != serial[name]]
    assert different == []


def test_no_two_variants_of_a_page_are_alike(tmp_path: Path) -> None:
    """Every page the benchmark corpus is made from varies into distinct articles: each keeps
    its page's layout but not its article text, so no article is taken for the boilerplate
    of its site or for a duplicate of another."""
    module = _corpus_module()
    dev = (module.bench_dir() / "aeb-dev").is_dir()
    pages = module.templates(dev=dev)
    for number, page in enumerate(pages):
        for index in (1, 2):
            extension = "html" if page.kind == "html" else "txt"
            path = tmp_path / page.site / f"{number}-{index}.{extension}"
            path.parent.mkdir(exist_ok=True)
            path.write_text(module.variant(page, index, random.Random(index), dev=dev), "utf-8")
    cleaned = list(clean_paths([tmp_path], settings_for(tmp_path, tmp_path, 1)))
    rejected = [item for item in cleaned if not isinstance(item, Article)]
    assert rejected == []
    bodies = {a.source: "\n".join(b.text for b in a.blocks) for a in cleaned}
    alike = [
        name
        for name in bodies
        if name.endswith(("-1.html", "-1.txt"))
        and bodies[name] == bodies[name.replace("-1.", "-2.")]
    ]
    assert alike == []


def test_small_batches_stay_in_process(tmp_path: Path, pools: list[int]) -> None:
    inbox = tmp_path / "in"
    _corpus_module().generate(3, inbox, dev=False)
    report = build(settings_for(inbox, tmp_path, 2), now=FIXED)
    assert report.new + len(report.skipped) == 3
    assert pools == []


def test_any_executor_gets_the_work(
    corpus: Path, serial: dict[str, bytes], tmp_path: Path, pools: list[int]
) -> None:
    """The Executor seam: a caller's executor is used as given, even for --jobs 1."""
    with ProcessPoolExecutor(max_workers=2) as executor:
        build(settings_for(corpus, tmp_path, 1), now=FIXED, executor=executor)
    assert pools == []  # the pipeline starts no pool of its own
    assert outputs(tmp_path / "out") == serial


def test_dask_cluster_writes_the_same_bytes(
    corpus: Path, serial: dict[str, bytes], tmp_path: Path, workdir: Path
) -> None:
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed is not installed (pip install 'publisher[dask]')"
    )
    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        build(settings_for(corpus, tmp_path, 1), now=FIXED, executor=client.get_executor())
        assert outputs(tmp_path / "out") == serial
        # And through the command line, against the running scheduler's address.
        cli_run = tmp_path / "cli"
        status = main(
            [
                "build",
                "--input",
                str(corpus),
                "--out",
                str(cli_run / "out"),
                "--state",
                str(cli_run / "state.db"),
                "-q",
                "--executor",
                cluster.scheduler_address,
            ]
        )
    assert status == 0

    # The command line runs on the real clock: same files, but the digest issue, the month
    # page of undated articles and their month's history, sitemap and search shard are
    # named after today.
    def dated(names: Iterable[str]) -> list[str]:
        months = ("digests/", "archive/", "feeds/archive/", "sitemaps/2", "search/2")
        return sorted(n for n in names if not n.startswith(months))

    assert dated(outputs(cli_run / "out")) == dated(serial)


def test_executor_option_without_dask_is_a_clear_error(
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    status = main(
        [
            "build",
            "--input",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            "--state",
            str(tmp_path / "state.db"),
            "--executor",
            "tcp://127.0.0.1:8786",
        ]
    )
    assert status == 2
    error = capsys.readouterr().err
    assert "--executor tcp://127.0.0.1:8786 needs dask.distributed" in error
    assert "publisher[dask]" in error
