"""What several test modules share to run `publisher build` on their own inputs."""

from __future__ import annotations

from pathlib import Path


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
