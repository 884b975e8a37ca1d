"""Headless Chromium for the tests that look at a page as a browser draws it.

The fonts are the test's own choice, not the machine's: Chromium is given a fontconfig
configuration that knows only DejaVu (Debian's fonts-dejavu-core, which `make test` installs)
and maps every generic family to it, so text measures the same on every machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
