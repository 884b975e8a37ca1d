"""Only the network modules make HTTP requests (import-linter cannot name a submodule of the
standard library, so this test keeps the rule): ``websub``, which pings the WebSub
hubs, the fetcher's one network module under ``fetch/``, and ``doctor.network``, whose
one GET checks that ``publisher serve`` answers at ``base_url``. Any other module that
touched the network would bypass their timeouts, politeness and retries."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "publisher"
CLIENTS = {"urllib.request", "http.client", "requests", "httpx", "urllib3", "aiohttp"}
ALLOWED = {"websub.py", "doctor/network.py"}


def test_only_the_websub_module_makes_http_requests() -> None:
    users = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(name in CLIENTS or name.split(".")[0] in CLIENTS for name in names):
                users.add(path.relative_to(PACKAGE).as_posix())
    fetchers = {user for user in users if user.startswith("fetch/")}
    assert len(fetchers) <= 1, fetchers
    assert users - fetchers == ALLOWED
