"""The party card as an SD-JWT VC (RFC 9901; draft-ietf-oauth-sd-jwt-vc): issue it, present a chosen
part of it with key binding, parse it, and process its disclosures (what every verifier needs).

The issuer-signed JWT (``typ`` ``dc+sd-jwt``, ES256 through a key store, header ``kid`` = the DS
certificate's 8-byte kid in base64url) carries in plain only what a verifier needs to judge it: ``iss``,
``iat``, ``nbf``, ``exp``, ``vct``, ``cnf.jwk`` (the holder's P-256 key) and ``status`` (its index in
the signer's status list). Everything about the member is selectively disclosable, one disclosure per
claim, so a holder can show "official member in good standing of organisation X" (``membership`` and
``organisation``) without a name or a date of birth. docs/ecard.md describes the claims.
Pure: no Django, no I/O.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.errors import JwsError, SdJwtError
from partycard.ecard.jws import (
    MAX_CHARS,
    Jws,
    b64url,
    b64url_decode,
    json_dumps,
    json_loads,
    jwk_of,
    jws_parse,
    jws_sign,
)
from partycard.ecard.keys import KID_LENGTH

__all__ = [
    "DEFAULT_DECOYS",
    "DEFAULT_ISSUER",
    "MAX_DEPTH",
    "RESERVED_CLAIMS",
    "SD_ALG",
    "TYP_KB",
    "TYP_SDJWT",
    "VCT_PARTY_MEMBER",
    "Disclosure",
    "MemberClaims",
    "Processed",
    "Sd",
    "SdJwt",
    "disclosure_make",
    "disclosure_parse",
    "member_claims",
    "member_sdjwt_issue",
    "numeric_date",
    "sd",
    "sd_digest",
    "sd_hash_of",
    "sd_process",
    "sdjwt_bind",
    "sdjwt_issue",
    "sdjwt_kid",
    "sdjwt_parse",
    "sdjwt_present",
    "sdjwt_select",
]

TYP_SDJWT = "dc+sd-jwt"  # SD-JWT VC draft §3.2.1 (formerly vc+sd-jwt)
TYP_KB = "kb+jwt"  # RFC 9901 §4.3
SD_ALG = "sha-256"  # RFC 9901 §4.1.1, the IANA hash name
VCT_PARTY_MEMBER = "urn:partycard:vct:party-member:1"
DEFAULT_ISSUER = "urn:partycard:issuer:central-organisation-commission"
DEFAULT_DECOYS = 3  # RFC 9901 §4.2.5: hides how many claims a credential has
SALT_BYTES = 16  # 128 bits, RFC 9901 §9.3
MAX_DEPTH = 16  # nesting a verifier follows; our credential uses 2
SEPARATOR = "~"

#: Claims that must stay in plain sight (SD-JWT VC draft §3.2.2): never the name of a disclosure.
RESERVED_CLAIMS = frozenset({"iss", "iat", "nbf", "exp", "vct", "cnf", "status", "sub", "_sd_alg"})
_FORBIDDEN_NAMES = frozenset({"_sd", "..."})


# --- disclosures (RFC 9901 §4.2) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sd:
    """Marks a value as selectively disclosable when building claims for :func:`sdjwt_issue`."""

    value: Any


def sd(value: Any) -> Sd:
    """``value`` as a selectively disclosable claim (in an object) or array element (in a list)."""
    return Sd(value)


def sd_digest(text: str) -> str:
    """The digest of a disclosure: base64url SHA-256 over the ASCII of its base64url form (§4.2.3)."""
    return b64url(hashlib.sha256(text.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One disclosure: ``name`` is None for an array element (§4.2.2)."""

    text: str
    salt: str
    name: str | None
    value: Any

    @property
    def digest(self) -> str:
        return sd_digest(self.text)


def disclosure_make(name: str | None, value: Any, *, salt: bytes | None = None) -> Disclosure:
    """A disclosure of ``value`` (named, or an array element if ``name`` is None) with a fresh 128-bit
    salt from the OS CSPRNG unless ``salt`` is given (tests)."""
    salt_text = b64url(os.urandom(SALT_BYTES) if salt is None else salt)
    array = [salt_text, value] if name is None else [salt_text, name, value]
    return Disclosure(b64url(json_dumps(array)), salt_text, name, value)


def disclosure_parse(text: str) -> Disclosure:
    """Parse one disclosure: base64url of a JSON array [salt, name, value] or [salt, value].

    Raises:
        SdJwtError: anything else.
    """
    try:
        item = json_loads(b64url_decode(text), "the disclosure")
    except JwsError as e:
        raise SdJwtError(str(e)) from e
    if not isinstance(item, list) or len(item) not in (2, 3) or not isinstance(item[0], str):
        raise SdJwtError("a disclosure is an array [salt, name, value] or [salt, value]")
    if len(item) == 2:
        return Disclosure(text, item[0], None, item[1])
    if not isinstance(item[1], str) or item[1] in _FORBIDDEN_NAMES:
        raise SdJwtError("a disclosure's claim name must be a string other than _sd and ...")
    return Disclosure(text, item[0], item[1], item[2])


def _conceal(value: Any, disclosures: list[Disclosure], salt: Callable[[], bytes] | None) -> Any:
    """``value`` with every :class:`Sd` replaced by a digest (disclosures appended, innermost first)."""
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        digests = []
        for name, item in value.items():
            if name in _FORBIDDEN_NAMES:
                raise SdJwtError(f"{name!r} is reserved by SD-JWT")
            if isinstance(item, Sd):
                made = disclosure_make(name, _conceal(item.value, disclosures, salt), salt=salt and salt())
                disclosures.append(made)
                digests.append(made.digest)
            else:
                plain[name] = _conceal(item, disclosures, salt)
        if digests:
            plain["_sd"] = sorted(digests)  # sorted, so the order says nothing (§4.2.4.1)
        return plain
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            if isinstance(item, Sd):
                made = disclosure_make(None, _conceal(item.value, disclosures, salt), salt=salt and salt())
                disclosures.append(made)
                out.append({"...": made.digest})
            else:
                out.append(_conceal(item, disclosures, salt))
        return out
    if isinstance(value, Sd):
        raise SdJwtError("the whole payload cannot be selectively disclosable")
    return value


def numeric_date(moment: datetime) -> int:
    """A NumericDate (RFC 7519 §2): whole seconds since the epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return int(moment.timestamp())


def sdjwt_issue(
    *,
    claims: Mapping[str, Any],
    sign: Callable[[bytes], bytes],
    kid: bytes,
    decoys: int = DEFAULT_DECOYS,
    salt: Callable[[], bytes] | None = None,
) -> str:
    """Issue an SD-JWT: ``claims`` (values wrapped in :func:`sd` become disclosures, at any depth),
    signed ES256 by ``sign`` (DER out, e.g. a key store's) under ``kid``; returns
    ``<issuer JWT>~<disclosure>~…~`` with every disclosure, for the holder.

    Raises:
        SdJwtError: a reserved claim made disclosable, a reserved name, or a bad kid.
    """
    if len(kid) != KID_LENGTH:
        raise SdJwtError(f"a kid is {KID_LENGTH} bytes")
    for name in RESERVED_CLAIMS:
        if isinstance(claims.get(name), Sd):
            raise SdJwtError(f"{name} must not be selectively disclosable")
    disclosures: list[Disclosure] = []
    payload = _conceal(dict(claims), disclosures, salt)
    if decoys:
        fakes = [b64url(hashlib.sha256(os.urandom(SALT_BYTES)).digest()) for _ in range(decoys)]
        payload["_sd"] = sorted([*payload.get("_sd", []), *fakes])
    payload["_sd_alg"] = SD_ALG
    jwt = jws_sign({"typ": TYP_SDJWT, "kid": b64url(kid)}, payload, sign=sign)
    return SEPARATOR.join([jwt, *(d.text for d in disclosures), ""])


# --- the party card's claims ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberClaims:
    """What the party card's SD-JWT VC says about its holder (the chip's DG1 plus the organisation and
    the membership the registry vouches for at issue). Every field is its own disclosure, except
    ``organisation_*`` (one, ``organisation``) and ``member_status``/``good_standing`` (one,
    ``membership``)."""

    card_number: str
    full_name: str
    date_of_birth: date
    gender: str
    date_admitted: date
    date_official: date | None
    issuing_committee: str
    organisation_code: str
    organisation_name: str
    member_status: str = "official"
    good_standing: bool = True


def member_claims(member: MemberClaims) -> dict[str, Any]:
    """The selectively disclosable claims of ``member`` (dates ISO 8601, as OpenID's ``birthdate``)."""
    claims: dict[str, Any] = {
        "card_number": sd(member.card_number),
        "full_name": sd(member.full_name),
        "date_of_birth": sd(member.date_of_birth.isoformat()),
        "gender": sd(member.gender),
        "date_admitted": sd(member.date_admitted.isoformat()),
    }
    if member.date_official is not None:
        claims["date_official"] = sd(member.date_official.isoformat())
    claims["issuing_committee"] = sd(member.issuing_committee)
    claims["organisation"] = sd({"code": member.organisation_code, "name": member.organisation_name})
    claims["membership"] = sd({"status": member.member_status, "good_standing": member.good_standing})
    return claims


def member_sdjwt_issue(
    *,
    member: MemberClaims,
    sign: Callable[[bytes], bytes],
    kid: bytes,
    holder_key: ec.EllipticCurvePublicKey,
    status_uri: str,
    status_index: int,
    issued_at: datetime,
    expires_at: datetime,
    not_before: datetime | None = None,
    issuer: str = DEFAULT_ISSUER,
    decoys: int = DEFAULT_DECOYS,
) -> str:
    """The party card SD-JWT VC of ``member``, bound to ``holder_key``, for the holder's wallet.

    Raises:
        SdJwtError: ``expires_at`` not after ``issued_at``, a negative status index, a bad kid.
        JwsError: ``holder_key`` is not a P-256 key.
    """
    if expires_at <= issued_at:
        raise SdJwtError("expires_at must be after issued_at")
    if status_index < 0:
        raise SdJwtError("a status index is not negative")
    claims: dict[str, Any] = {"iss": issuer, "iat": numeric_date(issued_at)}
    if not_before is not None:
        claims["nbf"] = numeric_date(not_before)
    claims |= {
        "exp": numeric_date(expires_at),
        "vct": VCT_PARTY_MEMBER,
        "cnf": {"jwk": jwk_of(holder_key)},
        "status": {"status_list": {"idx": status_index, "uri": status_uri}},
        **member_claims(member),
    }
    return sdjwt_issue(claims=claims, sign=sign, kid=kid, decoys=decoys)


# --- parsing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SdJwt:
    """A parsed SD-JWT or presentation. ``presented`` is the exact text up to and including the last
    ``~`` (what a KB-JWT's ``sd_hash`` covers); ``kb`` is the key-binding JWT, if any."""

    jwt: Jws
    disclosures: tuple[Disclosure, ...]
    kb: Jws | None
    presented: str

    def claims(self) -> dict[str, Any]:
        """The issuer-signed payload (digests, not yet the disclosed claims).

        Raises:
            SdJwtError: not a JSON object.
        """
        try:
            return self.jwt.claims()
        except JwsError as e:
            raise SdJwtError(f"the issuer JWT: {e}") from e


def sdjwt_parse(text: str) -> SdJwt:
    """Parse ``<issuer JWT>~<disclosure>~…~[<KB-JWT>]`` (RFC 9901 §4): the JWT in our JWS profile with
    ``typ`` dc+sd-jwt, every disclosure well formed, the KB-JWT (if any) with ``typ`` kb+jwt.

    Raises:
        SdJwtError: anything else.
    """
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        raise SdJwtError("not an SD-JWT of a sane size")
    parts = text.split(SEPARATOR)
    if len(parts) < 2:
        raise SdJwtError("an SD-JWT has at least one ~")
    try:
        jwt = jws_parse(parts[0], typ=TYP_SDJWT)
    except JwsError as e:
        raise SdJwtError(f"the issuer JWT: {e}") from e
    disclosures = tuple(disclosure_parse(part) for part in parts[1:-1])
    kb = None
    if parts[-1]:
        try:
            kb = jws_parse(parts[-1], typ=TYP_KB)
        except JwsError as e:
            raise SdJwtError(f"the key-binding JWT: {e}") from e
    return SdJwt(jwt, disclosures, kb, text[: len(text) - len(parts[-1])])


def sdjwt_kid(parsed: SdJwt) -> bytes:
    """The kid of the issuer JWT's header.

    Raises:
        SdJwtError: absent, or not base64url of 8 bytes.
    """
    kid = parsed.jwt.header.get("kid")
    try:
        raw = b64url_decode(kid) if isinstance(kid, str) else b""
    except JwsError as e:
        raise SdJwtError(f"the kid is not base64url: {e}") from e
    if len(raw) != KID_LENGTH:
        raise SdJwtError(f"the header has no kid of {KID_LENGTH} bytes")
    return raw


# --- processing (RFC 9901 §7.1 and §7.3) ------------------------------------------------------------------


@dataclass
class Processed:
    """The payload with the presented disclosures put back, and what was wrong on the way.

    ``claims`` drops ``_sd``, ``_sd_alg`` and undisclosed array elements. ``paths`` maps each used
    disclosure's digest to where it went. ``unreferenced`` are disclosures no digest names (forged, or
    whose parent was not presented), ``duplicates`` digests met twice, ``errors`` everything else
    malformed. Never raised: a verifier reports them all.
    """

    claims: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, tuple[str | int, ...]] = field(default_factory=dict)
    unreferenced: list[Disclosure] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unreferenced or self.duplicates or self.errors)


def sd_process(payload: Mapping[str, Any], disclosures: Sequence[Disclosure]) -> Processed:
    """Put ``disclosures`` back into ``payload`` recursively, checking the rules of RFC 9901 §7.1:
    every digest at most once (in the payload or any disclosure), every disclosure referenced, object
    disclosures only in ``_sd``, array ones only in ``{"...": digest}``, no name disclosed twice at one
    level, no reserved claim disclosed. Never raises."""
    result = Processed()
    by_digest: dict[str, Disclosure] = {}
    for disclosure in disclosures:
        if disclosure.digest in by_digest:
            result.duplicates.append(disclosure.digest)
        else:
            by_digest[disclosure.digest] = disclosure
    seen: set[str] = set()

    def take(digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            result.errors.append("a digest is not a string")
            return None
        if digest in seen:
            result.duplicates.append(digest)
            return None
        seen.add(digest)
        return by_digest.get(digest)

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if len(path) > MAX_DEPTH:
            result.errors.append("the claims nest too deep")
            return None
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for name, value in node.items():
                if name == "_sd" or (name == "_sd_alg" and not path):
                    continue
                if name in ("...", "_sd_alg"):
                    result.errors.append(f"{name!r} where it is not allowed")
                    continue
                out[name] = walk(value, (*path, name))
            digests = node.get("_sd", [])
            if not isinstance(digests, list):
                result.errors.append("_sd is not an array")
                digests = []
            for digest in digests:
                disclosure = take(digest)
                if disclosure is None:
                    continue  # not presented, or a decoy
                if disclosure.name is None:
                    result.errors.append("an array-element disclosure is referenced from _sd")
                elif disclosure.name in out:
                    result.errors.append(f"claim {disclosure.name!r} is both plain and disclosed")
                elif not path and disclosure.name in RESERVED_CLAIMS:
                    result.errors.append(f"claim {disclosure.name!r} must not be selectively disclosable")
                else:
                    result.paths[disclosure.digest] = (*path, disclosure.name)
                    out[disclosure.name] = walk(disclosure.value, (*path, disclosure.name))
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for item in node:
                if isinstance(item, dict) and "..." in item:
                    if len(item) != 1:
                        result.errors.append("an array digest object has other members")
                        continue
                    disclosure = take(item["..."])
                    if disclosure is None:
                        continue
                    if disclosure.name is not None:
                        result.errors.append("an object disclosure is referenced as an array element")
                        continue
                    result.paths[disclosure.digest] = (*path, len(items))
                    items.append(walk(disclosure.value, (*path, len(items))))
                else:
                    items.append(walk(item, (*path, len(items))))
            return items
        return node

    claims = walk(dict(payload), ())
    result.claims = claims if isinstance(claims, dict) else {}
    result.unreferenced = [d for d in by_digest.values() if d.digest not in result.paths]
    return result


# --- presentation (RFC 9901 §4.3) -------------------------------------------------------------------------


def _path_text(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path)


def sdjwt_select(issued: str, *, disclose: Iterable[str]) -> str:
    """The holder's choice from an issued SD-JWT: ``<JWT>~<chosen disclosures>~``, no key binding yet.

    ``disclose`` names claims by dotted path (``organisation``, ``membership``); a chosen claim brings
    the disclosures nested in it and those it is nested in, as §7.1 requires.

    Raises:
        SdJwtError: ``issued`` does not parse or process cleanly, carries a KB-JWT, or a name is unknown.
    """
    parsed = sdjwt_parse(issued)
    if parsed.kb is not None:
        raise SdJwtError("select from the issued SD-JWT, not from a presentation")
    processed = sd_process(parsed.claims(), parsed.disclosures)
    if not processed.ok:
        raise SdJwtError("the issued SD-JWT does not process cleanly")
    wanted = set(disclose)
    paths = {digest: _path_text(path) for digest, path in processed.paths.items()}
    unknown = wanted - set(paths.values())
    if unknown:
        raise SdJwtError(f"no disclosure for {sorted(unknown)}")

    def chosen(path: str) -> bool:
        return any(path == w or w.startswith(path + ".") or path.startswith(w + ".") for w in wanted)

    texts = [d.text for d in parsed.disclosures if chosen(paths[d.digest])]
    return SEPARATOR.join([parsed.presented.split(SEPARATOR, 1)[0], *texts, ""])


def sd_hash_of(presented: str) -> str:
    """``sd_hash``: base64url SHA-256 over the ASCII of the presentation up to its last ``~`` (§4.3.1)."""
    # Every part of a parsed presentation is base64url, so ASCII and UTF-8 agree; UTF-8 never raises.
    return b64url(hashlib.sha256(presented.encode("utf-8")).digest())


def sdjwt_bind(
    presented: str, *, audience: str, nonce: str, issued_at: datetime, sign: Callable[[bytes], bytes]
) -> str:
    """``presented`` (ending in ``~``) with a key-binding JWT appended, signed by the holder's ``sign``
    (DER ECDSA-SHA256, e.g. a device key store's)."""
    if not presented.endswith(SEPARATOR) or not presented.isascii():
        raise SdJwtError("a presentation to bind is ASCII and ends with ~")
    claims = {
        "iat": numeric_date(issued_at),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_hash_of(presented),
    }
    return presented + jws_sign({"typ": TYP_KB}, claims, sign=sign)


def sdjwt_present(
    issued: str,
    *,
    disclose: Iterable[str],
    audience: str,
    nonce: str,
    issued_at: datetime,
    sign: Callable[[bytes], bytes],
) -> str:
    """:func:`sdjwt_select` then :func:`sdjwt_bind`: what a holder shows a verifier."""
    presented = sdjwt_select(issued, disclose=disclose)
    return sdjwt_bind(presented, audience=audience, nonce=nonce, issued_at=issued_at, sign=sign)
