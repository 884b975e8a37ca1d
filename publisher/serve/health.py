"""``GET /healthz``: whether publishing is going on, for a monitor or a load balancer.

200 with the last build's and the last send's time and outcome as JSON; 503 when no build is
recorded, the last one failed, or it is older than three of the schedule's build intervals.
The send is shown, not judged: a digest is daily, and its failures are its own report.
Imported by the ``serve`` command only (it needs the schedule, hence APScheduler).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus

from ..config import Settings
from ..errors import PublisherError
from ..jobs import LastRun, last_runs
from ..schedule import builds_missed
from .handler import Health

# Scheduled builds that may pass without one before the site is called stale.
STALE_AFTER = 3


def health_endpoint(settings: Settings, clock: Callable[[], datetime]) -> Health:
    """What answers GET /healthz (see the module), from the state at ``settings``."""

    def answer() -> tuple[HTTPStatus, bytes]:
        now = clock()
        try:
            build, send = last_runs(settings)
        except PublisherError as exc:
            build = send = None
            problem: str | None = f"cannot read the state: {exc.message}"
        else:
            problem = _problem(settings, build, now)
        body = {
            "status": "ok" if problem is None else "failing",
            "problem": problem,
            "build": _run(build),
            "send": _run(send),
        }
        status = HTTPStatus.OK if problem is None else HTTPStatus.SERVICE_UNAVAILABLE
        return status, (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode()

    return answer


def _problem(settings: Settings, build: LastRun | None, now: datetime) -> str | None:
    if build is None:
        return "no build recorded"
    if build.outcome != "ok":
        return f"the last build failed: {build.detail}"
    if builds_missed(settings, build.time, now, enough=STALE_AFTER):
        return f"no build since {build.time.isoformat()}: {STALE_AFTER} scheduled builds missed"
    return None


def _run(run: LastRun | None) -> dict[str, str] | None:
    if run is None:
        return None
    return {"time": run.time.isoformat(), "outcome": run.outcome, "detail": run.detail}
