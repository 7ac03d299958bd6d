"""The trust list's signed chip policy (issue 18: "active authentication stays as the fallback the trust
list allows").

Written from the rule in trust/trustlist.py's docstring and docs/trust.md ("Chip policy"): format version
3 carries ``chip_policy: {"aa_fallback": true|false}`` inside the signed payload; the authority keeps the
setting in its state, so every later list (publish, rollover, revoke) carries it until changed; a list of
version 1 or 2 (before the field) reads as no fallback; anything else in the field is malformed.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest

from partycard.trust.authority import authority_init, authority_publish, authority_revoke, authority_rollover
from partycard.trust.errors import (
    PkiParameterError,
    PkiStateMalformed,
    TrustListBadSignature,
    TrustListMalformed,
)
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.state import PkiState
from partycard.trust.trustlist import ChipPolicy, trustlist_build, trustlist_verify
from tests.trust.conftest import T0, Pki
from tests.trust.test_trustlist_sequence import ISSUED, NEXT, NOW, _signed


def _build(w: Pki, policy: ChipPolicy) -> bytes:
    return trustlist_build(
        store=w.store,
        signer_label=w.tl_label,
        signer_certificate=w.tl_signer,
        signers=[w.ds],
        crl=w.crl,
        issued_at=ISSUED,
        next_update=NEXT,
        sequence=4,
        chip_policy=policy,
    )


def _payload(document: bytes | str) -> dict[str, object]:
    return json.loads(base64.b64decode(json.loads(document)["payload"]))


@pytest.mark.parametrize("allowed", [True, False])
def test_the_policy_is_in_the_signed_payload_and_read_back(world: Pki, allowed: bool) -> None:
    document = _build(world, ChipPolicy(aa_fallback=allowed))
    payload = _payload(document)
    assert payload["version"] == 3 and payload["chip_policy"] == {"aa_fallback": allowed}
    assert trustlist_verify(document, world.root, NOW).chip_policy == ChipPolicy(aa_fallback=allowed)


def test_the_default_list_refuses_the_fallback(world: Pki) -> None:
    document = trustlist_build(
        store=world.store,
        signer_label=world.tl_label,
        signer_certificate=world.tl_signer,
        signers=[world.ds],
        crl=world.crl,
        issued_at=ISSUED,
        next_update=NEXT,
    )
    assert _payload(document)["chip_policy"] == {"aa_fallback": False}


def test_switching_the_policy_on_breaks_the_signature(world: Pki) -> None:
    """Only the authority can allow the fallback: the field is covered by the list's signature."""
    envelope = json.loads(_build(world, ChipPolicy(aa_fallback=False)))
    content = json.loads(base64.b64decode(envelope["payload"]))
    content["chip_policy"]["aa_fallback"] = True
    envelope["payload"] = base64.b64encode(
        json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    ).decode()
    with pytest.raises(TrustListBadSignature):
        trustlist_verify(json.dumps(envelope), world.root, NOW)


def test_a_version_2_list_reads_as_no_fallback(world: Pki) -> None:
    content = _payload(_build(world, ChipPolicy(aa_fallback=True)))
    del content["chip_policy"]
    content["version"] = 2
    trust = trustlist_verify(_signed(world, content), world.root, NOW)
    assert trust.sequence == 4 and trust.chip_policy.aa_fallback is False


@pytest.mark.parametrize(
    "change",
    [
        {"chip_policy": None},  # version 3 without the field
        {"chip_policy": {"aa_fallback": "true"}},
        {"chip_policy": {"aa_fallback": 1}},
        {"chip_policy": {"aa_fallback": None}},
        {"chip_policy": {}},
        {"chip_policy": {"aa_fallback": True, "pace_required": True}},  # a key of a later version
        {"chip_policy": [True]},
        {"chip_policy": True},
        {"version": 2},  # version 2 with the field: not a version 2 list
        {"version": 1},
    ],
)
def test_a_signed_list_with_a_bad_policy_is_malformed(world: Pki, change: dict[str, object]) -> None:
    content = _payload(_build(world, ChipPolicy(aa_fallback=True))) | change
    if content["chip_policy"] is None:
        del content["chip_policy"]
    with pytest.raises(TrustListMalformed):
        trustlist_verify(_signed(world, content), world.root, NOW)


@pytest.mark.parametrize("policy", [None, True, {"aa_fallback": True}, ChipPolicy(aa_fallback=1)])  # type: ignore[arg-type]
def test_build_refuses_a_policy_that_is_not_one(world: Pki, policy: object) -> None:
    with pytest.raises(PkiParameterError):
        _build(world, policy)  # type: ignore[arg-type]


def _listed_policy(home: Path) -> bool:
    return bool(_payload((home / "trustlist.json").read_bytes())["chip_policy"]["aa_fallback"])  # type: ignore[index]


def test_the_authority_keeps_the_policy_across_publications(store: FileKeyStore, tmp_path: Path) -> None:
    home = tmp_path / "pki"
    authority_init(store=store, directory=home, now=T0)
    assert _listed_policy(home) is False  # a new authority refuses the fallback
    authority_publish(store=store, directory=home, now=T0 + timedelta(hours=1), aa_fallback=True)
    assert _listed_policy(home) is True
    state = PkiState.from_json((home / "state.json").read_text())
    assert state.aa_fallback is True
    authority_rollover(store=store, directory=home, now=T0 + timedelta(hours=2))  # publishes: still on
    assert _listed_policy(home) is True
    authority_publish(store=store, directory=home, now=T0 + timedelta(hours=3))  # None: keep it
    assert _listed_policy(home) is True
    ds1 = next(s for s in state.signers if s.label == "ds-1")
    authority_revoke(store=store, directory=home, serial=int(ds1.serial, 16), now=T0 + timedelta(hours=4))
    assert _listed_policy(home) is True
    authority_publish(store=store, directory=home, now=T0 + timedelta(hours=5), aa_fallback=False)
    assert _listed_policy(home) is False
    assert PkiState.from_json((home / "state.json").read_text()).aa_fallback is False
    with pytest.raises(PkiParameterError):
        authority_publish(store=store, directory=home, now=T0 + timedelta(hours=6), aa_fallback=1)  # type: ignore[arg-type]


def test_a_state_from_before_the_policy_reads_as_off_and_a_bad_one_is_refused() -> None:
    old = json.loads(PkiState(root_label="root").to_json())
    del old["aa_fallback"]
    assert PkiState.from_json(json.dumps(old)).aa_fallback is False
    with pytest.raises(PkiStateMalformed):  # a hand-edited "false" is truthy text: never read as on
        PkiState.from_json(json.dumps(old | {"aa_fallback": "false"}))
