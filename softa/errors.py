"""One exception hierarchy for the whole pipeline, each with an exit code.

Messages say what went wrong and what to do next, the way a user reads them on
the command line.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status of `softa`, as the README's table lists them."""

    OK = 0
    OTHER = 1
    #: Wrong options or arguments (click's own usage errors, and options that do not fit together).
    USAGE = 2
    LAYOUT = 3
    DATABASE = 4
    INPUT_FILE = 5
    UNRESOLVED = 6
    CONFLICT = 7
    VALIDATION = 8
    SCAN_INCOMPLETE = 9
    MANIFEST = 10


class SoftaError(Exception):
    """Base class: every error softa reports to a user."""

    exit_code: int = ExitCode.OTHER

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class UsageError(SoftaError):
    """Options or arguments that do not fit together."""

    exit_code: int = ExitCode.USAGE


class ManifestError(SoftaError):
    """A case manifest is missing, unreadable or invalid."""

    exit_code: int = ExitCode.MANIFEST


class LayoutError(SoftaError):
    """A layout file or stored layout is missing or does not fit."""

    exit_code: int = ExitCode.LAYOUT


class DatabaseError(SoftaError):
    """The SQLite database cannot be opened or has the wrong schema."""

    exit_code: int = ExitCode.DATABASE


class InputFileError(SoftaError):
    """A scan input (PDF, image) cannot be read; the batch goes on without it."""

    exit_code: int = ExitCode.INPUT_FILE


class UnresolvedDataError(SoftaError):
    """Export refused because flags or errors are still open."""

    exit_code: int = ExitCode.UNRESOLVED


class ConflictError(SoftaError):
    """A review decision on an item that changed since it was shown."""

    exit_code: int = ExitCode.CONFLICT


class ValidationFailed(SoftaError):
    """Validation found errors (exit code for `softa validate`)."""

    exit_code: int = ExitCode.VALIDATION


class ScanIncomplete(SoftaError):
    """Some pages were not identified or some files failed: a person must look."""

    exit_code: int = ExitCode.SCAN_INCOMPLETE
