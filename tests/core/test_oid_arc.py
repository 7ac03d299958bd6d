"""The app configures the trust library's OID arc from settings, and ``check --deploy`` warns while it is
the documentation arc (trust/oids.py, docs/trust.md)."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from partycard.core.checks import oid_arc_check
from partycard.trust import oids


def test_the_library_uses_the_settings_arc() -> None:
    assert settings.PARTYCARD["OID_ARC"] == oids.PARTYCARD_ARC == oids.DEFAULT_ARC


def test_deploy_check_warns_on_the_documentation_arc() -> None:
    (warning,) = oid_arc_check(None)
    assert warning.id == "partycard.core.W001" and "PARTYCARD_OID_ARC" in warning.msg
    with override_settings(PARTYCARD={**settings.PARTYCARD, "OID_ARC": "2.999.17"}):
        assert oid_arc_check(None) == []
