"""Judge a chip read: passive authentication (the data is the Organisation Commission's, unchanged) and
chip or active authentication (the chip is the one the data was signed for), offline, from the trust
list.

Passive authentication follows ICAO 9303-11 §5.1: every data group's hash against EF.SOD, the SOD's
messageDigest against its content, the signature with the SignerInfo's algorithm and the embedded DS
certificate's key, the DS certificate against the root (issuer, signature, key usage, document type),
the CRL, the DS validity at the time of reading and the signing time within the DS private key usage
period. Active authentication (9303-11 §6.1) checks the chip's plain ECDSA signature over the reader's
own fresh nonce with the DG15 key that the SOD vouches for. Revocation of the card itself (an expelled
member's card never recovered) is its status list entry: DG13 names the list and the index
(``chip/lds.py``), and the entry is read exactly as the e-card's is (``verify/status.py``), from the
signed lists the reader holds.

Access control and chip authentication (issue 18, 9303-11 §4.4 and §6.2) come first: a card that
announces PACE and was read without its CAN gave nothing but EF.CardAccess (``pace_required``), one
that refused the CAN gave nothing (``pace_refused``: the reader cannot tell a wrong CAN from a broken
chip, and the chip does not say which step failed), and a read whose secure messaging broke
(``sm_mac``, ``sm_counter``, …) is incomplete: each says so alone and the verdict is "cannot tell".
A chip whose DG14 (vouched for by the SOD) announces chip authentication must prove possession of that
key on the channel the data travelled on (``ca_failed`` for a clone: a chip that copied every file but
not the private key); active authentication replaces it only where the trust list allows it (its signed
``chip_policy.aa_fallback``, ``trust/trustlist.py``), since an AA answer is not bound to the channel.

Every check runs and adds its reason, each with its own code (docs/trust.md lists them), so one read
shows a card that is both revoked and cloned. The DS certificate must be on the trust list the reader
holds; one that the root issued after the list was downloaded makes the verdict "cannot tell", not
"invalid" — refresh the list. A stale list does the same. Pure: no Django, no I/O.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.aa import aa_verify
from partycard.chip.errors import ChipFormatError
from partycard.chip.lds import FID_COM, FID_SOD, CardData, com_parse, dg1_parse, dg13_parse, dg15_parse
from partycard.chip.reader import CardRead, dg_fid
from partycard.chip.securityinfos import ca_info_parse
from partycard.chip.sod import Sod, dg_hash, sod_parse
from partycard.trust.oids import PARTY_CARD_DOCUMENT_TYPE
from partycard.verify.signer import invalid, reason, signer_reasons
from partycard.verify.status import StatusSource, status_lookup, status_reasons
from partycard.verify.verdict import Kind, Reason, Verdict, verdict_of
from partycard.verify.words import gettext_noop

if TYPE_CHECKING:
    from partycard.ecard.status import StatusList
    from partycard.trust.trustlist import TrustList

__all__ = ["AaMemory", "chip_verdict", "holder_of"]

#: Data groups a party card must carry and sign: the face (DG1), the photo (DG2), the AA key (DG15).
REQUIRED_DATA_GROUPS = (1, 2, 15)
#: The data group holding the card's status list reference (chip/lds.py, DG13).
STATUS_DATA_GROUP = 13
#: The data group announcing chip authentication and holding its key (9303-11 §9.2.5-9.2.6).
CA_DATA_GROUP = 14

#: Secure-messaging failures a reader reports (``CardRead.channel_error``), each its own reason code;
#: any other code the reader gives reads ``sm_error``. 9303-11 §9.8: every response is MACed over the
#: incremented send-sequence counter, so a tampered, replayed or reordered response cannot pass.
SM_REASONS: dict[str, str] = {
    "sm_mac": gettext_noop(
        "secure messaging broke: a response's MAC is wrong (altered on the way, or not from the chip that"
        " opened the channel); read the card again"
    ),
    "sm_counter": gettext_noop(
        "secure messaging broke: a response is MACed under a later send-sequence counter (responses"
        " skipped); read the card again"
    ),
    "sm_replay": gettext_noop(
        "secure messaging broke: a response is MACed under an earlier send-sequence counter (a recorded"
        " response played back); read the card again"
    ),
    "sm_truncated": gettext_noop("secure messaging broke: a response was cut short; read the card again"),
    "sm_format": gettext_noop(
        "secure messaging broke: a response is not well-formed secure messaging; read the card again"
    ),
    "sm_missing": gettext_noop(
        "secure messaging broke: the card answered in plain inside the secure channel (it dropped the"
        " session); read the card again"
    ),
}


class AaMemory:
    """The last ``size`` active-authentication answers this reader received.

    ECDSA signatures are randomised, so a chip never gives the same answer twice: an answer seen before
    is a recording played back. A recording made by another terminal (another nonce) is caught too,
    by the signature check, but reported as a failed check, since nothing tells the two apart.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._size = size

    @property
    def fingerprints(self) -> list[str]:
        """The remembered answers as hex SHA-256 fingerprints, oldest first (what a reader saves)."""
        return [key.hex() for key in self._seen]

    def remember(self, fingerprints: list[str]) -> None:
        """Load fingerprints saved by :attr:`fingerprints`; malformed lines are ignored."""
        for text in fingerprints:
            try:
                key = bytes.fromhex(text.strip())
            except ValueError:
                continue
            if len(key) == hashlib.sha256().digest_size:
                self._seen[key] = None
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def seen_before(self, signature: bytes) -> bool:
        """Whether ``signature`` was received before; remembers it either way."""
        key = hashlib.sha256(signature).digest()
        seen = key in self._seen
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return seen


def _sod(read: CardRead) -> tuple[Sod | None, list[Reason]]:
    raw = read.files.get(FID_SOD)
    if raw is None:
        return None, [invalid("sod_missing", gettext_noop("the chip has no EF.SOD"))]
    try:
        return sod_parse(raw), []
    except ChipFormatError as e:
        return None, [
            invalid(
                "sod_malformed",
                # xgettext:no-python-format
                gettext_noop("EF.SOD cannot be read: %(error)s"),
                error=str(e),
            )
        ]


def _data_group_reasons(read: CardRead, sod: Sod) -> list[Reason]:
    reasons = []
    for number in REQUIRED_DATA_GROUPS:
        if number not in sod.data_group_hashes:
            reasons.append(
                invalid(
                    "dg_not_signed",
                    gettext_noop("EF.SOD does not cover DG%(n)d"),
                    n=number,
                )
            )
    for number, expected in sorted(sod.data_group_hashes.items()):
        content = read.files.get(dg_fid(number))
        if content is None:
            reasons.append(invalid("dg_missing", gettext_noop("DG%(n)d is signed but missing"), n=number))
        elif dg_hash(content) != expected:
            reasons.append(
                invalid(
                    "dg_hash_mismatch",
                    gettext_noop("DG%(n)d was changed after signing (hash mismatch)"),
                    n=number,
                )
            )
    return reasons


def _lds_version_reasons(read: CardRead, sod: Sod) -> list[Reason]:
    """9303-10 §4.6.2.3: a v1 SOD signs the LDS and Unicode versions, which EF.COM (not signed, §4.6.1)
    states again; a party card is always written with the two agreeing, so a disagreement (or an EF.COM
    that does not parse) is a rewritten EF.COM or a card made wrong. A v0 SOD signs no version."""
    com = read.files.get(FID_COM)
    if sod.lds_version is None or com is None:
        return []
    try:
        parsed = com_parse(com)
        if (parsed.lds_version, parsed.unicode_version) == (sod.lds_version, sod.unicode_version):
            return []
    except ChipFormatError:
        pass
    return [
        invalid(
            "lds_version_mismatch",
            # xgettext:no-python-format
            gettext_noop("EF.COM does not state the LDS version %(version)s that EF.SOD signs"),
            version=f"{sod.lds_version}/{sod.unicode_version}",
        )
    ]


def _signature_reasons(sod: Sod) -> list[Reason]:
    reasons = []
    if hashlib.sha256(sod.lds_security_object_der).digest() != sod.message_digest:
        reasons.append(
            invalid(
                "sod_digest_mismatch",
                gettext_noop("EF.SOD was changed: its content does not match the signed messageDigest"),
            )
        )
    key = sod.certificate.public_key()
    # sod_parse admits only sha256/sha256_ecdsa, so the SignerInfo's algorithm is ECDSA with SHA-256.
    valid = False
    if isinstance(key, ec.EllipticCurvePublicKey):
        try:
            key.verify(sod.signature, sod.signed_attrs_der, ec.ECDSA(hashes.SHA256()))
            valid = True
        except InvalidSignature:
            pass
    if not valid:
        reasons.append(
            invalid(
                "sod_signature_invalid",
                gettext_noop("the EF.SOD signature does not verify with its document signer certificate"),
            )
        )
    return reasons


def _aa_reasons(read: CardRead, sod: Sod | None, memory: AaMemory | None) -> list[Reason]:
    dg15 = read.files.get(dg_fid(15))
    # Only a DG15 the SOD vouches for may prove the chip; an unsigned one proves nothing.
    vouched = sod is not None and dg15 is not None and sod.data_group_hashes.get(15) == dg_hash(dg15)
    if not vouched or dg15 is None:
        return [
            invalid(
                "aa_unavailable",
                gettext_noop(
                    "the chip's own key (DG15) is missing or not signed: the chip cannot be proven genuine"
                ),
            )
        ]
    if read.aa_signature is None:
        return [
            invalid(
                "aa_refused",
                # xgettext:no-python-format
                gettext_noop("the chip refused active authentication (status %(status)s)"),
                status=f"{read.aa_status:04X}",
            )
        ]
    if memory is not None and memory.seen_before(read.aa_signature):
        return [
            invalid(
                "aa_replayed",
                gettext_noop("the chip replayed an answer from an earlier session: not a genuine chip"),
            )
        ]
    try:
        key = dg15_parse(dg15).public_key
    except ChipFormatError:
        return [invalid("aa_unavailable", gettext_noop("DG15 holds no usable key"))]
    if not aa_verify(key, read.aa_nonce, read.aa_signature):
        return [
            invalid(
                "aa_failed",
                gettext_noop("the chip did not prove it holds the card's key: cloned or substituted chip"),
            )
        ]
    return []


def _access_reasons(read: CardRead) -> list[Reason]:
    """Why the read holds no (or not all) data: PACE not run or refused, or the secure channel broken.

    9303-11 §4.4: a chip protected by PACE gives nothing but EF.CardAccess before PACE; a refused CAN
    gives nothing at all. Neither proves the card bad (the officer typed the CAN wrong, or gave none):
    "cannot tell", with what to do.
    """
    if read.pace == "required":
        return [
            reason(
                "pace_required",
                Kind.CANNOT_TELL,
                gettext_noop(
                    "the card is protected by PACE and no CAN was given: only EF.CardAccess was read;"
                    " read it again with the six-digit CAN printed on the card"
                ),
            )
        ]
    if read.pace == "failed":
        return [
            reason(
                "pace_refused",
                Kind.CANNOT_TELL,
                gettext_noop(
                    "the card refused the CAN (PACE failed): check the CAN printed on the card and read"
                    " it again"
                ),
            )
        ]
    if read.chip_auth == "failed":
        # The channel breaks right after a failed chip authentication (the clone derives other keys, so
        # its first answer cannot verify): ca_failed says what it is (_chip_reasons), not the symptom.
        return []
    if read.channel_error is not None:
        code = read.channel_error if read.channel_error in SM_REASONS else "sm_error"
        if code == "sm_error":
            return [
                reason(
                    code,
                    Kind.CANNOT_TELL,
                    # xgettext:no-python-format
                    gettext_noop("secure messaging broke (%(error)s); read the card again"),
                    error=read.channel_error,
                )
            ]
        return [reason(code, Kind.CANNOT_TELL, SM_REASONS[code])]
    return []


def _ca_announced(read: CardRead, sod: Sod | None) -> tuple[bool, list[Reason]]:
    """Whether the SOD-vouched DG14 announces chip authentication, and what is wrong with its key.

    A DG14 the SOD does not cover cannot vouch for a CA key (9303-11 §6.2: the terminal trusts the
    chip's static key only after passive authentication of DG14), so a CA with it proves nothing.
    """
    dg14 = read.files.get(dg_fid(CA_DATA_GROUP))
    if dg14 is None:
        return False, []
    try:
        announced = ca_info_parse(dg14) is not None
    except ChipFormatError:
        return True, [
            invalid("ca_key_malformed", gettext_noop("DG14's chip authentication key cannot be read"))
        ]
    if not announced:
        return False, []
    expected = None if sod is None else sod.data_group_hashes.get(CA_DATA_GROUP)
    if expected is None:
        return True, [
            invalid(
                "ca_key_not_signed",
                gettext_noop(
                    "EF.SOD does not cover DG14: the chip authentication key is not vouched for,"
                    " so the chip cannot be proven genuine"
                ),
            )
        ]
    return True, []  # a DG14 changed after signing is dg_hash_mismatch already


def _ca_failed() -> Reason:
    return invalid(
        "ca_failed",
        gettext_noop("the chip could not prove it holds the chip authentication key of DG14: a cloned chip"),
    )


def _chip_reasons(
    read: CardRead, sod: Sod | None, memory: AaMemory | None, *, aa_fallback: bool
) -> list[Reason]:
    """Chip authentication where DG14 announces it, active authentication otherwise (or as allowed)."""
    announced, reasons = _ca_announced(read, sod)
    if not announced:
        return _aa_reasons(read, sod, memory)
    if reasons:
        return reasons
    if read.chip_auth == "failed":
        return [_ca_failed()]
    if read.chip_auth == "ok":
        # The data came over the channel keyed by the DG14 key. An AA answer, if the reader asked for
        # one, must still be right: a chip that fails it is not the one the SOD was signed for.
        if read.aa_signature is None:
            return []
        return [r for r in _aa_reasons(read, sod, memory) if r.code != "aa_refused"]
    if aa_fallback:
        return _aa_reasons(read, sod, memory)
    return [
        reason(
            "ca_not_performed",
            Kind.CANNOT_TELL,
            gettext_noop(
                "the chip offers chip authentication but it was not performed, and the trust list does not"
                " accept active authentication alone: read the card with a reader that does chip"
                " authentication"
            ),
        )
    ]


def _card_status_reasons(
    read: CardRead, sod: Sod | None, status: Callable[[str], StatusList | None], now: datetime
) -> list[Reason]:
    """What the card's status list entry says (draft-ietf-oauth-status-list §8.3), read only from a DG13
    that the SOD vouches for: an unsigned DG13 proves nothing, so that a card signed without one cannot
    be given a reference to someone else's valid entry."""
    if sod is None:
        return []  # sod_missing / sod_malformed: nothing on the chip is vouched for, and it says so
    expected = sod.data_group_hashes.get(STATUS_DATA_GROUP)
    if expected is None:
        # Signed before cards carried the reference (or by an issuer that left it out): whether the card
        # was revoked cannot be known offline, so never green (docs/trust.md).
        return [
            reason(
                "card_status_unknown",
                Kind.CANNOT_TELL,
                gettext_noop(
                    "the card carries no status list reference: whether it was revoked cannot be checked;"
                    " check the member in the registry"
                ),
            )
        ]
    content = read.files.get(dg_fid(STATUS_DATA_GROUP))
    if content is None or dg_hash(content) != expected:
        return []  # dg_missing / dg_hash_mismatch already make the verdict invalid
    try:
        reference = dg13_parse(content)
    except ChipFormatError:
        return [invalid("dg_malformed", gettext_noop("DG%(n)d cannot be read"), n=STATUS_DATA_GROUP)]
    return status_reasons(
        status(reference.uri),
        index=reference.index,
        now=now,
        revoked_code="card_revoked",
        suspended_code="card_suspended",
    )


def _date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def holder_of(card: CardData) -> dict[str, str]:
    """DG1 as display strings (dates dd/mm/yyyy), keyed by the field names of :class:`CardData`."""
    return {
        "card_number": card.card_number,
        "full_name": card.full_name,
        "date_of_birth": _date(card.date_of_birth),
        "gender": card.gender,
        "date_admitted": _date(card.date_admitted),
        "date_official": _date(card.date_official),
        "issuing_committee": card.issuing_committee,
        "issue_date": _date(card.issue_date),
    }


def chip_verdict(
    read: CardRead,
    *,
    trust: TrustList,
    root: x509.Certificate,
    now: datetime,
    memory: AaMemory | None = None,
    status: StatusSource = None,
    aa_fallback: bool | None = None,
) -> Verdict:
    """The verdict on one read, against a trust list already verified with ``root`` (trustlist_verify).

    Args:
        memory: lets the reader tell a replayed AA answer from a cloned chip (:class:`AaMemory`).
        status: the status lists the reader holds, each already verified (``verify/status.py``
            ``status_list_verify_jwt/cwt``): one list, several (found by the URI in the card's DG13),
            a function from URI to list, or None. A card whose list is not there reads
            ``status_unknown`` (cannot tell), as an e-card does.
        aa_fallback: whether active authentication alone is accepted from a chip that announces chip
            authentication in DG14 and was read without it (a reader without CA). None (every caller
            but a test): what ``trust`` says (``trust.chip_policy.aa_fallback``, signed by the
            authority; off for a list of before the field). Off unless allowed: an AA answer is not
            bound to the secure channel, so it does not prove the data came from that chip.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    access = _access_reasons(read)
    if access:
        # Nothing (or not all) was read: judging the missing files would only add noise.
        return verdict_of(access, {}, at=now)
    if read.chip_auth == "failed" and read.channel_error is not None:
        # The chip could not key the channel with the DG14 key it gave: a clone, whatever else was read.
        return verdict_of([_ca_failed()], {}, at=now)
    reasons: list[Reason] = []
    sod, found = _sod(read)
    reasons += found
    if sod is not None:
        reasons += _data_group_reasons(read, sod)
        reasons += _lds_version_reasons(read, sod)
        reasons += _signature_reasons(sod)
        reasons += signer_reasons(
            sod.certificate,
            trust=trust,
            root=root,
            now=now,
            signed_at=sod.signing_time,
            document_type=PARTY_CARD_DOCUMENT_TYPE,
        )
    fallback = trust.chip_policy.aa_fallback if aa_fallback is None else aa_fallback
    reasons += _chip_reasons(read, sod, memory, aa_fallback=fallback)
    if trust.stale:
        reasons.append(
            reason(
                "trust_list_stale",
                Kind.CANNOT_TELL,
                gettext_noop("the trust list is out of date since %(since)s UTC: revocations may be missing"),
                since=f"{trust.next_update:%d/%m/%Y %H:%M}",
            )
        )
    reasons += _card_status_reasons(read, sod, status_lookup(status), now)
    holder: dict[str, str] = {}
    dg1 = read.files.get(dg_fid(1))
    if dg1 is not None:
        try:
            holder = holder_of(dg1_parse(dg1))
        except ChipFormatError:
            reasons.append(invalid("dg_malformed", gettext_noop("DG%(n)d cannot be read"), n=1))
    return verdict_of(reasons, holder, at=now)
