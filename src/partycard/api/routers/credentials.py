"""Routes of the electronic party card that a verifier needs, public and unauthenticated (they reveal
nothing a presented card does not): the signed trust list, the signed status lists, and a stateless
verify endpoint that returns the verdict of ``partycard.verify`` for a QR or an SD-JWT presentation.

They are not rate-limited per token (there is none); production puts them behind the reverse proxy's
per-address limit (docs/ecard.md). Responses carry ``Cache-Control`` so verifiers and proxies cache the
lists for their time-to-live.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router, Schema

from partycard.api.errors import ApiProblem
from partycard.api.schemas.exchange import MAX_ID
from partycard.api.schemas.problems import problems
from partycard.core import clock
from partycard.core.db_router import replica_reads
from partycard.core.signing import SigningUnavailable, trust_material
from partycard.credentials import publishing

__all__ = ["router"]

router = Router(tags=["e-card"], auth=None)

_JSON = "application/json; charset=utf-8"  # what Ninja's renderer answers


class VerifyIn(Schema):
    """Exactly one of ``qr`` (the QR text) and ``sd_jwt`` (a presentation; then ``audience`` and
    ``nonce`` are what the verifier asked the holder to sign)."""

    qr: str | None = None
    sd_jwt: str | None = None
    audience: str | None = None
    nonce: str | None = None


class VerdictReasonOut(Schema):
    code: str
    kind: str
    message_en: str
    message_vi: str


class VerdictOut(Schema):
    outcome: str
    reasons: list[VerdictReasonOut]
    at: str
    stale: bool
    holder: dict[str, str]


def _no_trust(e: SigningUnavailable) -> ApiProblem:
    return ApiProblem(503, f"No trust material on this server: {e.message_en}")


@router.get(
    "/trust-list",
    response={200: None, **problems(503)},
    operation_id="trust_list_get",
    summary="The signed trust list (document signers and the root's CRL) every verifier downloads",
    throttle=[],
)
def trust_list_get(request: HttpRequest) -> HttpResponse:
    try:
        with replica_reads():
            material = trust_material(at=clock.now())
    except SigningUnavailable as e:
        raise _no_trust(e) from e
    response = HttpResponse(material.document, content_type="application/json")
    response["Cache-Control"] = "public, max-age=300"
    return response


@router.get(
    "/status-lists/{list_id}",
    response={200: None, **problems(404, 422, 503)},
    operation_id="status_list_get",
    summary="A signed status list (JWT; CWT with Accept: application/statuslist+cwt)",
    throttle=[],
)
def status_list_get(request: HttpRequest, list_id: Path[int]) -> HttpResponse:
    if not 0 < list_id <= MAX_ID:
        raise ApiProblem(404, "No such status list.")
    cwt = "application/statuslist+cwt" in request.headers.get("Accept", "")
    try:
        with replica_reads():
            token = publishing.status_list_token(list_id, cwt=cwt)
    except publishing.StatusListMissing as e:
        raise ApiProblem(404, "No such status list.") from e
    except SigningUnavailable as e:
        raise _no_trust(e) from e
    response = HttpResponse(token.body, content_type=token.media_type)
    response["Cache-Control"] = f"public, max-age={token.ttl_seconds}"
    return response


@router.post(
    "/verify",
    response={200: VerdictOut, **problems(400, 422, 503)},
    operation_id="verify",
    summary="Verify a QR or an SD-JWT presentation: valid, invalid (every reason) or cannot tell",
    throttle=[],
)
def verify(request: HttpRequest, body: VerifyIn) -> HttpResponse:
    if (body.qr is None) == (body.sd_jwt is None):
        raise ApiProblem(422, "Send exactly one of qr and sd_jwt.")
    if body.sd_jwt is not None and (not body.audience or not body.nonce):
        raise ApiProblem(
            422, "An SD-JWT presentation is checked against the audience and nonce you asked for."
        )
    try:
        with replica_reads():  # look-ups only: verification never writes
            verdict = publishing.verdict_for(
                qr=body.qr, sd_jwt=body.sd_jwt, audience=body.audience, nonce=body.nonce, at=clock.now()
            )
    except SigningUnavailable as e:
        raise _no_trust(e) from e
    verdict_out = {
        "outcome": verdict.outcome.value,
        "reasons": [
            {"code": r.code, "kind": r.kind.value, "message_en": r.message_en, "message_vi": r.message_vi}
            for r in verdict.reasons
        ],
        "at": (verdict.at or clock.now()).isoformat(),
        "stale": verdict.stale,
        "holder": dict(verdict.holder),
    }
    # Written here rather than re-validated against VerdictOut by Ninja (the OpenAPI still documents it;
    # tests/api/test_schemathesis.py checks every answer against it): that validation was ~10 % of a request.
    return HttpResponse(json.dumps(verdict_out), content_type=_JSON)
