"""A chip card's revocation through its status list, written from draft-ietf-oauth-status-list (the
editor's copy after -16) rather than from the code under test:

- §7.1: "0x00 - VALID", "0x01 - INVALID - … revoked, annulled, taken back, recalled or cancelled",
  "0x02 - SUSPENDED - … temporarily invalid"; 0x03 is application specific (we give it no meaning).
- §8.3: the Status List Token is validated (signature, a trusted key: §11.3) before it is believed
  (step 3); its ``sub`` "MUST be equal to the uri" the token references (4a); an expired list (4c) or one
  past its ``ttl`` (4d) must be fetched again; "if the provided index is out of bounds of the Status List,
  no statement about the status … can be made" (6).

Each case is a genuine card read from its chip, judged with the lists the reader holds, each list signed
and verified as ``partycard read-card`` does (``status_list_verify_jwt`` against the trust list).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from partycard.chip.reader import CardRead, card_read
from partycard.ecard.errors import StatusListSignerUnknown, StatusListWrongSubject
from partycard.ecard.status import StatusList
from partycard.verify.chip import chip_verdict
from partycard.verify.status import StatusListSignerUntrusted, StatusSource, status_list_verify_jwt
from partycard.verify.verdict import Kind, Outcome, Verdict
from tests.verify.conftest import (
    INDEX_REVOKED,
    INDEX_SUSPENDED,
    INDEX_UNDEFINED,
    INDEX_VALID,
    NOW,
    STATUS_ENTRIES,
    STATUS_TTL,
    STATUS_URI,
    MemoryTransport,
    World,
    card_of,
    issue_card,
    status_token,
)


def _read(world: World, index: int, uri: str = STATUS_URI) -> CardRead:
    return card_read(MemoryTransport(card_of(world, issue_card(world, status=(uri, index))).applet()))


def _held(world: World, token: str) -> StatusList:
    return status_list_verify_jwt(token, trust=world.trust(), root=world.root, now=NOW)


def _verdict(world: World, read: CardRead, status: StatusSource) -> Verdict:
    return chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=status)


@pytest.fixture(scope="module")
def fresh(world: World) -> StatusList:
    """The list issued 5 minutes ago (§7.1 values: index 1 is 0x01, 2 is 0x02, 3 is 0x03)."""
    return _held(world, status_token(world))


@pytest.mark.parametrize(
    ("index", "outcome", "codes"),
    [
        (INDEX_VALID, Outcome.VALID, ()),
        (INDEX_REVOKED, Outcome.INVALID, ("card_revoked",)),
        (INDEX_SUSPENDED, Outcome.INVALID, ("card_suspended",)),
        (INDEX_UNDEFINED, Outcome.CANNOT_TELL, ("status_unknown",)),  # §7.1: 0x03 is application specific
        (STATUS_ENTRIES * 4, Outcome.CANNOT_TELL, ("status_unknown",)),  # §8.3 step 6: out of bounds
    ],
    ids=["valid", "revoked", "suspended", "undefined_value", "index_out_of_bounds"],
)
def test_the_entry_decides(
    world: World, fresh: StatusList, index: int, outcome: Outcome, codes: tuple[str, ...]
) -> None:
    verdict = _verdict(world, _read(world, index), fresh)
    assert (verdict.outcome, verdict.codes) == (outcome, codes)


def test_revoked_and_suspended_use_the_e_card_kinds_and_messages(world: World, fresh: StatusList) -> None:
    """The same words as the e-card's ``revoked`` / ``suspended`` (both make the card invalid)."""
    (revoked,) = _verdict(world, _read(world, INDEX_REVOKED), fresh).reasons
    (suspended,) = _verdict(world, _read(world, INDEX_SUSPENDED), fresh).reasons
    assert (revoked.kind, revoked.message_vi) == (Kind.INVALID, "Thẻ đã bị thu hồi")
    assert (suspended.kind, suspended.message_vi) == (Kind.INVALID, "Thẻ đang bị tạm đình chỉ")


def test_a_list_past_its_ttl_or_expiry_cannot_tell_but_a_revoked_card_stays_revoked(world: World) -> None:
    """§8.3 4c/4d: past ``exp`` or ``iat + ttl`` the list must be fetched again: a valid entry is no longer
    proof; an entry already revoked (0x01 is final) is still reported."""
    past_ttl = _held(world, status_token(world, issued_at=NOW - STATUS_TTL - timedelta(minutes=1)))
    expired = _held(world, status_token(world, issued_at=NOW - timedelta(days=1, minutes=1)))
    for stale in (past_ttl, expired):
        assert stale.stale(NOW)
        valid = _verdict(world, _read(world, INDEX_VALID), stale)
        assert (valid.outcome, valid.codes, valid.stale) == (
            Outcome.CANNOT_TELL,
            ("status_list_stale",),
            True,
        )
        revoked = _verdict(world, _read(world, INDEX_REVOKED), stale)
        assert (revoked.outcome, revoked.codes) == (Outcome.INVALID, ("status_list_stale", "card_revoked"))


def test_no_list_for_the_card_cannot_tell(world: World, fresh: StatusList) -> None:
    """§8.3 step 2: the list must be resolved from the card's URI; a reader without it can say nothing."""
    elsewhere = _read(world, INDEX_VALID, uri="https://thedangvien.example/api/v1/status-lists/42")
    for status in (None, fresh, [fresh], lambda uri: None):
        verdict = _verdict(world, elsewhere, status)
        assert (verdict.outcome, verdict.codes) == (Outcome.CANNOT_TELL, ("status_unknown",))


def test_a_list_is_found_by_the_uri_the_card_names(world: World, fresh: StatusList) -> None:
    """§8.3 4a: the list's ``sub`` must be the card's URI. Another list (here one revoking everything)
    held beside it is never read for this card; and verifying a token against the card's URI refuses a
    list for another."""
    other_uri = "https://thedangvien.example/api/v1/status-lists/8"
    other = _held(world, status_token(world, uri=other_uri, values=bytes([1] * STATUS_ENTRIES)))
    read = _read(world, INDEX_VALID)
    for status in ([other, fresh], [fresh, other], {other_uri: other, STATUS_URI: fresh}.get, fresh):
        assert _verdict(world, read, status).outcome is Outcome.VALID
    assert _verdict(world, read, other).codes == ("status_unknown",)
    with pytest.raises(StatusListWrongSubject):
        status_list_verify_jwt(
            status_token(world, uri=other_uri), trust=world.trust(), root=world.root, now=NOW, uri=STATUS_URI
        )


@pytest.mark.parametrize(
    ("signer", "error"),
    [("unlisted", StatusListSignerUnknown), ("revoked", StatusListSignerUntrusted)],
    ids=["signer_not_on_trust_list", "signer_revoked"],
)
def test_a_list_from_an_untrusted_signer_is_not_held(world: World, signer: str, error: type) -> None:
    """§8.3 step 3 and §11.3: a list whose key the reader does not trust is refused, so a forged list that
    clears a revoked card is never read; the reader then has no list for the card: cannot tell."""
    forged = status_token(world, values=bytes(STATUS_ENTRIES), signer=signer)  # every entry 0x00 VALID
    with pytest.raises(error):
        _held(world, forged)
    verdict = _verdict(world, _read(world, INDEX_REVOKED), None)
    assert (verdict.outcome, verdict.codes) == (Outcome.CANNOT_TELL, ("status_unknown",))


def test_a_card_without_a_reference_cannot_tell_whatever_the_lists(world: World, fresh: StatusList) -> None:
    """A card signed before cards carried a status reference: revocation cannot be checked offline, so
    the reader never shows it valid."""
    read = card_read(MemoryTransport(card_of(world, issue_card(world, status=None)).applet()))
    for status in (None, fresh, [fresh]):
        verdict = _verdict(world, read, status)
        assert (verdict.outcome, verdict.codes) == (Outcome.CANNOT_TELL, ("card_status_unknown",))
        assert "registry" in verdict.reasons[0].message_en
