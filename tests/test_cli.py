from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import build_argv, subprocess_env

from publisher.cli import COMMANDS, main, make_parser

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _subparsers() -> dict[str, object]:
    parser = make_parser()
    (action,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return action.choices  # type: ignore[attr-defined,no-any-return]


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(_subparsers()) == set(COMMANDS)
    for name in COMMANDS:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
        text = capsys.readouterr().out
        assert "example:" in text and f"publisher {name}" in text, name
        assert "--config" in text and "--quiet" in text, name


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("publisher ")
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["clean"])
    assert info.value.code == 2


def test_bad_config_is_a_usage_error_naming_the_key(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "bad.toml").write_text("[feed]\nmax_entry = 3\n")
    assert main(["build", "--config", "bad.toml"]) == 2
    assert "feed.max_entry" in capsys.readouterr().err


def test_clean_json_contract(
    workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    assert main(["clean", "--json", str(SEEDS), str(bad)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 6
    errors = [obj for obj in lines if "error" in obj]
    assert errors == [{"source": str(bad), "error": "empty file"}]
    articles = [obj for obj in lines if "error" not in obj]
    for obj in articles:
        assert set(obj) == {"source", "title", "published", "author", "body"}
        assert obj["title"] and obj["title"] not in obj["body"].split("\n\n")[0]
        assert "\n\n" in obj["body"]
    by_source = {Path(o["source"]).name: o for o in articles}
    assert by_source["002_0baa4093cd508048.txt"]["published"].startswith("20")
    assert by_source["000_01eb114c8c4cb670.txt"]["title"] == (
        "The Taliban Receive Impetus After A Visit To China"
    )


def test_summarize_json_contract(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = SEEDS / "001_d3da1405dce3dce3.txt"
    assert main(["summarize", "--json", "--sentences", "2", "--words", "60", str(seed)]) == 0
    (obj,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(obj) == {"source", "title", "summary", "sentences"}
    assert 1 <= len(obj["sentences"]) <= 2
    assert len(obj["summary"].split()) <= 60
    assert obj["summary"] == " ".join(obj["sentences"])


def test_summarize_no_clean_takes_a_plain_body(
    workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.txt"
    body.write_text(
        "The council approved the new budget on Monday after a long debate.\n\n"
        "Spending on schools rises by four percent, the largest increase in a decade.\n\n"
        "Opposition members said the plan relied on optimistic tax forecasts.\n"
    )
    assert main(["summarize", "--json", "--no-clean", "--sentences", "1", str(body)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["title"] is None
    assert obj["sentences"] == [
        "The council approved the new budget on Monday after a long debate."
    ]


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "publisher", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("publisher ")


# Every cron build and fetch starts the program: each command loads what it uses, not
# what the others do (DKIM, DNS and the bounce classifier alone cost about 0.2 s).
_LOADED = (
    "import json, sys\n"
    "from publisher.cli import main\n"
    "status = main(sys.argv[2:])\n"
    "print(json.dumps(sorted(name for name in sys.argv[1].split(',') if name in sys.modules)))\n"
    "sys.exit(status)\n"
)


def _loaded(argv: list[str], modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` the real command line loaded to run ``argv``."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, ",".join(modules), *argv],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=True,
    )
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])  # after the command's own
    return loaded


def test_each_command_loads_what_it_uses(seeds_copy: Path, tmp_path: Path) -> None:
    mail_checks = ("dkim", "dns.resolver", "flufl.bounce", "publisher.doctor")
    argv = build_argv(seeds_copy, tmp_path / "out", tmp_path / "state.db", "-q")
    assert _loaded(argv, mail_checks) == []
    assert (tmp_path / "out" / "feed.atom").is_file()
    stages = ("publisher.build", "publisher.clean", "jinja2", *mail_checks)
    assert _loaded(["sources", "--state", str(tmp_path / "state.db")], stages) == []


def test_common_options_before_a_subscribers_action_are_kept(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `subscribers --help` lists them, so they must work there too: a --config dropped in
    # silence would add the address to ./.publisher/state.db instead of the configured one.
    (workdir / "conf").mkdir()
    (workdir / "conf" / "publisher.toml").write_text('[paths]\nstate = "st/state.db"\n')
    argv = ["subscribers", "--config", "conf/publisher.toml", "-q", "add", "ann@example.org"]
    assert main(argv) == 0
    assert capsys.readouterr().out == ""
    assert (workdir / "conf" / "st" / "state.db").is_file()
    assert not (workdir / ".publisher").exists()
    # After the action they work as before, and win over the ones before it.
    argv = ["subscribers", "--config", "nowhere.toml", "list", "--config", "conf/publisher.toml"]
    assert main(argv) == 0
    assert capsys.readouterr().out == "ann@example.org\t\n"


def test_a_reader_that_stops_early_ends_the_output_quietly(tmp_path: Path) -> None:
    # `publisher clean --json DIR | head -1`, with far more output than a pipe holds, so
    # the command is still writing when the reader goes away.
    for copy in range(40):
        shutil.copytree(SEEDS, tmp_path / "in" / str(copy))
    reader_gone = subprocess.Popen(
        [sys.executable, "-m", "publisher", "clean", "--json", "in"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=subprocess_env(),
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    assert json.loads(reader_gone.stdout.readline())["title"]
    reader_gone.stdout.close()
    err = reader_gone.stderr.read().decode()
    assert reader_gone.wait(timeout=60) == 1
    assert err == ""


def test_build_verbose_logs_what_happens(seeds_copy: Path, tmp_path: Path) -> None:
    # "-v (log what happens)": which files were read, and what each turned out to be.
    def build(*extra: str) -> str:
        argv = build_argv(seeds_copy, tmp_path / "out", tmp_path / "state.db", *extra)
        return subprocess.run(
            [sys.executable, "-m", "publisher", *argv],
            capture_output=True,
            text=True,
            check=True,
            env=subprocess_env(),
            cwd=tmp_path,
        ).stderr

    log = build("-v")
    assert "5 input files: 0 unchanged since the last run, 5 to read" in log
    for seed in seeds_copy.iterdir():
        assert f"new: {seed}" in log
    (seeds_copy / "000_01eb114c8c4cb670.txt").touch()
    assert build() == ""
    (seeds_copy / "001_d3da1405dce3dce3.txt").touch()
    log = build("-v")
    assert "5 input files: 4 unchanged since the last run, 1 to read" in log
    assert f"same text: {seeds_copy / '001_d3da1405dce3dce3.txt'}" in log


@pytest.mark.parametrize(
    "base_url",
    # The archive's links are relative, so a local preview works whatever base_url says:
    # the output need not be deployed first, nor served on base_url's port.
    ["http://localhost:8000/", "http://localhost:8080/", "https://news.example.org/daily/"],
)
def test_build_says_how_to_browse_what_it_wrote(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    config = tmp_path / "site.toml"
    config.write_text(f'[site]\nbase_url = "{base_url}"\n')
    out = tmp_path / "out"
    assert main([*build_argv(seeds_copy, out, tmp_path / "state.db"), "--config", str(config)]) == 0
    told = f"browse: publisher serve --out {out}   then open http://localhost:8000/index.html"
    assert told in capsys.readouterr().out.splitlines()
