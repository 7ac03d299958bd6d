"""No personal data in the logs (issue 19): every log record of the test run is written as production
writes it (``ops.logs.JsonFormatter``, one JSON object a line), and at the end of the session the files are
searched for the members' names and citizen IDs. Any found fails the run, naming the file and line, never
the datum.

* The test process: a handler on the root logger writes ``PARTYCARD_TEST_LOG`` (default
  ``.pytest-logs/run.jsonl`` in the repository).
* The processes the tests start (granian, job workers, ``partycard`` commands) inherit
  ``PARTYCARD_LOG_DIR`` (that file's folder): their settings add a handler writing ``<pid>.jsonl`` there
  (``ops.logs.logging_config``). The folder's ``*.jsonl`` are deleted at the session's start.
* What is searched for: every member saved during the run (a ``post_save`` receiver records the full name,
  birth name, alias and citizen ID, as written and without diacritics), names built like the seed
  generator's (family + middle + given name from ``registry.seeding.data``: the members a seed wrote with
  COPY send no signal), and any 12 digits that form a citizen ID (a known province code, Circular
  07/2016/TT-BCA art. 7).

The records are checked **unredacted** (no ``PiiRedactionFilter`` on these handlers): the filter is defence
in depth; a call that would need it is fixed at its source (log ids, not names).
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["Finding", "LogCheck", "PersonalData", "logs_scan"]

REPO = Path(__file__).resolve().parents[1]
# Twelve digits standing alone: a run of digits inside a hexadecimal token (a request id, a digest) is not
# a citizen ID.
_DIGITS12 = re.compile(r"(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])")
# A URL path (``/dang-vien/2/sua/``): the app's routes are Vietnamese words without diacritics and ids, never
# a member's name (names travel in query strings and bodies, which are not logged); test members named after
# those words ("Đảng Viên 2", "Có Mặt 1") would otherwise match their own routes. Names are searched in the
# rest of the line.
_URL_PATH = re.compile(r"(?<![^\s(:])/[^\s?#]*")
# Fields the logging machinery writes itself (random hex), not data.
_GENERATED_FIELDS = ("request_id",)
_WORD = re.compile(r"\w+")
_MAX_NAME_WORDS = 6


def _fold(text: str) -> str:
    """Without diacritics, lower case (đ → d): how a name may also be written."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(unicodedata.normalize("NFC", text)))


@dataclass
class PersonalData:
    """What must never be in a log: names (as word tuples, exact and folded) and citizen IDs."""

    names: set[tuple[str, ...]] = field(default_factory=set)
    citizen_ids: set[str] = field(default_factory=set)

    def add_name(self, name: str) -> None:
        words = _words(name)
        if len(words) >= 2:  # a single word ("An") is not a name on its own
            self.names.add(words)
            self.names.add(_words(_fold(name)))

    def add_citizen_id(self, value: str) -> None:
        if value:
            self.citizen_ids.add(value)


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    what: str  # "a citizen ID", "a member's name", "a seeded name": never the datum itself


class _SeedNames:
    """Names built as ``registry.seeding.people`` builds them: family, middle, given."""

    def __init__(self) -> None:
        from partycard.registry.seeding import data

        self.family = {f for f, _ in data.FAMILY_NAMES}
        self.middle = set(data.MIDDLE_MALE + data.MIDDLE_FEMALE)
        self.given = {tuple(g.split()) for g in data.GIVEN_MALE + data.GIVEN_FEMALE}
        self.given_sizes = sorted({len(g) for g in self.given})

    def found(self, words: tuple[str, ...]) -> bool:
        for i, word in enumerate(words):
            if word not in self.family or i + 1 >= len(words) or words[i + 1] not in self.middle:
                continue
            if any(tuple(words[i + 2 : i + 2 + n]) in self.given for n in self.given_sizes):
                return True
        return False


def _province_codes() -> frozenset[str]:
    from partycard.registry.citizen_id import PROVINCE_CODES

    return frozenset(PROVINCE_CODES)


def _text_of(line: str) -> str:
    """A JSON log line's values (its escapes undone), or the line itself if it is not JSON."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    if isinstance(entry, dict):
        return "\n".join(str(v) for k, v in entry.items() if k not in _GENERATED_FIELDS)
    return line


def _names_in(words: tuple[str, ...], names: set[tuple[str, ...]], firsts: set[str]) -> bool:
    for i, word in enumerate(words):
        if word not in firsts:
            continue
        for n in range(2, _MAX_NAME_WORDS + 1):
            if tuple(words[i : i + n]) in names:
                return True
    return False


def logs_scan(paths: Iterable[Path], data: PersonalData, *, seed_names: bool = True) -> list[Finding]:
    """Every line of ``paths`` that holds a citizen ID or a name of ``data``, or a seed-built name."""
    provinces = _province_codes()
    firsts = {name[0] for name in data.names}
    seeds = _SeedNames() if seed_names else None
    findings: list[Finding] = []
    for path in paths:
        try:
            handle = path.open(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        with handle:
            for number, line in enumerate(handle, 1):
                text = _text_of(line)
                for digits in _DIGITS12.findall(text):
                    if digits in data.citizen_ids or digits[:3] in provinces:
                        findings.append(Finding(path, number, "a citizen ID"))
                        break
                words = _words(_URL_PATH.sub(" ", text))
                text = " ".join(words)
                if _names_in(words, data.names, firsts) or _names_in(_words(_fold(text)), data.names, firsts):
                    findings.append(Finding(path, number, "a member's name"))
                elif seeds is not None and seeds.found(words):
                    findings.append(Finding(path, number, "a seeded member's name"))
    return findings


class LogCheck:
    """The pytest plugin (registered by tests/conftest.py)."""

    def __init__(self) -> None:
        configured = os.environ.get("PARTYCARD_TEST_LOG")
        self.log_file = Path(configured) if configured else REPO / ".pytest-logs" / "run.jsonl"
        self.log_dir = self.log_file.parent
        self.data = PersonalData()
        self.handler: logging.Handler | None = None

    def files(self) -> Iterator[Path]:
        yield self.log_file
        yield from sorted(p for p in self.log_dir.glob("*.jsonl") if p != self.log_file)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from partycard.ops.logs import JsonFormatter

        self.log_dir.mkdir(parents=True, exist_ok=True)
        for old in self.log_dir.glob("*.jsonl"):
            old.unlink()
        os.environ.setdefault("PARTYCARD_LOG_DIR", str(self.log_dir))  # for the processes tests start
        handler = logging.FileHandler(self.log_file, encoding="utf-8")
        handler.setFormatter(JsonFormatter())
        # First among the root's handlers: it must see each record before the console handler's
        # PiiRedactionFilter rewrites it in place (a filter changes the record every later handler gets).
        logging.getLogger().handlers.insert(0, handler)
        self.handler = handler
        self._record_members()

    def _record_members(self) -> None:
        """Every member saved in the run: its names and citizen ID join the searched data."""
        from django.db.models.signals import post_save

        from partycard.registry.models import Member

        def record(sender: Any, instance: Member, **kwargs: Any) -> None:
            names = (instance.full_name, getattr(instance, "birth_name", ""), getattr(instance, "alias", ""))
            for name in names:
                if name:
                    self.data.add_name(name)
            self.data.add_citizen_id(instance.citizen_id or "")

        post_save.connect(record, sender=Member, weak=False, dispatch_uid="tests.logcheck")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        root = logging.getLogger()
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if self.handler is not None:
            if self.handler not in root.handlers and reporter is not None:
                # A test reconfigured logging (dictConfig): the records after it were not written.
                reporter.write_line("tests/logcheck.py: warning: the session's log handler was removed")
            root.removeHandler(self.handler)
            self.handler.close()
        findings = logs_scan(self.files(), self.data)
        if not findings:
            return
        lines = [f"{f.path.relative_to(REPO) if f.path.is_relative_to(REPO) else f.path}:{f.line}: {f.what}"
                 for f in findings[:50]]  # fmt: skip
        message = (
            f"personal data in the logs of this run ({len(findings)} line(s); tests/logcheck.py). Log ids, "
            "not names or citizen IDs:\n  " + "\n  ".join(lines)
        )
        if reporter is not None:
            reporter.write_line("")
            reporter.write_sep("=", "personal data in the logs", red=True)
            reporter.write_line(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config: pytest.Config) -> None:
    """Registers the check once: from tests/conftest.py, or with ``-p tests.logcheck`` (its own test)."""
    if config.pluginmanager.get_plugin("partycard-logcheck") is None:
        config.pluginmanager.register(LogCheck(), "partycard-logcheck")
