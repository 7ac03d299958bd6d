"""Whether a status list may be believed, what it says about one card, and the verifier's cache of lists.

A status list token is believed when a document signer on the trust list with the token's kid made its
signature and passes the same signer checks as every credential (``verify/signer.py``: the root issued
it, not revoked, valid now, signing within its key usage period, the ``EC`` document type). An offline
verifier keeps the last verified list per URI (:class:`StatusListCache`) and reads each card's index in
it; a list past its expiry or time-to-live still answers, and the verdict says "cannot tell".
Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cryptography import x509

from partycard.ecard.errors import (
    StatusListError,
    StatusListNotYetValid,
    StatusListRollback,
    StatusListSignatureInvalid,
    StatusListSignerUnknown,
    StatusListWrongSubject,
)
from partycard.ecard.keys import signers_with_kid
from partycard.ecard.status import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
    StatusListToken,
    status_list_cwt_parse,
    status_list_jwt_parse,
)
from partycard.trust.oids import ECARD_DOCUMENT_TYPE
from partycard.verify.signer import invalid, reason, signer_reasons
from partycard.verify.verdict import Kind, Reason
from partycard.verify.words import gettext_noop

if TYPE_CHECKING:
    from partycard.trust.trustlist import TrustList

__all__ = [
    "CLOCK_SKEW",
    "StatusListCache",
    "StatusListSignerUntrusted",
    "StatusSource",
    "status_list_verify_cwt",
    "status_list_verify_jwt",
    "status_lookup",
    "status_reasons",
]

#: How far a list's ``iat`` may be ahead of the verifier's clock (clocks of offline readers drift).
CLOCK_SKEW = timedelta(minutes=5)

#: Where a verifier finds a card's status list: one list, several, a lookup by URI, or none.
StatusSource = StatusList | Collection[StatusList] | Callable[[str], StatusList | None] | None


def status_lookup(status: StatusSource) -> Callable[[str], StatusList | None]:
    """``status`` as one function from a URI to the list held for it (None: no list, "status_unknown").

    One list answers for its own URI only; several are indexed by URI once (the last of a URI wins); a
    function is used as it is (a server's own lists, an offline reader's cache).
    """
    if status is None:
        return lambda uri: None
    if isinstance(status, StatusList):
        return {status.uri: status}.get
    if callable(status):
        return status
    return {s.uri: s for s in status}.get


class StatusListSignerUntrusted(StatusListError):
    """The token's signer fails the signer checks; ``reasons`` are ``signer_reasons``' (same codes as
    for a credential), for the verdict."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__("the status list's signer is not trusted: " + ", ".join(r.code for r in reasons))
        self.reasons = tuple(reasons)


def _verified(
    token: StatusListToken, *, trust: TrustList, root: x509.Certificate, now: datetime, uri: str | None
) -> StatusList:
    candidates = [] if token.kid is None else signers_with_kid(trust.signers, token.kid)
    if not candidates:
        raise StatusListSignerUnknown("no document signer on the trust list has the status list's kid")
    # Every signer with that kid is tried: 8 bytes of hash may collide (ecard/keys.py).
    signer = next((c for c in candidates if token.verified_by(c.public_key())), None)
    if signer is None:
        raise StatusListSignatureInvalid("the status list's signature does not verify")
    status_list = token.status_list
    reasons = signer_reasons(
        signer,
        trust=trust,
        root=root,
        now=now,
        signed_at=status_list.issued_at,
        document_type=ECARD_DOCUMENT_TYPE,
    )
    if reasons:
        raise StatusListSignerUntrusted(reasons)
    if uri is not None and status_list.uri != uri:
        raise StatusListWrongSubject(f"the status list is {status_list.uri!r}, not {uri!r}")
    if status_list.issued_at > now + CLOCK_SKEW:
        raise StatusListNotYetValid("the status list was issued after now")
    return status_list


def status_list_verify_jwt(
    token: str, *, trust: TrustList, root: x509.Certificate, now: datetime, uri: str | None = None
) -> StatusList:
    """Parse and verify a status list JWT; the list, stale or not (ask ``StatusList.stale(now)``).

    Args:
        uri: the URI the credential names; if given, the token's ``sub`` must be it (draft §5.1).

    Raises:
        StatusListError: malformed or wrong ``typ``; or its subclasses: ``StatusListSignerUnknown``,
            ``StatusListSignatureInvalid``, :class:`StatusListSignerUntrusted` (with reasons),
            ``StatusListWrongSubject``, ``StatusListNotYetValid``.
    """
    return _verified(status_list_jwt_parse(token), trust=trust, root=root, now=now, uri=uri)


def status_list_verify_cwt(
    token: bytes, *, trust: TrustList, root: x509.Certificate, now: datetime, uri: str | None = None
) -> StatusList:
    """As :func:`status_list_verify_jwt`, for the CWT form."""
    return _verified(status_list_cwt_parse(token), trust=trust, root=root, now=now, uri=uri)


@dataclass(frozen=True, slots=True)
class _Held:
    status_list: StatusList
    fetched_at: datetime


class StatusListCache:
    """The last verified status list per URI, with when it was fetched.

    A list replaces the held one only if it was issued no earlier (a replayed older list, in which a
    since-revoked card is still valid, is refused). ``max_age`` bounds how long a list that carries
    neither ``exp`` nor ``ttl`` counts as fresh after it was fetched (None: forever).
    """

    def __init__(self, max_age: timedelta | None = None) -> None:
        self._held: dict[str, _Held] = {}
        self.max_age = max_age

    def __len__(self) -> int:
        return len(self._held)

    def put(self, status_list: StatusList, *, fetched_at: datetime) -> None:
        """Hold ``status_list`` (already verified) for its URI.

        Raises:
            StatusListRollback: it was issued before the list held for the URI.
        """
        held = self._held.get(status_list.uri)
        if held is not None and status_list.issued_at < held.status_list.issued_at:
            raise StatusListRollback(
                f"the status list for {status_list.uri!r} is older than the one held "
                f"({status_list.issued_at.isoformat()} < {held.status_list.issued_at.isoformat()})"
            )
        self._held[status_list.uri] = _Held(status_list, fetched_at)

    def update_jwt(
        self, token: str, *, trust: TrustList, root: x509.Certificate, now: datetime, uri: str | None = None
    ) -> StatusList:
        """Verify a JWT (:func:`status_list_verify_jwt`) and hold its list, fetched ``now``."""
        status_list = status_list_verify_jwt(token, trust=trust, root=root, now=now, uri=uri)
        self.put(status_list, fetched_at=now)
        return status_list

    def update_cwt(
        self, token: bytes, *, trust: TrustList, root: x509.Certificate, now: datetime, uri: str | None = None
    ) -> StatusList:
        """Verify a CWT (:func:`status_list_verify_cwt`) and hold its list, fetched ``now``."""
        status_list = status_list_verify_cwt(token, trust=trust, root=root, now=now, uri=uri)
        self.put(status_list, fetched_at=now)
        return status_list

    def get(self, uri: str, now: datetime) -> tuple[StatusList, bool] | None:
        """The list held for ``uri`` and whether it is stale at ``now``; None if none is held."""
        held = self._held.get(uri)
        if held is None:
            return None
        status_list = held.status_list
        stale = status_list.stale(now)
        unbounded = status_list.expires_at is None and status_list.ttl is None
        if unbounded and self.max_age is not None and now > held.fetched_at + self.max_age:
            stale = True
        return status_list, stale

    def reasons(self, uri: str, index: int, now: datetime) -> list[Reason]:
        """:func:`status_reasons` for the card at ``index`` of the list held for ``uri``."""
        held = self.get(uri, now)
        if held is None:
            return status_reasons(None, index=index, now=now)
        return status_reasons(held[0], index=index, now=now, stale=held[1])


def status_reasons(
    status_list: StatusList | None,
    *,
    index: int,
    now: datetime,
    stale: bool | None = None,
    revoked_code: str = "revoked",
    suspended_code: str = "suspended",
) -> list[Reason]:
    """What ``status_list`` says of the card at ``index``, with the codes the QR and SD-JWT verifiers
    use: nothing if valid and fresh; ``revoked`` or ``suspended`` (invalid); ``status_unknown`` (cannot
    tell: no list, an index beyond it — the card is newer than the list —, or a value we do not define);
    ``status_list_stale`` (cannot tell) beside any of them.

    Args:
        stale: as :meth:`StatusListCache.get` says; None: ``status_list.stale(now)``.
        revoked_code, suspended_code: the codes of the two invalid answers; the chip's verdict names
            them ``card_revoked`` and ``card_suspended`` (a chip read has ``signer_revoked`` beside them).
    """
    if status_list is None:
        return [
            reason(
                "status_unknown",
                Kind.CANNOT_TELL,
                gettext_noop(
                    "this verifier holds no status list for this card: revocation cannot be checked"
                ),
            )
        ]
    reasons: list[Reason] = []
    if status_list.stale(now) if stale is None else stale:
        reasons.append(
            reason(
                "status_list_stale",
                Kind.CANNOT_TELL,
                gettext_noop("the status list is out of date: a recent revocation may be missing"),
            )
        )
    value = status_list.status(index) if 0 <= index < len(status_list) else None
    if value == STATUS_INVALID:
        reasons.append(invalid(revoked_code, gettext_noop("the card is revoked")))
    elif value == STATUS_SUSPENDED:
        reasons.append(invalid(suspended_code, gettext_noop("the card is suspended")))
    elif value != STATUS_VALID:
        reasons.append(
            reason(
                "status_unknown",
                Kind.CANNOT_TELL,
                gettext_noop("the status list does not give this card a known status"),
            )
        )
    return reasons
