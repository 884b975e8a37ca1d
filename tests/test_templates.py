"""A user's broken template, or a misplaced directory, is a message the user can act on: the
file and line, exit status 2, no traceback, and the output directory left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import REPO, build_argv

from publisher.cli import main

BUILTIN = REPO / "templates"


def _snapshot(out: Path) -> dict[str, bytes]:
    """Every file under ``out``, hidden temporaries included, with its bytes."""
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _templates(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A templates directory whose ``name`` is the built-in one with ``old`` made ``new``."""
    directory = tmp_path / "mine"
    directory.mkdir()
    text = (BUILTIN / name).read_text("utf-8")
    assert old in text
    (directory / name).write_text(text.replace(old, new, 1), "utf-8")
    return directory


@pytest.mark.parametrize(
    ("name", "old", "new", "says"),
    [
        # A syntax error: found when the template is compiled.
        (
            "article.html.j2",
            "{% block main %}",
            "{% block main %}{% if %}",
            "Expected an expression",
        ),
        # An undefined variable: found only while rendering, in the worker's page loop.
        ("article.html.j2", "{% block main %}", "{% block main %}{{ nothing.here }}", "nothing"),
        # The same in a page rendered after the article pages in the old order.
        ("index.html.j2", "{% block main %}", "{% block main %}{{ nothing }}", "nothing"),
        # A template's own code failing (an operation the value does not support).
        ("month.html.j2", "{% block main %}", "{% block main %}{{ month + 1 }}", "TypeError"),
    ],
)
def test_a_broken_template_names_its_file_and_line_and_leaves_out_as_it_was(
    seeds_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    old: str,
    new: str,
    says: str,
) -> None:
    out, state = tmp_path / "out", tmp_path / "state.db"
    assert main(build_argv(seeds_copy, out, state, "-q")) == 0
    before = _snapshot(out)
    mine = _templates(tmp_path, name, old, new)
    config = tmp_path / "publisher.toml"
    config.write_text(f'[paths]\ntemplates = "{mine}"\n', "utf-8")
    capsys.readouterr()
    status = main([*build_argv(seeds_copy, out, state, "-q"), "--config", str(config)])
    err = capsys.readouterr().err
    assert status == 2, err
    text = (mine / name).read_text("utf-8")
    line = text[: text.index(new)].count("\n") + 1
    assert f"template {mine / name}, line {line}: " in err
    assert says in err and "Traceback" not in err
    assert "hint:" in err
    assert _snapshot(out) == before
    # Fixed, the next build publishes it (nothing stale was recorded as rendered).
    (mine / name).write_text((BUILTIN / name).read_text("utf-8").replace(old, old + "<!--x-->"))
    assert main([*build_argv(seeds_copy, out, state, "-q"), "--config", str(config)]) == 0
    assert "<!--x-->" in "".join(
        p.read_text("utf-8") for p in out.rglob("*.html") if p.parent.name != "digests"
    )


def test_a_templates_directory_that_does_not_exist_is_a_configuration_error(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "publisher.toml"
    config.write_text('[paths]\ntemplates = "no-such-dir"\n', "utf-8")
    out = tmp_path / "out"
    argv = [*build_argv(seeds_copy, out, tmp_path / "state.db"), "--config", str(config)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"paths.templates: {tmp_path / 'no-such-dir'} does not exist" in err
    assert not out.exists()


def test_an_output_directory_that_is_a_file_is_an_error_that_says_so(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.html"
    out.write_text("mine", "utf-8")
    assert main(build_argv(seeds_copy, out, tmp_path / "state.db")) == 2
    assert f"paths.out: {out} is a file, not a directory" in capsys.readouterr().err
    assert out.read_text("utf-8") == "mine"
    assert not (tmp_path / "state.db").exists()


def test_compiled_templates_are_kept_between_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    from publisher.render.templating import environment

    # A template of its own, so that no other test has compiled it already.
    (tmp_path / "page.html.j2").write_text("<p>{{ title }}</p>\n", encoding="utf-8")
    assert environment(tmp_path).get_template("page.html.j2").render(title="a") == "<p>a</p>\n"
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: object, *args: object, **kw: object) -> object:
        compiled.append(str(args[0] if args else kw.get("name")))
        return compile_(self, source, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    # A new environment, as in the next build's process: the template is not compiled again.
    assert environment(tmp_path).get_template("page.html.j2").render(title="b") == "<p>b</p>\n"
    assert compiled == []
    # Its source changed: compiled again.
    (tmp_path / "page.html.j2").write_text("<p>[{{ title }}]</p>\n", encoding="utf-8")
    assert environment(tmp_path).get_template("page.html.j2").render(title="c") == "<p>[c]</p>\n"
    assert compiled == ["page.html.j2"]


def test_the_template_cache_is_only_ever_a_speed_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from publisher.render.templating import environment

    (tmp_path / "page.html.j2").write_text("<p>{{ title }}</p>\n", encoding="utf-8")
    # A temporary directory that cannot hold the cache (here a file): no cache, same page.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(blocked))
    assert environment(tmp_path).get_template("page.html.j2").render(title="a") == "<p>a</p>\n"
    # A damaged entry (a power cut mid-write, another program's file) is compiled anew.
    cache = tmp_path / "tmp"
    cache.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(cache))
    environment(tmp_path).get_template("page.html.j2")
    entries = list(cache.rglob("publisher-*.cache"))
    assert len(entries) == 1
    entries[0].write_bytes(entries[0].read_bytes()[:40])
    assert environment(tmp_path).get_template("page.html.j2").render(title="b") == "<p>b</p>\n"
