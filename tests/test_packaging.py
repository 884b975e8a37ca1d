"""The package a user installs: a wheel built from the checkout, installed into a new virtual
environment outside it, publishes the seeds (templates included) on its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tracked(tmp_path: Path) -> Path:
    """A copy of the files git tracks: what a clean clone holds, nothing built or cached."""
    source = tmp_path / "source"
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
        ).stdout
        names = [name for name in listed.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs git to list the checkout's files")
    for name in names:
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    return source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = _tracked(tmp)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp / "dist"),
         str(source)],
        check=True,
        timeout=600,
    )  # fmt: skip
    (found,) = (tmp / "dist").glob("publisher-*.whl")
    return found


def test_the_wheel_holds_every_package_and_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (REPO / "publisher").rglob("*.py"):
        name = module.relative_to(REPO).as_posix()
        assert name in names, f"{name}: add its package to [tool.setuptools] packages"
    for template in (REPO / "templates").iterdir():
        assert f"publisher/templates/{template.name}" in names


def test_an_installed_wheel_publishes_the_seeds_outside_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", str(wheel)],
        check=True,
        timeout=300,
    )  # fmt: skip
    # The dependencies come from the test environment's site-packages, added as a plain
    # path: its .pth files (the editable install of the checkout among them) are not run.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(REPO / "seeds", work / "seeds")
    where = subprocess.run(
        [str(python), "-c", "import publisher; print(publisher.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(env)), where
    result = subprocess.run(
        [str(env / "bin" / "publisher"), "build"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = work / "out"
    for name in ("feed.atom", "feed.rss", "feed.json", "index.html", "style.css", "digest.html"):
        assert (out / name).is_file(), name
    assert len(list((out / "articles").glob("*.html"))) == 5
