"""The trust list's sequence number and rollback refusal (issue 18, "Trust material").

Written from the rule in trust/trustlist.py's docstring and docs/trust.md: the authority numbers its
lists 1, 2, 3… (last published + 1, kept in its state); a verifier refuses a list numbered below the
highest it accepted, across runs; a version 1 list (made before the number existed) counts as 0.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from partycard.trust.authority import authority_init, authority_publish, authority_revoke
from partycard.trust.errors import PkiParameterError, TrustListMalformed, TrustListRollback
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.state import PkiState
from partycard.trust.trustlist import (
    MAX_SEQUENCE,
    TrustListMemory,
    trustlist_accept,
    trustlist_build,
    trustlist_verify,
)
from tests.trust.conftest import T0, Pki

ISSUED = T0 + timedelta(days=2)
NEXT = T0 + timedelta(days=9)
NOW = T0 + timedelta(days=3)


def _build(w: Pki, sequence: int) -> bytes:
    return trustlist_build(
        store=w.store,
        signer_label=w.tl_label,
        signer_certificate=w.tl_signer,
        signers=[w.ds],
        crl=w.crl,
        issued_at=ISSUED,
        next_update=NEXT,
        sequence=sequence,
    )


def _der(item: x509.Certificate | x509.CertificateRevocationList) -> str:
    return base64.b64encode(item.public_bytes(serialization.Encoding.DER)).decode()


def _signed(w: Pki, content: dict[str, object]) -> str:
    """A document with ``content`` as its payload, genuinely signed by the trust-list signer."""
    payload = json.dumps(content).encode()
    return json.dumps(
        {
            "payload": base64.b64encode(payload).decode(),
            "signature": base64.b64encode(w.store.sign(w.tl_label, payload)).decode(),
            "signer_certificate": _der(w.tl_signer),
        }
    )


def _legacy(w: Pki) -> str:
    """A version 1 list, as every list was before the number existed."""
    return _signed(
        w,
        {
            "version": 1,
            "issued_at": "2026-03-03T08:00:00Z",
            "next_update": "2026-03-10T08:00:00Z",
            "signers": [_der(w.ds)],
            "crl": _der(w.crl),
        },
    )


def test_the_sequence_is_signed_and_read_back(world: Pki) -> None:
    document = _build(world, 41)
    payload = json.loads(base64.b64decode(json.loads(document)["payload"]))
    assert payload["version"] == 3 and payload["sequence"] == 41
    assert trustlist_verify(document, world.root, NOW).sequence == 41


def test_a_version_1_list_is_sequence_0(world: Pki) -> None:
    legacy = trustlist_verify(_legacy(world), world.root, NOW)
    assert legacy.sequence == 0 and [c.serial_number for c in legacy.signers] == [world.ds.serial_number]


@pytest.mark.parametrize("sequence", [0, -1, True, 1.0, "1", None, MAX_SEQUENCE + 1])
def test_a_version_2_list_needs_an_integer_sequence_from_1(world: Pki, sequence: object) -> None:
    content = json.loads(base64.b64decode(json.loads(_build(world, 1))["payload"]))
    content["sequence"] = sequence
    with pytest.raises(TrustListMalformed):
        trustlist_verify(_signed(world, content), world.root, NOW)


def test_the_version_decides_whether_a_sequence_is_there(world: Pki) -> None:
    content = json.loads(base64.b64decode(json.loads(_build(world, 3))["payload"]))
    with pytest.raises(TrustListMalformed):  # version 1 with a number: not a version 1 list
        trustlist_verify(_signed(world, dict(content, version=1)), world.root, NOW)
    del content["sequence"]
    with pytest.raises(TrustListMalformed):  # a numbered version without one
        trustlist_verify(_signed(world, content), world.root, NOW)


@pytest.mark.parametrize("sequence", [0, -5, True, 2.0, MAX_SEQUENCE + 1])
def test_build_refuses_a_sequence_outside_1_to_max(world: Pki, sequence: object) -> None:
    with pytest.raises(PkiParameterError):
        _build(world, sequence)  # type: ignore[arg-type]
    assert trustlist_verify(_build(world, MAX_SEQUENCE), world.root, NOW).sequence == MAX_SEQUENCE


def test_accept_refuses_an_older_list_only(world: Pki) -> None:
    five = trustlist_verify(_build(world, 5), world.root, NOW)
    assert trustlist_accept(five, highest=0) == 5
    assert trustlist_accept(five, highest=5) == 5  # the same list fetched again
    assert trustlist_accept(five, highest=4) == 5
    with pytest.raises(TrustListRollback):
        trustlist_accept(five, highest=6)


def test_memory_refuses_a_replayed_list_in_a_later_run(world: Pki, tmp_path: Path) -> None:
    path = tmp_path / "station" / "trustlist-seen.json"
    legacy = trustlist_verify(_legacy(world), world.root, NOW)
    first = TrustListMemory(path)
    assert first.highest == 0
    first.accept(legacy)  # nothing numbered seen yet: a version 1 list is taken
    first.accept(trustlist_verify(_build(world, 2), world.root, NOW))
    assert json.loads(path.read_text()) == {"highest_sequence": 2}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["trustlist-seen.json"]  # no temporary file left

    later = TrustListMemory(path)  # the next run of the reader
    assert later.highest == 2
    with pytest.raises(TrustListRollback):
        later.accept(trustlist_verify(_build(world, 1), world.root, NOW))
    with pytest.raises(TrustListRollback):
        later.accept(legacy)  # a list from before the number, once a numbered one was seen
    later.accept(trustlist_verify(_build(world, 2), world.root, NOW))
    assert TrustListMemory(path).highest == 2


@pytest.mark.parametrize("content", ["", "{", "[]", '{"highest_sequence": -1}', '{"highest_sequence": "3"}'])
def test_a_damaged_memory_file_is_refused_not_read_as_0(tmp_path: Path, content: str) -> None:
    path = tmp_path / "trustlist-seen.json"
    path.write_text(content)
    with pytest.raises(TrustListMalformed):
        TrustListMemory(path)


def test_memory_without_a_file_lasts_one_run(world: Pki) -> None:
    memory = TrustListMemory()
    memory.accept(trustlist_verify(_build(world, 3), world.root, NOW))
    with pytest.raises(TrustListRollback):
        memory.accept(trustlist_verify(_build(world, 2), world.root, NOW))


def test_the_authority_numbers_its_lists_and_a_replay_would_unrevoke(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", b"a long test passphrase")
    home = tmp_path / "pki"
    authority_init(store=store, directory=home, now=T0)  # root, ds-1, then the first list
    root = x509.load_pem_x509_certificate((home / "root.pem").read_bytes())
    first_document = (home / "trustlist.json").read_bytes()
    first = trustlist_verify(first_document, root, T0)
    assert first.sequence == 1
    assert PkiState.from_json((home / "state.json").read_text()).trustlist_sequence == 1

    ds1 = first.signers[0]
    authority_revoke(store=store, directory=home, serial=ds1.serial_number, now=T0 + timedelta(days=1))
    second = trustlist_verify((home / "trustlist.json").read_bytes(), root, T0 + timedelta(days=1))
    assert second.sequence == 2 and second.is_revoked(ds1)
    # The attack: the first list is still signed and within its validity, and it trusts ds-1 again.
    replayed = trustlist_verify(first_document, root, T0 + timedelta(days=1))
    assert not replayed.stale and not replayed.is_revoked(ds1)
    memory = TrustListMemory(tmp_path / "seen.json")
    memory.accept(second)
    with pytest.raises(TrustListRollback):
        memory.accept(replayed)


def test_a_state_from_before_the_number_publishes_number_1(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", b"a long test passphrase")
    home = tmp_path / "pki"
    authority_init(store=store, directory=home, now=T0)
    raw = json.loads((home / "state.json").read_text())
    del raw["trustlist_sequence"]  # as an authority made before this change wrote it
    (home / "state.json").write_text(json.dumps(raw))
    assert PkiState.from_json((home / "state.json").read_text()).trustlist_sequence == 0
    authority_publish(store=store, directory=home, now=T0 + timedelta(hours=1))
    root = x509.load_pem_x509_certificate((home / "root.pem").read_bytes())
    assert (
        trustlist_verify((home / "trustlist.json").read_bytes(), root, T0 + timedelta(hours=1)).sequence == 1
    )
    authority_publish(store=store, directory=home, now=T0 + timedelta(hours=2))
    assert (
        trustlist_verify((home / "trustlist.json").read_bytes(), root, T0 + timedelta(hours=2)).sequence == 2
    )


def test_after_a_restore_the_count_can_be_moved_past_what_verifiers_saw(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", b"a long test passphrase")
    home = tmp_path / "pki"
    authority_init(store=store, directory=home, now=T0)  # number 1; say verifiers have seen up to 40
    root = x509.load_pem_x509_certificate((home / "root.pem").read_bytes())
    at = T0 + timedelta(hours=1)
    authority_publish(store=store, directory=home, now=at, sequence_from=41)
    assert trustlist_verify((home / "trustlist.json").read_bytes(), root, at).sequence == 41
    authority_publish(store=store, directory=home, now=at, sequence_from=5)  # never lowers the count
    assert trustlist_verify((home / "trustlist.json").read_bytes(), root, at).sequence == 42
    with pytest.raises(PkiParameterError):
        authority_publish(store=store, directory=home, now=at, sequence_from=0)
