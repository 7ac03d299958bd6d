"""Judge a chip read: passive authentication (the data is the Organisation Commission's, unchanged) and
active authentication (the chip is the one the data was signed for), offline, from the trust list.

Passive authentication follows ICAO 9303-11 §5.1: every data group's hash against EF.SOD, the SOD's
messageDigest against its content, the signature with the SignerInfo's algorithm and the embedded DS
certificate's key, the DS certificate against the root (issuer, signature, key usage, document type),
the CRL, the DS validity at the time of reading and the signing time within the DS private key usage
period. Active authentication (9303-11 §6.1) checks the chip's plain ECDSA signature over the reader's
own fresh nonce with the DG15 key that the SOD vouches for.

Every check runs and adds its reason, each with its own code (docs/trust.md lists them), so one read
shows a card that is both revoked and cloned. The DS certificate must be on the trust list the reader
holds; one that the root issued after the list was downloaded makes the verdict "cannot tell", not
"invalid" — refresh the list. A stale list does the same. Pure: no Django, no I/O.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.aa import aa_verify
from partycard.chip.errors import ChipFormatError
from partycard.chip.lds import FID_SOD, CardData, dg1_parse, dg15_parse
from partycard.chip.reader import CardRead, dg_fid
from partycard.chip.sod import Sod, dg_hash, sod_parse
from partycard.trust.oids import PARTY_CARD_DOCUMENT_TYPE
from partycard.trust.pki import document_types_of
from partycard.verify.verdict import Kind, Reason, Verdict, verdict_of

if TYPE_CHECKING:
    from partycard.trust.trustlist import TrustList

__all__ = ["AaMemory", "chip_verdict", "holder_of"]

#: Data groups a party card must carry and sign: the face (DG1), the photo (DG2), the AA key (DG15).
REQUIRED_DATA_GROUPS = (1, 2, 15)


def _r(code: str, kind: Kind, en: str, vi: str) -> Reason:
    return Reason(code=code, kind=kind, message_en=en, message_vi=vi)


def _invalid(code: str, en: str, vi: str) -> Reason:
    return _r(code, Kind.INVALID, en, vi)


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
        return None, [
            _invalid("sod_missing", "the chip has no EF.SOD", "Chip không có EF.SOD (dữ liệu ký số)")
        ]
    try:
        return sod_parse(raw), []
    except ChipFormatError as e:
        return None, [
            _invalid("sod_malformed", f"EF.SOD cannot be read: {e}", "EF.SOD bị hỏng, không đọc được")
        ]


def _data_group_reasons(read: CardRead, sod: Sod) -> list[Reason]:
    reasons = []
    for number in REQUIRED_DATA_GROUPS:
        if number not in sod.data_group_hashes:
            reasons.append(
                _invalid(
                    "dg_not_signed",
                    f"EF.SOD does not cover DG{number}",
                    f"Chữ ký số không bao gồm nhóm dữ liệu DG{number}",
                )
            )
    for number, expected in sorted(sod.data_group_hashes.items()):
        content = read.files.get(dg_fid(number))
        if content is None:
            reasons.append(
                _invalid("dg_missing", f"DG{number} is signed but missing", f"Thiếu nhóm dữ liệu DG{number}")
            )
        elif dg_hash(content) != expected:
            reasons.append(
                _invalid(
                    "dg_hash_mismatch",
                    f"DG{number} was changed after signing (hash mismatch)",
                    f"Nhóm dữ liệu DG{number} đã bị thay đổi sau khi ký (sai giá trị băm)",
                )
            )
    return reasons


def _signature_reasons(sod: Sod) -> list[Reason]:
    reasons = []
    if hashlib.sha256(sod.lds_security_object_der).digest() != sod.message_digest:
        reasons.append(
            _invalid(
                "sod_digest_mismatch",
                "EF.SOD was changed: its content does not match the signed messageDigest",
                "EF.SOD đã bị thay đổi: nội dung không khớp giá trị băm đã ký",
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
            _invalid(
                "sod_signature_invalid",
                "the EF.SOD signature does not verify with its document signer certificate",
                "Chữ ký số của EF.SOD không hợp lệ với chứng thư của đơn vị ký",
            )
        )
    return reasons


def _issued_by(certificate: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _usage_reasons(ds: x509.Certificate) -> list[Reason]:
    try:
        key_usage = ds.extensions.get_extension_for_class(x509.KeyUsage).value
        signs = key_usage.digital_signature
    except x509.ExtensionNotFound:
        signs = False
    try:
        types = document_types_of(ds)
    except (ValueError, TypeError):
        types = []
    if signs and PARTY_CARD_DOCUMENT_TYPE in types:
        return []
    return [
        _invalid(
            "signer_usage_invalid",
            "the signer's certificate is not for signing party cards (key usage or document type)",
            "Chứng thư của đơn vị ký không dùng để ký thẻ đảng viên",
        )
    ]


def _signer_reasons(sod: Sod, trust: TrustList, root: x509.Certificate, now: datetime) -> list[Reason]:
    ds = sod.certificate
    if ds.issuer != root.subject:
        return [
            _invalid(
                "signer_other_root",
                "the document signer belongs to another root, not the party card root",
                "Đơn vị ký thuộc hệ thống chứng thực khác, không phải của thẻ đảng viên",
            )
        ]
    if not _issued_by(ds, root):
        return [
            _invalid(
                "signer_unknown",
                "the document signer names the root but was not issued by it (unknown signer)",
                "Đơn vị ký không do tổ chức chứng thực gốc cấp (đơn vị ký lạ)",
            )
        ]
    reasons = _usage_reasons(ds)
    if trust.is_revoked(ds):
        reasons.append(
            _invalid(
                "signer_revoked",
                "the document signer's certificate is revoked",
                "Chứng thư của đơn vị ký đã bị thu hồi",
            )
        )
    if now < ds.not_valid_before_utc:
        reasons.append(
            _invalid(
                "signer_not_yet_valid",
                "the document signer's certificate is not valid yet",
                "Chứng thư của đơn vị ký chưa có hiệu lực",
            )
        )
    elif now > ds.not_valid_after_utc:
        reasons.append(
            _invalid(
                "signer_expired",
                "the document signer's certificate has expired",
                "Chứng thư của đơn vị ký đã hết hạn",
            )
        )
    if sod.signing_time is not None and not _in_usage_period(ds, sod.signing_time):
        reasons.append(
            _invalid(
                "signed_outside_usage_period",
                "the card was signed outside the signer key's usage period",
                "Thẻ được ký ngoài thời hạn sử dụng khóa của đơn vị ký",
            )
        )
    if ds not in trust.signers:
        reasons.append(
            _r(
                "signer_not_in_trust_list",
                Kind.CANNOT_TELL,
                "the document signer is not on this trust list yet: update the trust list",
                "Đơn vị ký chưa có trong danh sách tin cậy: hãy cập nhật danh sách",
            )
        )
    return reasons


def _in_usage_period(ds: x509.Certificate, at: datetime) -> bool:
    try:
        period = ds.extensions.get_extension_for_class(x509.PrivateKeyUsagePeriod).value
    except x509.ExtensionNotFound:
        return ds.not_valid_before_utc <= at <= ds.not_valid_after_utc
    naive = at.astimezone(UTC).replace(tzinfo=None)  # cryptography gives naive UTC bounds here
    return (period.not_before is None or period.not_before <= naive) and (
        period.not_after is None or naive <= period.not_after
    )


def _aa_reasons(read: CardRead, sod: Sod | None, memory: AaMemory | None) -> list[Reason]:
    dg15 = read.files.get(dg_fid(15))
    # Only a DG15 the SOD vouches for may prove the chip; an unsigned one proves nothing.
    vouched = sod is not None and dg15 is not None and sod.data_group_hashes.get(15) == dg_hash(dg15)
    if not vouched or dg15 is None:
        return [
            _invalid(
                "aa_unavailable",
                "the chip's own key (DG15) is missing or not signed: the chip cannot be proven genuine",
                "Không có khóa của chip (DG15) đã ký: không chứng minh được chip là thật",
            )
        ]
    if read.aa_signature is None:
        return [
            _invalid(
                "aa_refused",
                f"the chip refused active authentication (status {read.aa_status:04X})",
                "Chip từ chối xác thực chủ động",
            )
        ]
    if memory is not None and memory.seen_before(read.aa_signature):
        return [
            _invalid(
                "aa_replayed",
                "the chip replayed an answer from an earlier session: not a genuine chip",
                "Chip phát lại câu trả lời của lần đọc trước: không phải chip thật",
            )
        ]
    try:
        key = dg15_parse(dg15).public_key
    except ChipFormatError:
        return [_invalid("aa_unavailable", "DG15 holds no usable key", "DG15 không chứa khóa dùng được")]
    if not aa_verify(key, read.aa_nonce, read.aa_signature):
        return [
            _invalid(
                "aa_failed",
                "the chip did not prove it holds the card's key: cloned or substituted chip",
                "Chip không chứng minh được khóa của thẻ: chip sao chép hoặc bị thay",
            )
        ]
    return []


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
) -> Verdict:
    """The verdict on one read, against a trust list already verified with ``root`` (trustlist_verify).

    ``memory`` lets the reader tell a replayed AA answer from a cloned chip (:class:`AaMemory`).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    reasons: list[Reason] = []
    sod, found = _sod(read)
    reasons += found
    if sod is not None:
        reasons += _data_group_reasons(read, sod)
        reasons += _signature_reasons(sod)
        reasons += _signer_reasons(sod, trust, root, now)
    reasons += _aa_reasons(read, sod, memory)
    if trust.stale:
        reasons.append(
            _r(
                "trust_list_stale",
                Kind.CANNOT_TELL,
                f"the trust list is out of date since {trust.next_update:%d/%m/%Y %H:%M} UTC:"
                " revocations may be missing",
                f"Danh sách tin cậy đã quá hạn cập nhật từ {trust.next_update:%d/%m/%Y %H:%M} UTC",
            )
        )
    holder: dict[str, str] = {}
    dg1 = read.files.get(dg_fid(1))
    if dg1 is not None:
        try:
            holder = holder_of(dg1_parse(dg1))
        except ChipFormatError:
            reasons.append(_invalid("dg_malformed", "DG1 cannot be read", "Không đọc được DG1"))
    return verdict_of(reasons, holder, at=now)
