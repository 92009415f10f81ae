"""One exception hierarchy for the whole pipeline, each with an exit code.

Messages say what went wrong and what to do next, the way a user reads them on
the command line.
"""

from __future__ import annotations


class SoftaError(Exception):
    """Base class: every error softa reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ManifestError(SoftaError):
    """A case manifest is missing, unreadable or invalid."""

    exit_code = 2


class LayoutError(SoftaError):
    """A layout file or stored layout is missing or does not fit."""

    exit_code = 3


class DatabaseError(SoftaError):
    """The SQLite database cannot be opened or has the wrong schema."""

    exit_code = 4


class InputFileError(SoftaError):
    """A scan input (PDF, image) cannot be read; the batch goes on without it."""

    exit_code = 5


class UnresolvedDataError(SoftaError):
    """Export refused because flags or errors are still open."""

    exit_code = 6


class ConflictError(SoftaError):
    """A review decision on an item that changed since it was shown."""

    exit_code = 7


class ValidationFailed(SoftaError):
    """Validation found errors (exit code for `softa validate`)."""

    exit_code = 8


class ScanIncomplete(SoftaError):
    """Some pages were not identified or some files failed: a person must look."""

    exit_code = 9
