"""What several test modules share to run `publisher` on their own inputs."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build_argv(inputs: Path, out: Path, state: Path, *extra: str) -> list[str]:
    """Arguments of `publisher build` for one input, output and state, on one process."""
    return [
        "build",
        "--input",
        str(inputs),
        "--out",
        str(out),
        "--state",
        str(state),
        "--jobs",
        "1",
        *extra,
    ]


def subprocess_env() -> dict[str, str]:
    """The environment for `python -m publisher` run in another directory: this checkout's
    code first (a relative PYTHONPATH, or an installed publisher from another checkout,
    would test other code), and no SMTP password from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_SMTP_PASSWORD"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env
