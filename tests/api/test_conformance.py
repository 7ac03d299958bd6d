"""The API answers as its OpenAPI schema says, at the edges schemathesis found: one component per schema
name (the eligibility reasons were described by the verifier's ``ReasonOut``, with a ``kind`` they lack),
an empty ``cursor=`` is the first page, and a request the server refuses before any route (a NUL in the
URL, a body over the limit) or a job over the user's bound is a problem document with the right status.
"""

from __future__ import annotations

import json
import typing
from collections import defaultdict
from typing import Any

import jsonschema_rs  # schemathesis' own validator
import pytest
from django.conf import settings
from pydantic import BaseModel

from partycard.api.v1 import api as ninja_api
from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Case
from partycard.exchange.workflow import Transition
from partycard.jobs.models import Job
from tests.exchange import conftest as exchange_fixtures
from tests.exchange.conftest import card_holder

from .conftest import Api

campaign = exchange_fixtures.campaign
officers = exchange_fixtures.officers

pytestmark = pytest.mark.django_db

# Ninja's own wrappers around a route's parameters and responses: flattened, never components.
_WRAPPERS = {"NinjaResponseSchema", "PathParams", "QueryParams", "BodyParams", "HeaderParams", "CookieParams"}


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)


def _schema_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    for _, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    _models_in(model, seen)
    return {m for m in seen if m.__name__ not in _WRAPPERS}


def test_no_two_schemas_share_an_openapi_component() -> None:
    """Ninja names each component after its class and keeps the last one of a name: two classes of one
    name make one of them describe the other's responses (as the verifier's ``ReasonOut`` did)."""
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in _schema_models():
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    shared = {name: sorted(classes) for name, classes in by_name.items() if len(classes) > 1}
    assert shared == {}
    components = ninja_api.get_openapi_schema()["components"]["schemas"]
    assert {"EligibilityReasonOut", "VerdictReasonOut"} <= set(components)


def _validate(document: dict[str, Any], component: str, instance: Any) -> None:
    """``instance`` against ``component`` of the API's own OpenAPI document (JSON Schema 2020-12)."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    jsonschema_rs.Draft202012Validator(schema).validate(instance)


def test_the_eligibility_response_conforms_to_its_schema(
    api_as: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = make_member(old_card_number=None, abroad=True, under_inspection=True)
    response = api_as(officers.cell).get(f"/members/{member.pk}/eligibility", {"campaign": campaign.pk})
    assert response.status_code == 200
    body = response.json()
    assert [r["code"] for r in body["reasons"]] == ["no_current_card", "under_inspection"]  # abroad: none
    document = json.loads(api_as(officers.cell).get("/openapi.json").content)
    declared = document["paths"]["/api/v1/members/{member_id}/eligibility"]["get"]["responses"]["200"]
    component = declared["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    _validate(document, component, body)  # each reason as declared: code, messages, postpones (no kind)
    reason = document["components"]["schemas"]["EligibilityReasonOut"]
    assert set(reason["required"]) == {"code", "message_vi", "message_en", "postpones"}


def _proposed(campaign: Any, member: Any) -> Case:
    return Case.objects.create(
        campaign=campaign,
        member=member,
        organisation=member.organisation,
        path=member.organisation.path,
        state="proposed",
    )


def _page(api: Api, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params)
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_an_empty_cursor_is_the_first_page(
    api_as: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    members = [
        card_holder(
            make_member,
            full_name=f"Nguyễn Văn {c}",
            citizen_id=f"00108001{i:04d}",
            old_card_number=f"7{i:07d}",
        )
        for i, c in enumerate("ABC")
    ]
    cases = [_proposed(campaign, m) for m in members]
    job = start_transition(
        actor=officers.upper, transition=Transition.CONFIRM, targets=[c.pk for c in cases], enqueue=False
    )
    province = api_as(officers.province)
    lists = [
        (province, "/organisations", {"limit": 1}),
        (province, "/members", {"limit": 2}),
        (province, "/cases", {"campaign": campaign.pk, "limit": 2}),
        (api_as(officers.upper), f"/jobs/{job.pk}/failures", {"limit": 2}),
    ]
    for api, path, params in lists:
        first = _page(api, path, **params)
        assert _page(api, path, **params, cursor="") == first, path
    # A cursor past the largest id is the end of the list, not an error; one of the wrong shape is a 400.
    assert _page(province, "/cases", campaign=campaign.pk, cursor="9" * 19)["items"] == []
    for path, cursor in (("/cases", "x1"), ("/organisations", "not a code"), ("/members", "!!")):
        response = province.get(path, {"cursor": cursor})
        assert response.status_code == 400 and response.json()["type"] == "urn:partycard:problem:bad-cursor"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_a_nul_in_the_path_or_the_query_is_a_400_problem(api: Api, tree: Any) -> None:
    for path in ("/organisations/HN%00", "/members?q=a%00b", "/organisations?parent=HN%00", "/a%00b"):
        assert (
            _problem(api.client.get(f"/api/v1{path}", headers=api._headers()), 400)["type"] == "about:blank"
        )


def test_a_body_over_the_limit_is_a_413_problem(client: Any, db: None) -> None:
    body = json.dumps({"qr": "A" * (10 * 1024 * 1024)})
    response = client.post("/api/v1/verify", body, content_type="application/json")
    problem = _problem(response, 413)
    assert problem["type"] == "urn:partycard:problem:too-large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in problem["detail"]
    document = ninja_api.get_openapi_schema()
    assert "413" in {str(s) for s in document["paths"]["/api/v1/verify"]["post"]["responses"]}


def test_a_job_over_the_user_s_bound_is_a_429_problem(
    api_as: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    case = _proposed(campaign, card_holder(make_member))
    grassroots = api_as(officers.grassroots)
    body = {"transition": "confirm", "case_ids": [case.pk]}
    for _ in range(3):
        assert grassroots.post("/cases/bulk-transitions", body).status_code == 202
    refused = grassroots.post("/cases/bulk-transitions", body)
    problem = _problem(refused, 429)
    assert problem["type"] == "urn:partycard:problem:too-many-jobs" and "3" in problem["detail"]
    assert int(refused["Retry-After"]) >= 1
    assert Job.objects.filter(actor=officers.grassroots).count() == 3  # the refused one left nothing
    # Another token of the same user is the same user: refused too. Once a job is done, there is room.
    assert api_as(officers.grassroots).post("/cases/bulk-transitions", body).status_code == 429
    oldest = Job.objects.filter(actor=officers.grassroots).order_by("pk").first()
    assert oldest is not None
    Job.objects.filter(pk=oldest.pk).update(status=Job.Status.DONE)
    assert grassroots.post("/cases/bulk-transitions", body).status_code == 202
