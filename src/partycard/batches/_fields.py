"""Reading one CBOR map of a manufacturer file with every error naming its field and line.

Encoders and decoders share these checks (an encoder builds the CBOR objects, then reads them back
through here before writing), so an encoder refuses exactly what a decoder refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from partycard.batches.errors import BatchFormatError

__all__ = ["FieldMap", "date_text", "datetime_text"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# RFC 3339 §5.6 date-time, restricted to UTC ("Z") and at most microseconds.
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def date_text(value: Any) -> Any:
    """A calendar date as "YYYY-MM-DD"; anything else unchanged, for the reader to refuse by name."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


def datetime_text(value: Any) -> Any:
    """An aware datetime as RFC 3339 UTC text (fraction only when there is one); else unchanged."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        moment = value.astimezone(UTC)
        fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
    return value


@dataclass(frozen=True)
class FieldMap:
    """One CBOR map: ``section`` is the file ("batch") or the array ("cards", "lines") it is in, ``line``
    its 1-based index there, ``prefix`` the path of a nested map ("print.")."""

    raw: dict[Any, Any]
    section: str
    line: int | None = None
    prefix: str = ""

    @classmethod
    def of(
        cls, value: Any, keys: Iterable[str], *, section: str, line: int | None = None, name: str = ""
    ) -> FieldMap:
        """Check ``value`` is a map with exactly the text ``keys``.

        Raises:
            BatchFormatError: not a map, a key missing, or a key not in the format.
        """
        prefix = f"{name}." if name else ""
        if not isinstance(value, dict):
            raise _error(section, line, name or "(the map)", "must be a map")
        wanted = set(keys)
        for key in value:
            if key not in wanted:
                raise _error(section, line, f"{prefix}{key!s:.40}", "is not a field of this format")
        for key in sorted(wanted):
            if key not in value:
                raise _error(section, line, prefix + key, "is missing")
        return cls(value, section, line, prefix)

    def fail(self, name: str, problem: str) -> BatchFormatError:
        return _error(self.section, self.line, self.prefix + name, problem)

    def text(self, name: str, *, empty: bool = False) -> str:
        """Text without control characters; non-empty unless ``empty``."""
        value = self.raw[name]
        if not isinstance(value, str):
            raise self.fail(name, "must be text")
        if not value and not empty:
            raise self.fail(name, "must not be empty")
        if _CONTROL.search(value):
            raise self.fail(name, "must not contain control characters")
        return value

    def binary(self, name: str, *, empty: bool = False) -> bytes:
        value = self.raw[name]
        if not isinstance(value, bytes):
            raise self.fail(name, "must be a byte string")
        if not value and not empty:
            raise self.fail(name, "must not be empty")
        return value

    def choice(self, name: str, allowed: Iterable[str]) -> str:
        value = self.raw[name]
        options = sorted(allowed)
        if not isinstance(value, str) or value not in options:
            raise self.fail(name, f"must be one of {', '.join(map(repr, options))}")
        return value

    def hex(self, name: str, size: int, *, empty: bool = False) -> str:
        """``size`` lower-case hexadecimal digits (or "" when ``empty``)."""
        value = self.raw[name]
        if empty and value == "":
            return ""
        if not isinstance(value, str) or len(value) != size or not re.fullmatch(r"[0-9a-f]+", value):
            raise self.fail(name, f"must be {size} lower-case hex digits")
        return value

    def integer(self, name: str) -> int:
        value = self.raw[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(name, "must be a non-negative integer")
        return value

    def day(self, name: str) -> date:
        value = self.raw[name]
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(name, "must be a date as YYYY-MM-DD text")

    def moment(self, name: str) -> datetime:
        value = self.raw[name]
        match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
        if match is not None:
            day, hour, minute, second, fraction = match.groups()
            try:
                return datetime.combine(
                    date.fromisoformat(day),
                    datetime.min.time(),
                    tzinfo=UTC,
                ).replace(
                    hour=int(hour),
                    minute=int(minute),
                    second=int(second),
                    microsecond=int((fraction or "0").ljust(6, "0")),
                )
            except ValueError:
                pass
        raise self.fail(name, "must be an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)")

    def array(self, name: str, *, limit: int) -> list[Any]:
        value = self.raw[name]
        if not isinstance(value, list):
            raise self.fail(name, "must be an array")
        if len(value) > limit:
            raise self.fail(name, f"holds {len(value)} entries, more than {limit}")
        return value


def _error(section: str, line: int | None, field: str, problem: str) -> BatchFormatError:
    place = section if line is None else f"{section} line {line}"
    return BatchFormatError(f"{place}: field {field!r} {problem}", field=field, line=line)
