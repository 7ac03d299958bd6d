"""What the PKI has issued and revoked, as a small JSON-serialisable record.

The root is offline, so its operator keeps this file between ceremonies: it lists the signers, the
revocations and the last CRL number, which :func:`crl_issue` needs to issue the next CRL, and the last
trust list's sequence number, which the next list must exceed (``trust/trustlist.py``, rollback), and
the chip policy every list is signed with (``aa_fallback``), so that a rollover or a revocation publishes
the same rule as the last ``pki publish`` set.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from cryptography import x509

from partycard.trust.errors import PkiParameterError, PkiStateMalformed
from partycard.trust.pki import Revocation

__all__ = ["PkiState", "RevocationRecord", "SignerRecord"]


@dataclass(frozen=True)
class SignerRecord:
    """One issued signer certificate; ``serial`` is hex because JSON numbers lose 128-bit integers."""

    label: str
    serial: str
    subject: str
    not_before: str
    not_after: str
    role: str  # "document-signer" or "trustlist-signer"


@dataclass(frozen=True)
class RevocationRecord:
    serial: str
    revoked_at: str
    reason: str | None


@dataclass
class PkiState:
    """Issued signers, revocations, the last CRL number and the last trust list number of one root."""

    root_label: str
    signers: list[SignerRecord] = field(default_factory=list)
    revocations: list[RevocationRecord] = field(default_factory=list)
    crl_number: int = 0
    trustlist_sequence: int = 0  # 0: no numbered list published yet (a state from before the number)
    aa_fallback: bool = False  # the trust list's chip_policy (trustlist.ChipPolicy); a state from before: off

    def signer_record(self, *, label: str, certificate: x509.Certificate, role: str) -> SignerRecord:
        """Record a freshly issued signer (a rollover is one more record)."""
        record = SignerRecord(
            label=label,
            serial=f"{certificate.serial_number:x}",
            subject=certificate.subject.rfc4514_string(),
            not_before=certificate.not_valid_before_utc.isoformat(),
            not_after=certificate.not_valid_after_utc.isoformat(),
            role=role,
        )
        self.signers.append(record)
        return record

    def revoke(self, *, serial: int, at: datetime, reason: x509.ReasonFlags | None) -> None:
        """Add ``serial`` to the revocations the next CRL will carry.

        Raises:
            PkiParameterError: the serial was not issued by this root, or is already revoked.
        """
        text = f"{serial:x}"
        if text not in {s.serial for s in self.signers}:
            raise PkiParameterError(f"serial {text} was not issued by this root")
        if text in {r.serial for r in self.revocations}:
            raise PkiParameterError(f"serial {text} is already revoked")
        if at.tzinfo is None:
            raise PkiParameterError("datetimes must be timezone-aware")
        self.revocations.append(RevocationRecord(text, at.isoformat(), reason.name if reason else None))

    def revoked(self) -> list[Revocation]:
        """The revocations in the form :func:`crl_issue` takes."""
        return [
            (
                int(r.serial, 16),
                datetime.fromisoformat(r.revoked_at),
                x509.ReasonFlags[r.reason] if r.reason else None,
            )
            for r in self.revocations
        ]

    def next_crl_number(self) -> int:
        """Advance and return the CRL number (monotonic, RFC 5280 §5.2.3)."""
        self.crl_number += 1
        return self.crl_number

    def next_trustlist_sequence(self) -> int:
        """Advance and return the trust list's sequence number (monotonic: verifiers refuse a lower one)."""
        self.trustlist_sequence += 1
        return self.trustlist_sequence

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PkiState:
        """Raises: PkiStateMalformed if ``text`` is not a state this class wrote."""
        try:
            raw = json.loads(text)
            return cls(
                root_label=raw["root_label"],
                signers=[SignerRecord(**s) for s in raw["signers"]],
                revocations=[RevocationRecord(**r) for r in raw["revocations"]],
                crl_number=int(raw["crl_number"]),
                trustlist_sequence=int(raw.get("trustlist_sequence", 0)),
                aa_fallback=_flag(raw.get("aa_fallback", False)),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise PkiStateMalformed("not a PKI state document") from e


def _flag(value: object) -> bool:
    """A JSON boolean, strictly: a hand-edited "false" (a truthy string) must not switch a policy on."""
    if not isinstance(value, bool):
        raise TypeError("aa_fallback must be true or false")
    return value
