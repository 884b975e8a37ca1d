from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher.config import PASSWORD_ENV, load_settings
from publisher.errors import ConfigError


def test_defaults_work_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path)
    assert settings.paths.input == (Path("seeds"),)
    assert settings.paths.out == Path("out")
    assert settings.paths.state == Path(".publisher/state.db")
    assert settings.base_url == "http://localhost:8000/"
    assert settings.feed.max_entries == 50
    assert settings.config_path is None


def test_file_values_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "publisher.toml"
    config.parent.mkdir()
    config.write_text(
        '[site]\ntitle = "Morning Brief"\nbase_url = "https://news.example.org"\n'
        '[paths]\ninput = ["articles", "/abs/more"]\nout = "public"\n'
        '[feed]\nmax_entries = 10\n[digest]\nfrom = "Brief <brief@example.org>"\n'
        '[smtp]\nsecurity = "ssl"\nport = 465\n[schedule]\nbuild = "30s"\n'
    )
    settings = load_settings(config, cwd=tmp_path)
    assert settings.site.title == "Morning Brief"
    assert settings.base_url == "https://news.example.org/"
    assert settings.url("feed.atom") == "https://news.example.org/feed.atom"
    assert settings.paths.input == (config.parent / "articles", Path("/abs/more"))
    assert settings.paths.out == config.parent / "public"
    assert settings.feed.max_entries == 10
    assert settings.digest.from_ == "Brief <brief@example.org>"
    assert settings.smtp.security == "ssl" and settings.smtp.port == 465
    assert settings.schedule.build == "30s"


def test_default_file_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "publisher.toml").write_text('[site]\ntitle = "Local"\n')
    assert load_settings(cwd=tmp_path).site.title == "Local"


def test_command_line_overrides_win(tmp_path: Path) -> None:
    config = tmp_path / "publisher.toml"
    config.write_text('[paths]\nout = "public"\n')
    settings = load_settings(config, {"paths.out": Path("elsewhere"), "jobs": 2}, cwd=tmp_path)
    assert settings.paths.out == tmp_path / "elsewhere"
    assert settings.jobs == 2


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[site]\ntitel = "x"\n', "site.titel"),
        ('[feed]\nmax_entries = "many"\n', "feed.max_entries"),
        ('[smtp]\nsecurity = "tls"\n', "security"),
        ("[nonsense]\nx = 1\n", "[nonsense]"),
        ('[site]\nbase_url = "localhost"\n', "site.base_url"),
        ("[feed]\nmax_entries = 0\n", "feed.max_entries"),
        ("[site\n", "invalid TOML"),
    ],
)
def test_bad_keys_and_values_are_named(tmp_path: Path, text: str, named: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(config, cwd=tmp_path)
    assert named in str(info.value)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", cwd=tmp_path)


def test_password_only_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[smtp]\npassword = "secret"\n')
    with pytest.raises(ConfigError, match=r"smtp\.password"):
        load_settings(config, cwd=tmp_path)
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert load_settings(cwd=tmp_path).smtp.password == "s3cret"


@pytest.mark.parametrize(
    ("icon", "expected"),
    [
        ("icon.png", "https://news.example.org/pub/icon.png"),
        ("/static/icon.png", "https://news.example.org/static/icon.png"),
        ("https://cdn.example.net/icon.png", "https://cdn.example.net/icon.png"),
        ("", None),
    ],
)
def test_icon_url_is_absolute_whatever_is_given(tmp_path: Path, icon: str, expected: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[site]\nbase_url = "https://news.example.org/pub/"\nicon = "{icon}"\n')
    assert load_settings(config, cwd=tmp_path).icon_url == expected


def test_every_output_uses_the_same_icon_url(tmp_path: Path, seeds_copy: Path) -> None:
    from publisher.cli import main

    config = tmp_path / "c.toml"
    config.write_text(
        '[site]\nbase_url = "https://news.example.org/"\nicon = "https://cdn.example.net/i.png"\n'
        f'[paths]\ninput = ["{seeds_copy}"]\nout = "{tmp_path / "out"}"\n'
        f'state = "{tmp_path / "state.db"}"\n'
    )
    assert main(["build", "--config", str(config), "-q"]) == 0
    out = tmp_path / "out"
    for name in ("feed.atom", "feed.rss", "feed.json", "index.html", "digest.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert "https://cdn.example.net/i.png" in text, name
        assert "news.example.org/https:" not in text, name


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # Each of these goes into a header of the digest: a line break would end the header.
        ('[site]\ntitle = "Brief\\nBcc: x@example.org"\n', "site.title"),
        ('[digest]\nfrom = "Desk\\r\\n <desk@example.org>"\n', "digest.from"),
        ('[digest]\nreply_to = "desk@example.org\\nBcc: x@example.org"\n', "digest.reply_to"),
        ('[smtp]\nusername = "desk\\u0000"\n', "smtp.username"),
        ('[digest]\nfrom = "Publisher Digest"\n', "digest.from"),
        ('[digest]\nreply_to = "a@example.org, b@example.org"\n', "digest.reply_to"),
    ],
)
def test_values_that_cannot_go_into_a_mail_header_are_named(
    tmp_path: Path, text: str, named: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(config, cwd=tmp_path)
    assert named in str(info.value)


def test_addresses_in_the_usual_forms_are_accepted(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[digest]\nfrom = "\\"Desk, Morning\\" <desk@example.org>"\n'
        'reply_to = "editors@example.org"\n'
    )
    settings = load_settings(config, cwd=tmp_path)
    assert settings.digest.from_ == '"Desk, Morning" <desk@example.org>'
    assert settings.digest.reply_to == "editors@example.org"
    assert load_settings(cwd=tmp_path).digest.from_ == "Publisher Digest <digest@localhost>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[summary]\nwords = 3\n", "summary.words must be at least 5, not 3"),
        ("jobs = -1\n", "jobs must be at least 0, not -1"),
        ("[smtp]\nport = 70000\n", "smtp.port must be between 1 and 65535, not 70000"),
        # A negative timeout reached the socket and ended `send` in a ValueError.
        ("[smtp]\ntimeout = -1\n", "smtp.timeout must be more than 0, not -1.0"),
        ("[smtp]\ntimeout = 0\n", "smtp.timeout must be more than 0, not 0.0"),
        # Found at load, for every command: build and send date digests in it too.
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_value_out_of_range_says_what_the_range_is(
    tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(config, cwd=tmp_path)


def test_an_unknown_top_level_key_is_called_a_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("job = 2\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config, cwd=tmp_path)
    assert "unknown key job" in str(info.value) and "jobs" in str(info.value)
