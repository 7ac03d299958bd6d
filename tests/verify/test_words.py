"""The verifiers' Vietnamese comes from the project's catalogue (verify/words.py), with Django or without."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from partycard.verify.signer import invalid
from partycard.verify.words import gettext_noop, vietnamese


def test_gettext_noop_marks_and_returns_the_msgid() -> None:
    assert gettext_noop("DG%(n)d cannot be read") == "DG%(n)d cannot be read"


def test_vietnamese_translates_then_formats() -> None:
    assert vietnamese("DG%(n)d cannot be read", {"n": 13}) == "Không đọc được DG13"
    assert vietnamese("the card is revoked", {}) == "Thẻ đã bị thu hồi"
    assert vietnamese("a msgid the catalogue lacks: %(x)s", {"x": 1}) == "a msgid the catalogue lacks: 1"


def test_reason_english_and_vietnamese() -> None:
    reason = invalid("dg_malformed", gettext_noop("DG%(n)d cannot be read"), n=1)
    assert (reason.code, reason.message_en, reason.message_vi) == (
        "dg_malformed",
        "DG1 cannot be read",
        "Không đọc được DG1",
    )


def test_vietnamese_without_django_configured() -> None:
    """An offline reader: no DJANGO_SETTINGS_MODULE, Django never imported; the committed .mo answers."""
    code = textwrap.dedent(
        """
        import sys
        from partycard.verify.signer import invalid
        from partycard.verify.words import gettext_noop
        reason = invalid("dg_missing", gettext_noop("DG%(n)d is signed but missing"), n=15)
        assert "django" not in sys.modules, "the verifier imported Django"
        print(reason.message_vi)
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, encoding="utf-8", check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Thiếu nhóm dữ liệu DG15"
