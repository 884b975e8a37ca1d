"""Issue 20: `GET /healthz` says whether publishing is going on: 200 with the last build's and
the last send's time and outcome, 503 when no build is recorded, the last one failed, or it
is older than three of the schedule's build intervals. Builds and sends record how they
ended however they are run (cron, the daemon, by hand)."""

from __future__ import annotations

import http.client
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from smtp_helpers import smtp_server

from publisher.build import build
from publisher.cli import main
from publisher.config import Settings, load_settings
from publisher.errors import TemplateError
from publisher.serve import make_server
from publisher.serve.health import health_endpoint


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def _settings(seeds: Path, tmp_path: Path, **more: Any) -> Settings:
    return load_settings(
        None,
        {
            "paths.input": [seeds],
            "paths.out": tmp_path / "out",
            "paths.state": tmp_path / "state.db",
            "schedule.build": "15m",
            **more,
        },
    )


def _health(settings: Settings, at: datetime) -> tuple[int, dict[str, Any]]:
    status, body = health_endpoint(settings, lambda: at)()
    return status, json.loads(body)


def test_no_build_yet_is_unhealthy_and_creates_no_state(seeds_copy: Path, tmp_path: Path) -> None:
    settings = _settings(seeds_copy, tmp_path)
    status, body = _health(settings, datetime.now(UTC))
    assert status == 503
    assert body == {
        "status": "failing",
        "problem": "no build recorded",
        "build": None,
        "send": None,
    }
    assert not settings.paths.state.exists()


def test_a_build_and_a_send_are_reported(seeds_copy: Path, tmp_path: Path) -> None:
    settings = _settings(seeds_copy, tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    report = build(settings, now=now)
    status, body = _health(settings, now + timedelta(minutes=1))
    assert status == 200 and body["status"] == "ok" and body["problem"] is None
    written = len(report.written)
    assert body["build"] == {
        "time": now.isoformat(),
        "outcome": "ok",
        "detail": f"5 seen, 5 new, 0 changed, 0 unchanged, 0 skipped, {written} files written",
    }
    assert body["send"] is None
    with smtp_server(_Sink()) as port:
        config = tmp_path / "publisher.toml"
        config.write_text(
            f'[paths]\nstate = "{settings.paths.state}"\nout = "{settings.paths.out}"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        )
        assert main(["subscribers", "add", "--config", str(config), "-q", "a@example.org"]) == 0
        assert main(["send", "--config", str(config), "-q"]) == 0
    status, body = _health(settings, datetime.now(UTC))
    assert status == 200
    assert body["send"]["outcome"] == "ok" and "sent to 1" in body["send"]["detail"]


def test_a_failed_build_is_unhealthy(seeds_copy: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html.j2").write_text("{% for %}", encoding="utf-8")
    settings = _settings(seeds_copy, tmp_path, **{"paths.templates": templates})
    now = datetime.now(UTC).replace(microsecond=0)
    with pytest.raises(TemplateError):
        build(settings, now=now)
    status, body = _health(settings, now)
    assert status == 503
    assert body["build"]["outcome"] == "failed"
    assert (
        body["problem"].startswith("the last build failed: ") and "index.html.j2" in body["problem"]
    )


def test_a_build_three_intervals_old_is_unhealthy(seeds_copy: Path, tmp_path: Path) -> None:
    settings = _settings(seeds_copy, tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    build(settings, now=now)
    assert _health(settings, now + timedelta(minutes=44))[0] == 200
    status, body = _health(settings, now + timedelta(minutes=45))
    assert status == 503 and "3 scheduled builds missed" in body["problem"]
    # A crontab schedule counts its own fire times: hourly at :05.
    hourly = _settings(seeds_copy, tmp_path, **{"schedule.build": "5 * * * *"})
    last = datetime.fromisoformat(body["build"]["time"])
    third = last.replace(minute=5, second=0) + timedelta(hours=3 if last.minute >= 5 else 2)
    assert _health(hourly, third - timedelta(seconds=1))[0] == 200
    assert _health(hourly, third)[0] == 503


def test_healthz_is_served(seeds_copy: Path, tmp_path: Path) -> None:
    settings = _settings(seeds_copy, tmp_path)
    build(settings, now=datetime.now(UTC))
    server = make_server(
        settings.paths.out,
        "127.0.0.1",
        0,
        health=health_endpoint(settings, lambda: datetime.now(UTC)),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        assert response.getheader("Cache-Control") == "no-store"
        assert json.loads(response.read())["build"]["outcome"] == "ok"
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
