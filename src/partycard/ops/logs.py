"""Structured logs: one JSON object per line, a request id on every line of a request, and personal data
redacted as a last line of defence.

Python's own ``logging`` with a small formatter rather than a library (python-json-logger): the format is
a dozen fields, the formatter is the only code, and it adds no dependency to keep up to date. Imported by
the LOGGING configuration before the apps are loaded: the standard library only, no Django, no models.

Log calls log ids and counts, never personal data (docs/observability.md). :class:`PiiRedactionFilter` is
defence in depth for a call that forgets it: it masks 12-digit citizen IDs and Vietnamese phone numbers in
the message, its arguments and the traceback text. The test run checks the logs for names and citizen IDs
without that filter (tests/logcheck.py), so a leak is fixed at its source rather than hidden.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "REDACTED",
    "JsonFormatter",
    "PidFileHandler",
    "PiiRedactionFilter",
    "logging_config",
    "pii_redact",
    "request_id",
    "request_id_var",
]

#: The current request's id (``ops.middleware.RequestIdMiddleware``), or "" outside a request.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("partycard_request_id", default="")

REDACTED = "[redacted]"

# A citizen ID (CCCD): exactly 12 digits (Circular 07/2016/TT-BCA art. 7), not part of a longer number.
_CITIZEN_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
# A Vietnamese phone number: 0 or +84/84, then 9 digits, the first a mobile (3, 5, 7, 8, 9) or landline (2)
# prefix (10-digit numbering, MIC Circular 22/2014/TT-BTTTT as amended), with the spaces, dots or dashes
# people write between groups.
_PHONE = re.compile(r"(?<![\d+])(?:\+84|84|0)[\s.-]?[235789](?:[\s.-]?\d){8}(?!\d)")

# The LogRecord attributes of the standard library; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_PLAIN = (str, int, float, bool)


def request_id() -> str:
    """The id of the request being served in this context ("" outside a request)."""
    return request_id_var.get()


def pii_redact(text: str) -> str:
    """``text`` with every citizen ID and phone number replaced by ``[redacted]``."""
    if not any(c.isdigit() for c in text):  # most messages: no digit, no regex
        return text
    return _PHONE.sub(REDACTED, _CITIZEN_ID.sub(REDACTED, text))


class PiiRedactionFilter(logging.Filter):
    """Masks citizen IDs and phone numbers in a record's message, arguments, traceback and text extras
    (set on the handlers, so that it sees the records of every logger). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the formatter to report as logging does
            return True
        redacted = pii_redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = pii_redact(record.exc_text)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and isinstance(value, str):
                record.__dict__[key] = pii_redact(value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
    ``message``, ``request_id`` (when in a request), ``process``, ``exc_info`` (the traceback text) and
    the plain values (text, numbers, booleans) the call passed in ``extra=``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            entry["request_id"] = rid
        entry["process"] = record.process
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            # Plain values only: an object's text is not ours to vouch for (Django's ``request`` extra
            # prints the full path with its query string, where a search may carry a name).
            if key not in _STANDARD and key not in entry and isinstance(value, _PLAIN):
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


class PidFileHandler(logging.Handler):
    """Appends each record to ``<directory>/<pid>.jsonl``, the pid taken at each write, so that the
    processes a server forks after loading the settings (granian's workers) each write their own file.

    ``PARTYCARD_LOG_DIR`` (``logging_config``) turns it on: the test run sets it so that the servers and
    workers its tests start leave their logs where the session's personal-data check reads them.
    """

    def __init__(self, directory: str) -> None:
        super().__init__()
        self.directory = Path(directory)
        self._pid = 0
        self._stream: TextIO | None = None
        self._open_lock = threading.Lock()

    def _current(self) -> TextIO:
        pid = os.getpid()
        with self._open_lock:
            if self._stream is None or self._pid != pid:
                self.directory.mkdir(parents=True, exist_ok=True)
                # A forked child inherits the parent's stream: open its own, leave the parent's alone.
                self._stream = open(self.directory / f"{pid}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
                self._pid = pid
            return self._stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = self._current()
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        with self._open_lock:
            if self._stream is not None and self._pid == os.getpid():
                self._stream.close()
            self._stream = None
        super().close()


def logging_config(*, log_format: str, log_dir: str = "") -> dict[str, Any]:
    """The LOGGING setting: to standard error, ``plain`` text or ``json`` lines, personal data redacted;
    with ``log_dir`` also every record, as JSON and unredacted, to ``<log_dir>/<pid>.jsonl`` (the test
    run's personal-data check, tests/logcheck.py).

    Raises:
        ValueError: ``log_format`` is neither ``plain`` nor ``json``.
    """
    if log_format not in ("plain", "json"):
        raise ValueError(f"PARTYCARD_LOG_FORMAT must be 'plain' or 'json', not {log_format!r}")
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "partycard.ops.logs.JsonFormatter"},
        },
        "filters": {"redact_pii": {"()": "partycard.ops.logs.PiiRedactionFilter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["redact_pii"]}
        },
        # Log messages carry ids and counts, never personal data (names, citizen IDs, phones).
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {"axes": {"level": "WARNING"}},
    }
    if log_dir:
        config["handlers"]["log_dir"] = {
            "()": "partycard.ops.logs.PidFileHandler",
            "directory": log_dir,
            "formatter": "json",
        }
        # Before the console: its redaction filter rewrites the record in place for every later handler.
        config["root"]["handlers"].insert(0, "log_dir")
    return config
