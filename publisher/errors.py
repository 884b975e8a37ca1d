"""The exceptions the library raises; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class PublisherError(Exception):
    """A failure the user can act on: a message, and a hint saying what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nhint: {self.hint}"

    def __reduce__(self) -> tuple[type[PublisherError], tuple[str, str | None]]:
        # Raised in a worker process, it crosses back pickled: keep the hint.
        return type(self), (self.message, self.hint)


class ConfigError(PublisherError):
    """The configuration file or a command-line override is invalid."""

    exit_code = 2


class TemplateError(ConfigError):
    """A template (the user's own, or a built-in one) that cannot be compiled or rendered."""


class LockedError(PublisherError):
    """Another run holds the lock on the state database."""

    exit_code = 75  # EX_TEMPFAIL: cron may simply try again later


class DeliveryError(PublisherError):
    """The SMTP server refused our login, sender or security, so no recipient can be mailed
    (refusals of single recipients are reported in ``mail.SendReport``, not raised)."""
