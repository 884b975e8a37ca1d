"""Issue 8: secrets stay secret, files get safe permissions, the preview server stays local."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from smtp_helpers import smtp_server

from publisher.cli import main, make_parser

PASSWORD = "correct-horse-battery-staple"


def test_output_files_are_0644_and_state_0600(
    seeds_copy: Path, tmp_path: Path, workdir: Path
) -> None:
    out, state = tmp_path / "out", tmp_path / "state" / "state.db"
    assert (
        main(["build", "--input", str(seeds_copy), "--out", str(out), "--state", str(state), "-q"])
        == 0
    )
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    for path in state.parent.iterdir():
        if path.name.startswith("state.db"):  # the database and its WAL/shared-memory files
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_serve_listens_on_loopback_by_default() -> None:
    args = make_parser().parse_args(["serve"])
    assert args.bind == "127.0.0.1"


class _AcceptMail:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def test_password_never_printed_or_logged(
    seeds_copy: Path,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with smtp_server(
        _AcceptMail(),
        auth_require_tls=False,
        authenticator=lambda *args: AuthResult(success=False, handled=False),
    ) as port:
        config = tmp_path / "publisher.toml"
        config.write_text(
            f'[paths]\ninput = ["{seeds_copy}"]\nout = "{tmp_path / "out"}"\n'
            f'state = "{tmp_path / "state.db"}"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            'username = "digest"\ntimeout = 5\n'
        )
        monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
        assert main(["build", "--config", str(config), "-q"]) == 0
        assert main(["subscribers", "add", "--config", str(config), "ann@example.org"]) == 0
        code = main(["send", "--config", str(config), "-v"])
    captured = capsys.readouterr()
    assert code == 1
    assert "refused" in captured.err.lower() or "auth" in captured.err.lower()
    assert PASSWORD not in captured.out + captured.err
