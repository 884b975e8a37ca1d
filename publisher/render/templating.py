"""The Jinja2 environment shared by the archive and the digest, and rendering with it.

The user's own templates directory ([paths] templates) is searched before the built-in one,
so any template can be overridden by a file of the same name. A template that cannot be
compiled or rendered (a syntax error, an undefined variable) is a TemplateError naming its
file and line, whatever the exception Jinja2 or the template's own code raised.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import TemplateError

if TYPE_CHECKING:
    # Imported where used: a build that renders nothing (template_dirs only) does without.
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


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja2's cache of compiled templates, in the system's temporary directory (per user,
    private), or none where that directory cannot be used.

    Only ever a speed-up: a full, read-only or unsafe temporary directory, or a damaged
    entry, compiles the templates as if there were no cache. An entry is checked against its
    template's source; its name also carries a digest of this module, whose options
    (trim_blocks, ...) shape the compiled code, so another version never reuses it.
    """
    import jinja2

    class BestEffort(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    shape = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    try:
        return BestEffort(pattern=f"publisher-{shape}-%s.cache")
    except (OSError, RuntimeError):  # RuntimeError: Jinja2 found the directory unsafe
        return None


def environment(user_dir: Path | None) -> jinja2.Environment:
    """An autoescaping environment with the date filters the templates use."""
    import jinja2

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
        # Compiled templates kept between processes: compiling them was about 0.14 s of
        # every build that renders anything (15 % of one new article's).
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["isodate"] = lambda value: value.isoformat() if value else ""
    env.filters["longdate"] = _long_date
    env.filters["monthname"] = month_name
    return env


def render(env: jinja2.Environment, name: str, context: Mapping[str, object]) -> str:
    """Template ``name`` of ``env`` rendered with ``context``; TemplateError when it breaks."""
    import jinja2

    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        where = _where(exc.filename or name, exc.lineno)
        raise TemplateError(f"{where}: {exc.message}", _HINT) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name} not found", _HINT) from None
    except Exception as exc:
        frame = _template_frame(exc.__traceback__, env)
        if frame is None:  # not the template's doing: our bug, with its traceback
            raise
        raise TemplateError(f"{_where(*frame)}: {_describe(exc)}", _HINT) from None


_HINT = "fix the template, or remove it from [paths] templates to use the built-in one"


def _where(filename: str, line: int) -> str:
    return f"template {filename}, line {line}"


def _describe(exc: Exception) -> str:
    import jinja2

    if isinstance(exc, jinja2.TemplateError):
        return str(exc.message)
    return f"{type(exc).__name__}: {exc}"


def _template_frame(
    traceback: TracebackType | None, env: jinja2.Environment
) -> tuple[str, int] | None:
    """The innermost frame of ``traceback`` that runs a template file (Jinja2 rewrites a
    render's traceback so that its frames carry the template's path and line)."""
    import jinja2

    loader = env.loader
    roots = loader.searchpath if isinstance(loader, jinja2.FileSystemLoader) else []
    found = None
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if any(code.co_filename.startswith(str(root)) for root in roots):
            found = (code.co_filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


def month_name(month: str) -> str:
    """ "2026-11" as "November 2026"."""
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


def _long_date(value: datetime | None) -> str:
    # Locale-independent on purpose: output must be byte-identical on every machine.
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
