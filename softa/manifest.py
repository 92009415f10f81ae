"""Case manifests: the small TOML file that describes one coded session."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from softa.errors import ManifestError
from softa.roles import ROLE_EXPLANATION, is_role

#: Longest session the forms are laid out for; longer recordings are split.
MAX_SESSION_MINUTES = 240
WINDOW_MINUTES = 5
#: Speaking time is charted in 30-second bins (manual, stap 11).
BIN_SECONDS = 30
#: Case numbers travel in QR codes and file names: keep them to safe characters.
CASE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
PARTICIPANT_PATTERN = re.compile(r"^(H|C)([1-9][0-9]?)$")
#: A code of the right shape whose number may be out of range (H0, H100): named with the range.
CODE_SHAPE = re.compile(r"^(H|C)([0-9]+)$")
MAX_CODE_NUMBER = 99
#: People coded in one session: every participant adds form pages (a 240-minute session with 12 people
#: gives about 400 pages and 90,000 boxes, within the layout limits of softa.layout_check).
MAX_PARTICIPANTS = 12
#: A manifest is a few lines; anything larger is not one (and is not read into memory).
MAX_MANIFEST_BYTES = 64 * 1024
MAX_ROLE_LENGTH = 40
#: What to write for each field, quoted in the hint when the field is missing or wrong.
FIELD_EXAMPLES = {
    "case": 'case = "2024-017"',
    "date": "date = 2026-11-20",
    "minutes": "minutes = 60",
    "observers": 'observers = ["Anna de Vries", "Bram Jansen"]',
    "participants": '[[participants]] with code = "H1" and role = "hulpverlener"',
}
PARTICIPANT_FIELDS = ("code", "role")


@dataclass(frozen=True)
class Participant:
    """A person in the session, by code (H1 worker, C1 family member) and role, never by name."""

    code: str
    role: str

    @property
    def is_worker(self) -> bool:
        return self.code.startswith("H")


@dataclass(frozen=True)
class Manifest:
    """One coded session: case number, coding date, length, the two observers, the participants."""

    case: str
    date: dt.date
    minutes: int
    observers: tuple[str, str]
    participants: tuple[Participant, ...]

    @property
    def windows(self) -> int:
        """Number of 5-minute windows covering the session."""
        return -(-self.minutes // WINDOW_MINUTES)

    @property
    def bins(self) -> int:
        """Number of 30-second speaking-time bins covering the session."""
        return self.minutes * 60 // BIN_SECONDS

    @property
    def workers(self) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.is_worker)

    @property
    def clients(self) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if not p.is_worker)

    def participant(self, code: str) -> Participant:
        for p in self.participants:
            if p.code == code:
                return p
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "date": self.date.isoformat(),
            "minutes": self.minutes,
            "observers": list(self.observers),
            "participants": [{"code": p.code, "role": p.role} for p in self.participants],
        }


def _fail(source: str, field: str, problem: str, fix: str) -> ManifestError:
    return ManifestError(f"{source}: field '{field}' {problem}", hint=fix)


def parse_manifest(data: dict[str, Any], source: str = "manifest", *, check_roles: bool = True) -> Manifest:
    """Check a decoded manifest and return it typed; raise ManifestError naming the field.

    ``check_roles=False`` reads a manifest stored by an earlier version, registered before roles
    were checked against the role vocabulary, so that its data stays readable.
    """
    for field, example in FIELD_EXAMPLES.items():
        if field not in data:
            raise _fail(source, field, "is missing", f"add {example} (see samples/case_2024-017.toml)")
    unknown = sorted(set(data) - set(FIELD_EXAMPLES))
    if unknown:
        raise _fail(source, unknown[0], "is not a manifest field",
                    f"check the spelling; a manifest has only {', '.join(FIELD_EXAMPLES)}")
    case = data["case"]
    if not isinstance(case, str) or not CASE_PATTERN.match(case):
        raise _fail(source, "case", f"is {case!r}, not a case number",
                    'use letters, digits and hyphens only, e.g. case = "2024-017"')
    date = raw_date = data["date"]
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            date = None
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        shown = raw_date.isoformat() if isinstance(raw_date, dt.date) else repr(raw_date)
        raise _fail(source, "date", f"is {shown}, not a date", "write the coding date only, e.g. date = 2026-11-20")
    minutes = data["minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_SESSION_MINUTES:
        raise _fail(source, "minutes", f"is {minutes!r}, an impossible session length",
                    f"give the session length in whole minutes, 1 to {MAX_SESSION_MINUTES}")
    observers = data["observers"]
    if (not isinstance(observers, list) or len(observers) != 2
            or not all(isinstance(o, str) and o.strip() for o in observers)):
        raise _fail(source, "observers", "must list the two students' names",
                    'write observers = ["Anna de Vries", "Bram Jansen"]')
    raw_participants = data["participants"]
    if not isinstance(raw_participants, list):
        raise _fail(source, "participants", "is not a list of participants",
                    "write one [[participants]] table (double brackets) per person present")
    if not raw_participants:
        raise _fail(source, "participants", "is empty", "add a [[participants]] table per person present")
    if len(raw_participants) > MAX_PARTICIPANTS:
        raise _fail(source, "participants", f"lists {len(raw_participants)} people, more than the limit of "
                    f"{MAX_PARTICIPANTS} per session", f"code at most {MAX_PARTICIPANTS} participants per form pack; "
                    "split a larger meeting into sessions")
    participants: list[Participant] = []
    for n, raw in enumerate(raw_participants, start=1):
        where = f"participants[{n}]"
        if not isinstance(raw, dict) or "code" not in raw or "role" not in raw:
            raise _fail(source, where, "needs `code` and `role`", 'write code = "C1" and role = "moeder"')
        extra = sorted(set(raw) - set(PARTICIPANT_FIELDS))
        if extra:
            raise _fail(source, f"{where}.{extra[0]}", "is not a participant field",
                        "a participant has only code and role; never write a family member's name")
        code, role = raw["code"], raw["role"]
        numbered = CODE_SHAPE.match(code) if isinstance(code, str) else None
        if numbered and not PARTICIPANT_PATTERN.match(code):
            raise _fail(source, f"{where}.code", f"is {code!r}: the number after {numbered.group(1)} must be "
                        f"1 to {MAX_CODE_NUMBER}", f"number the {'workers' if code[0] == 'H' else 'family members'}"
                        f" {code[0]}1, {code[0]}2, ...")
        if not isinstance(code, str) or not PARTICIPANT_PATTERN.match(code):
            raise _fail(source, f"{where}.code", f"is {code!r}, not H<n> or C<n>",
                        "use H1, H2, ... for workers and C1, C2, ... for family members")
        if not isinstance(role, str) or not role.strip() or len(role) > MAX_ROLE_LENGTH:
            raise _fail(source, f"{where}.role", f"is {role!r}",
                        f'give a role, never a name, at most {MAX_ROLE_LENGTH} characters: "moeder", "zoon (14)"')
        if check_roles and not is_role(role):
            raise _fail(source, f"{where}.role", f"is {role.strip()!r}, which is not a role", ROLE_EXPLANATION)
        if any(p.code == code for p in participants):
            raise _fail(source, f"{where}.code", f"repeats {code}", "give every participant its own code")
        participants.append(Participant(code=code, role=role.strip()))
    manifest = Manifest(case=case, date=date, minutes=minutes,
                        observers=(observers[0].strip(), observers[1].strip()),
                        participants=tuple(participants))
    if not manifest.workers:
        raise _fail(source, "participants", "has no worker (hulpverlener)",
                    'add a participant with code = "H1" and role = "hulpverlener"')
    if not manifest.clients:
        raise _fail(source, "participants", "has no family member (cliënt)",
                    'add a participant with code = "C1" and a role such as "moeder"')
    return manifest


def load_manifest(path: Path) -> Manifest:
    """Read and check a case manifest TOML file."""
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{path}: {path.stat().st_size} bytes, larger than the limit of {MAX_MANIFEST_BYTES}"
                                " for a manifest", hint="give the case's .toml manifest (see samples/case_2024-017.toml)")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"{path}: no such file", hint="give the path of the case's .toml manifest") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid TOML ({exc})", hint="fix the syntax; see samples/case_2024-017.toml") from exc
    except RecursionError:
        raise ManifestError(f"{path}: not valid TOML (nested too deeply)",
                            hint="a manifest has flat fields and [[participants]] tables; see samples/case_2024-017.toml"
                            ) from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot be read ({exc.strerror or exc})",
                            hint="check the path and the file's permissions") from exc
    return parse_manifest(data, source=str(path))
