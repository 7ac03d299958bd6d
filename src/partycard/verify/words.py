"""The verifiers' sentences: English msgids, Vietnamese from the project's catalogue.

Every reason's English sentence is a msgid marked with :func:`gettext_noop` (``makemessages`` extracts
it into ``locale/vi/LC_MESSAGES/django.po``); its Vietnamese is that msgid's msgstr, read here with the
standard library's :mod:`gettext` from the compiled ``django.mo`` that ships inside the package, so
that an offline reader gets Vietnamese without Django being configured. Pure: no Django, no I/O beyond
reading the catalogue once.

A Vietnamese sentence may leave out a technical detail the English gives (an error text, a URI): such
a msgid is marked ``# xgettext:no-python-format`` on the line just above its string literal, so that
the catalogue checks (tests/test_translations.py) do not demand the placeholder in the msgstr. One that
gives a time as its day alone has the day and the time as two placeholders, and prints the time as
``%(time).0s`` (nothing).
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from pathlib import Path

__all__ = ["LOCALE_DIR", "gettext_noop", "vietnamese"]

#: The partycard package's translation catalogues (the one Django's LOCALE_PATHS names too).
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def gettext_noop(message: str) -> str:
    """``message`` itself: marks it as a msgid for ``makemessages`` (which extracts ``gettext_noop``)."""
    return message


@cache
def _catalogue() -> gettext.NullTranslations:
    return gettext.translation("django", localedir=LOCALE_DIR, languages=["vi"], fallback=True)


def vietnamese(msgid: str, params: Mapping[str, object]) -> str:
    """The Vietnamese of ``msgid`` from the catalogue (the msgid itself if it has none), formatted with
    ``% params`` when ``params`` are given."""
    text = _catalogue().gettext(msgid)
    return text % params if params else text
