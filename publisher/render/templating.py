"""The Jinja2 environment shared by the archive and the digest.

The user's own templates directory ([paths] templates) is searched before the built-in one,
so any template can be overridden by a file of the same name.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import jinja2

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _builtin_templates() -> Path:
    """The built-in templates: the package's ``templates`` directory in an installed wheel
    (pyproject.toml ships the top-level directory there), the top-level one in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


BUILTIN_TEMPLATES = _builtin_templates()


def template_dirs(user_dir: Path | None) -> list[Path]:
    """Where templates are looked up, first match wins."""
    return [user_dir, BUILTIN_TEMPLATES] if user_dir else [BUILTIN_TEMPLATES]


def environment(user_dir: Path | None) -> jinja2.Environment:
    """An autoescaping environment with the date filters the templates use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(user_dir)]),
        autoescape=jinja2.select_autoescape(("html", "html.j2", "xml", "xsl")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        # Its templates are read once: an environment serves one digest, or one presentation
        # signature of the archive (build.outputs). Checking them for changes meant a
        # stat of every template a page uses, for every page.
        auto_reload=False,
    )
    env.filters["isodate"] = lambda value: value.isoformat() if value else ""
    env.filters["longdate"] = _long_date
    env.filters["monthname"] = _month_name
    return env


def _month_name(month: str) -> str:
    """ "2026-11" as "November 2026"."""
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


def _long_date(value: datetime | None) -> str:
    # Locale-independent on purpose: output must be byte-identical on every machine.
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
