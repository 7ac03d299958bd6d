"""Judge a party card SD-JWT VC presentation (RFC 9901 §7; the SD-JWT VC draft): the issuer's
signature by a listed document signer, the signer itself, the credential's times, every disclosure
against the signed digests, the holder's key-binding JWT, and the status list.

Every check runs and adds its own reason (docs/ecard.md lists the codes); the times are checked here,
not by a library. The holder data is only what was disclosed, as display strings. Pure: no Django,
no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.errors import ECardError, JwsError
from partycard.ecard.jws import jws_verify, public_key_of_jwk
from partycard.ecard.keys import signers_with_kid
from partycard.ecard.sdjwt import (
    SD_ALG,
    VCT_PARTY_MEMBER,
    Processed,
    SdJwt,
    sd_hash_of,
    sd_process,
    sdjwt_kid,
    sdjwt_parse,
)
from partycard.ecard.status import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID, StatusList
from partycard.trust.oids import ECARD_DOCUMENT_TYPE
from partycard.verify.signer import invalid, reason, signer_reasons
from partycard.verify.verdict import Kind, Reason, Verdict, verdict_of
from partycard.verify.words import gettext_noop

if TYPE_CHECKING:
    from partycard.trust.trustlist import TrustList

__all__ = [
    "DATE_CLAIMS",
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_KB_AGE",
    "StatusSource",
    "holder_of_disclosed",
    "sdjwt_verdict",
]

#: How old a key-binding JWT may be: a presentation is made for one check, moments before it.
DEFAULT_MAX_KB_AGE = timedelta(minutes=5)
#: How far ahead of the verifier's clock a time may be (a phone's clock drifts); ``exp`` gets none.
DEFAULT_LEEWAY = timedelta(minutes=1)
#: Claims shown as dd/mm/yyyy, as the chip verdict shows its dates.
DATE_CLAIMS = frozenset({"date_of_birth", "date_admitted", "date_official"})


def _malformed(why: str) -> Reason:
    return invalid(
        "sdjwt_malformed",
        # xgettext:no-python-format
        gettext_noop("the credential is malformed: %(why)s"),
        why=why,
    )


def _time(value: Any) -> datetime | None:
    """A NumericDate (RFC 7519 §2) as an aware datetime; None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC) if math.isfinite(value) else None
    except (OverflowError, OSError, ValueError):
        return None


def _issuer_reasons(
    parsed: SdJwt, claims: Mapping[str, Any], *, trust: TrustList, root: x509.Certificate, now: datetime
) -> list[Reason]:
    try:
        kid = sdjwt_kid(parsed)
    except ECardError as e:
        return [_malformed(str(e))]
    candidates = signers_with_kid(trust.signers, kid)
    if not candidates:
        # Without the certificate (we send kid, not x5c) an unknown kid may be a signer newer than this
        # list, or no signer of ours: the verifier cannot tell which until it refreshes the list.
        return [
            reason(
                "unknown_kid",
                Kind.CANNOT_TELL,
                gettext_noop(
                    "no document signer on this trust list has the credential's key identifier:"
                    " update the trust list"
                ),
            )
        ]
    signer = None
    for candidate in candidates:  # two certificates may share a kid: try each (ecard/keys.py)
        key = candidate.public_key()
        if isinstance(key, ec.EllipticCurvePublicKey) and jws_verify(parsed.jwt, key):
            signer = candidate
            break
    if signer is None:
        return [
            invalid(
                "issuer_signature_invalid",
                gettext_noop("the issuer's signature does not verify: the credential was altered or forged"),
            )
        ]
    return signer_reasons(
        signer,
        trust=trust,
        root=root,
        now=now,
        signed_at=_time(claims.get("iat")),
        document_type=ECARD_DOCUMENT_TYPE,
    )


def _claim_reasons(claims: Mapping[str, Any], *, now: datetime, leeway: timedelta) -> list[Reason]:
    reasons = []
    if claims.get("vct") != VCT_PARTY_MEMBER:
        reasons.append(_malformed(f"vct {claims.get('vct')!r} is not the party card's"))
    if not isinstance(claims.get("iss"), str) or not claims["iss"]:
        reasons.append(_malformed("no issuer (iss)"))
    if claims.get("_sd_alg", SD_ALG) != SD_ALG:  # absent means sha-256 (RFC 9901 §4.1.1)
        reasons.append(_malformed(f"_sd_alg {claims.get('_sd_alg')!r} is not {SD_ALG}"))
    issued, expires = _time(claims.get("iat")), _time(claims.get("exp"))
    if issued is None:
        reasons.append(_malformed("no issue time (iat)"))
    elif issued > now + leeway:
        reasons.append(
            invalid(
                "credential_issued_in_future",
                # xgettext:no-python-format
                gettext_noop("the credential says it was issued in the future (%(issued)s UTC)"),
                issued=f"{issued:%d/%m/%Y %H:%M}",
            )
        )
    if expires is None:
        reasons.append(_malformed("no expiry (exp)"))
    elif now >= expires:
        reasons.append(
            invalid(
                "credential_expired",
                # Translators: the Vietnamese gives the day alone: "%(time).0s" prints nothing.
                gettext_noop("the credential expired on %(date)s %(time)s UTC"),
                date=f"{expires:%d/%m/%Y}",
                time=f"{expires:%H:%M}",
            )
        )
    if "nbf" in claims:
        starts = _time(claims["nbf"])
        if starts is None:
            reasons.append(_malformed("nbf is not a time"))
        elif starts > now + leeway:
            reasons.append(
                invalid(
                    "credential_not_yet_valid",
                    # Translators: the Vietnamese gives the day alone: "%(time).0s" prints nothing.
                    gettext_noop("the credential is valid only from %(date)s %(time)s UTC"),
                    date=f"{starts:%d/%m/%Y}",
                    time=f"{starts:%H:%M}",
                )
            )
    return reasons


def _disclosure_reasons(processed: Processed) -> list[Reason]:
    reasons = [_malformed(why) for why in dict.fromkeys(processed.errors)]
    if processed.unreferenced:
        names = ", ".join(sorted({str(d.name) for d in processed.unreferenced}))
        reasons.append(
            invalid(
                "disclosure_forged",
                # xgettext:no-python-format
                gettext_noop("disclosed data the issuer did not sign (%(names)s)"),
                names=names,
            )
        )
    if processed.duplicates:
        reasons.append(
            invalid(
                "disclosure_duplicate",
                gettext_noop("a disclosure or digest appears twice"),
            )
        )
    return reasons


def _kb_reasons(
    parsed: SdJwt,
    claims: Mapping[str, Any],
    *,
    now: datetime,
    audience: str,
    nonce: str,
    max_kb_age: timedelta,
    leeway: timedelta,
) -> list[Reason]:
    if parsed.kb is None:
        return [
            invalid(
                "kb_missing",
                gettext_noop(
                    "the presentation is not signed by the holder's key (no key-binding JWT):"
                    " it may be a copy"
                ),
            )
        ]
    cnf = claims.get("cnf")
    try:
        holder_key = public_key_of_jwk(cnf.get("jwk") if isinstance(cnf, Mapping) else None)
    except JwsError:
        holder_key = None
    if holder_key is None or not jws_verify(parsed.kb, holder_key):
        return [
            invalid(
                "kb_signature_invalid",
                gettext_noop(
                    "the holder's signature does not verify with the key the credential names:"
                    " not presented by its holder"
                ),
            )
        ]
    try:
        kb = parsed.kb.claims()
    except JwsError as e:
        return [_malformed(f"the key-binding JWT: {e}")]
    reasons = []
    if kb.get("aud") != audience:
        reasons.append(
            invalid(
                "kb_wrong_audience",
                gettext_noop("the presentation was made for another verifier"),
            )
        )
    if kb.get("nonce") != nonce:
        reasons.append(
            invalid(
                "kb_wrong_nonce",
                gettext_noop("the presentation does not answer this check's challenge (nonce): a replay"),
            )
        )
    signed = _time(kb.get("iat"))
    if signed is None or signed > now + leeway or now - signed > max_kb_age:
        reasons.append(
            invalid(
                "kb_stale",
                gettext_noop(
                    "the holder's signature is not fresh (its time is missing, too old or in the future)"
                ),
            )
        )
    if kb.get("sd_hash") != sd_hash_of(parsed.presented):
        reasons.append(
            invalid(
                "kb_sd_hash_mismatch",
                gettext_noop(
                    "the holder signed another presentation: disclosures were added or removed after"
                ),
            )
        )
    return reasons


#: What a verifier holds of status lists: one, several, a lookup by URI, or none.
StatusSource = StatusList | Collection[StatusList] | Callable[[str], StatusList | None] | None


def _status_list_for(status: StatusSource, uri: str) -> StatusList | None:
    if status is None or isinstance(status, StatusList):
        return status if status is not None and status.uri == uri else None
    if callable(status):
        found = status(uri)
        return found if isinstance(found, StatusList) and found.uri == uri else None
    return next((candidate for candidate in status if candidate.uri == uri), None)


def _status_reasons(claims: Mapping[str, Any], source: StatusSource, now: datetime) -> list[Reason]:
    ref = claims.get("status")
    ref = ref.get("status_list") if isinstance(ref, Mapping) else None
    idx = ref.get("idx") if isinstance(ref, Mapping) else None
    uri = ref.get("uri") if isinstance(ref, Mapping) else None
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0 or not isinstance(uri, str):
        return [_malformed("no status list reference (status.status_list idx and uri)")]
    unknown = reason(
        "status_unknown",
        Kind.CANNOT_TELL,
        gettext_noop(
            # xgettext:no-python-format
            "the verifier has no status list for this credential (%(uri)s): revocation cannot be checked"
        ),
        uri=uri,
    )
    status = _status_list_for(source, uri)
    if status is None:
        return [unknown]
    reasons = []
    try:
        value = status.status(idx)
    except ECardError:
        return [unknown]
    if value == STATUS_INVALID:
        reasons.append(invalid("revoked", gettext_noop("the card is revoked")))
    elif value == STATUS_SUSPENDED:
        reasons.append(invalid("suspended", gettext_noop("the card is suspended")))
    elif value != STATUS_VALID:
        reasons.append(unknown)
    if status.stale(now):
        reasons.append(
            reason(
                "status_list_stale",
                Kind.CANNOT_TELL,
                gettext_noop(
                    # xgettext:no-python-format
                    "the status list (issued %(issued)s UTC) is out of date:"
                    " a recent revocation may be missing"
                ),
                issued=f"{status.issued_at:%d/%m/%Y %H:%M}",
            )
        )
    return reasons


def _display(key: Any, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str) and key in DATE_CLAIMS:
        try:
            return datetime.strptime(value, "%Y-%m-%d").strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def _flatten(prefix: str, key: Any, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _flatten(f"{prefix}.{name}", name, item, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(f"{prefix}.{index}", key, item, out)
    else:
        out[prefix] = _display(key, value)


def holder_of_disclosed(processed: Processed) -> dict[str, str]:
    """The disclosed claims, and nothing else, as display strings keyed by dotted path
    (``full_name``, ``organisation.code``, ``membership.good_standing``); dates dd/mm/yyyy."""
    out: dict[str, str] = {}
    paths = sorted(processed.paths.values(), key=len)
    done: list[tuple[str | int, ...]] = []
    for path in paths:
        if any(path[: len(parent)] == parent for parent in done):
            continue  # inside a disclosure already shown
        done.append(path)
        value: Any = processed.claims
        try:
            for part in path:
                value = value[part]
        except (KeyError, IndexError, TypeError):  # cannot happen for paths sd_process recorded
            continue
        _flatten(".".join(str(p) for p in path), path[-1], value, out)
    return out


def sdjwt_verdict(
    presentation: str,
    *,
    trust: TrustList,
    root: x509.Certificate,
    now: datetime,
    status: StatusSource,
    audience: str,
    nonce: str,
    max_kb_age: timedelta = DEFAULT_MAX_KB_AGE,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> Verdict:
    """The verdict on one presentation, against a trust list already verified with ``root``
    (trustlist_verify) and status lists verified by the caller: one, several, or a lookup by URI; the
    one whose URI the credential names is used (none: "cannot tell").

    ``audience`` and ``nonce`` are this verifier's identifier and the fresh challenge it gave the
    holder. Never raises on bad input.

    Raises:
        ValueError: ``now`` is naive, or ``audience`` or ``nonce`` is empty (the caller's mistakes).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not audience or not nonce:
        raise ValueError("a verifier needs its audience and a fresh nonce")
    try:
        parsed = sdjwt_parse(presentation)
        claims = parsed.claims()
    except ECardError as e:
        return verdict_of([_malformed(str(e))], at=now)
    reasons = _issuer_reasons(parsed, claims, trust=trust, root=root, now=now)
    reasons += _claim_reasons(claims, now=now, leeway=leeway)
    processed = sd_process(claims, parsed.disclosures)
    reasons += _disclosure_reasons(processed)
    reasons += _kb_reasons(
        parsed, claims, now=now, audience=audience, nonce=nonce, max_kb_age=max_kb_age, leeway=leeway
    )
    reasons += _status_reasons(claims, status, now)
    if trust.stale:
        reasons.append(
            reason(
                "trust_list_stale",
                Kind.CANNOT_TELL,
                gettext_noop("the trust list is out of date since %(since)s UTC: revocations may be missing"),
                since=f"{trust.next_update:%d/%m/%Y %H:%M}",
            )
        )
    return verdict_of(reasons, holder_of_disclosed(processed), at=now)
