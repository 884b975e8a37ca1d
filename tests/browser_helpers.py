"""Headless Chromium for the tests that look at a page as a browser draws it.

The fonts are the test's own choice, not the machine's: Chromium is given a fontconfig
configuration that knows only DejaVu (Debian's fonts-dejavu-core, which `make test` installs)
and maps every generic family to it, so text measures the same on every machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <alias binding="same"><family>sans-serif</family><prefer><family>DejaVu Sans</family></prefer></alias>
  <alias binding="same"><family>serif</family><prefer><family>DejaVu Serif</family></prefer></alias>
  <alias binding="same"><family>monospace</family><prefer><family>DejaVu Sans Mono</family></prefer></alias>
  <match target="pattern"><edit name="family" mode="append"><string>DejaVu Sans</string></edit></match>
</fontconfig>
"""  # noqa: E501


def chromium_path() -> str | None:
    """Where Chromium is, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """Chromium's path; skips the test when it is missing, except in CI, where it fails."""
    browser = chromium_path()
    if browser is None:
        if IN_CI:
            pytest.fail("chromium is required in CI")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    if not FONT_DIR.is_dir():
        if IN_CI:
            pytest.fail(f"{FONT_DIR} is required in CI (fonts-dejavu-core)")
        pytest.skip(f"{FONT_DIR} is missing (apt-get install fonts-dejavu-core)")
    return browser


def chromium(work: Path, target: str, *flags: str) -> str:
    """Run headless Chromium on ``target`` (a URL) with ``flags``; returns what it printed
    (the DOM, with --dump-dom). ``work`` holds its profile and font configuration."""
    browser = require_chromium()
    fonts = work / "fontconfig"
    fonts.mkdir(parents=True, exist_ok=True)
    config = fonts / "fonts.conf"
    config.write_text(_FONTCONFIG.format(fonts=FONT_DIR, cache=fonts / "cache"), "utf-8")
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            f"--user-data-dir={work / 'profile'}",
            *flags,
            target,
        ],
        capture_output=True,
        timeout=120,
        check=True,
        env={**os.environ, "FONTCONFIG_FILE": str(config)},
    )
    return result.stdout.decode("utf-8", "replace")


class Page:
    """One tab of a headless Chromium driven over the DevTools protocol: load a page, type
    into it, run a script in it. For tests that need more than the DOM after load (a
    search typed into a box, axe-core's audit). Use as a context manager."""

    def __init__(
        self, work: Path, *, width: int = 1280, height: int = 900, flags: tuple[str, ...] = ()
    ) -> None:
        import websocket  # the test extra's websocket-client

        browser = require_chromium()
        fonts = work / "fontconfig"
        fonts.mkdir(parents=True, exist_ok=True)
        config = fonts / "fonts.conf"
        config.write_text(_FONTCONFIG.format(fonts=FONT_DIR, cache=fonts / "cache"), "utf-8")
        profile = work / "profile"
        self.process = subprocess.Popen(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                *flags,
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "FONTCONFIG_FILE": str(config)},
        )
        try:
            port = self._port(profile / "DevToolsActivePort")
            self.socket = websocket.create_connection(
                self._target(port), timeout=60, suppress_origin=True
            )
            self.next_id = 0
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.resize(width, height)
        except BaseException:
            self.process.kill()
            self.process.wait(timeout=30)
            raise

    def _port(self, marker: Path) -> int:
        for _ in range(600):  # at most a minute
            if marker.is_file() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.process.poll() is not None:
                raise RuntimeError("chromium exited before it listened")
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its debugging port")

    @staticmethod
    def _target(port: int) -> str:
        for _ in range(100):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.1)
        raise RuntimeError("chromium has no page to drive")

    def call(self, method: str, **params: object) -> dict:
        """Send one DevTools command and return its result (events on the way are dropped)."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        for _ in range(100_000):
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
        raise RuntimeError(f"{method}: no answer")

    def resize(self, width: int, height: int) -> None:
        """Lay the page out as a screen ``width`` CSS pixels wide."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )

    def open(self, url: str) -> None:
        """Load ``url`` and wait until its document is complete."""
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")

    def evaluate(self, expression: str) -> object:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, condition: str, *, tries: int = 300) -> object:
        """Wait (a bounded number of times) until a JavaScript condition holds; its value."""
        for _ in range(tries):
            value = self.evaluate(condition)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never true in the page: {condition}")

    def type(self, selector: str, text: str) -> None:
        """Focus the element ``selector`` and type ``text`` into it, as a keyboard would."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        for character in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", text=character, key=character)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=character)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # already gone: nothing to close
            self.call("Browser.close")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
