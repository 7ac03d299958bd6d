"""The write matrix: every role × every write, by every door, aimed at the sibling province. Zero writes.

The leak matrix (test_leak_matrix.py) proves that nothing of the other province can be read, and that a
write to the other side's *own* URLs is refused. This one aims the actor's *own* objects, or a create, at
the other side: move one's own member into the other province's cell, one's own commune under the other
province, create an organisation or a member inside it, rename its province, give an account one of its
organisations. Each is tried

* at the services (``registry.services``, ``accounts.services``), the one place the rule lives
  (``core.scope.scope_require``), for every role;
* through every door that reaches them: the web pages, the Django admin (officers are staff with the
  model permissions, as an attacker with an officer's login would be), the REST API, the roster import
  (web page and command line).

After each attempt the other province's rows are exactly as before and no audit row names them. Every
refusal is a 4xx, never a 500. A positive control per door shows the same request, aimed inside the
actor's own scope, is accepted: the refusals are the scope's, not a malformed request's.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max
from django.test import Client

from partycard.accounts.models import TOTPDevice, User
from partycard.accounts.roles import Action, Role, allowed
from partycard.accounts.services import user_password_set, user_save
from partycard.accounts.two_factor import totp_device_remove, totp_device_update
from partycard.audit.models import AuditEvent
from partycard.cards.lifecycle import CardTransition
from partycard.cards.services import card_transition
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope
from partycard.registry import services
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member, Organisation
from tests.conftest import (
    ROLE_PLACE,
    ModuleWorld,
    TreeFixture,
    member_data,
    module_world,
    siblings_build,
    side_users,
)
from tests.credentials.conftest import authority  # noqa: F401 - a fixture
from tests.factories import card_active
from tests.test_leak_matrix import (
    audited_ids,
    distribution_objects,
    dues_objects,
    inspection_objects,
    loss_objects,
    meetings_objects,
    population_objects,
    production_objects,
    state_of,
    sync_objects,
    transfer_objects,
)

pytestmark = pytest.mark.django_db

ROLES = list(Role)


@pytest.fixture(scope="module")
def _world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[ModuleWorld]:
    """Both provinces and everything in them, built once for the module (``module_world``)."""
    with module_world(django_db_blocker, tmp_path_factory.mktemp("write-world"), _world_build) as built:
        yield built


@pytest.fixture
def world(_world: ModuleWorld, db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return _world.enter(settings, monkeypatch)


@pytest.fixture
def tree(world: dict[str, Any]) -> Any:
    """The module's tree (its rows are the world's)."""
    return world["tree"]


def _world_build(tmp_path: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Both sides, with every role's user (officers staff with the registry's and accounts' admin rights),
    an API token each, and each side's commune and a second cell on the Hà Nội side for the controls."""
    tree = TreeFixture()
    sides = siblings_build(tree)
    sides["hn"]["commune"], sides["hue"]["commune"] = tree.ba_dinh, tree.thuan_hoa
    sides["hn"]["other_cell"] = tree.cell_b
    users, tokens = side_users(sides, app_labels=("registry", "accounts"), prefix="w-")
    # A member-role account on each side: the target of the account writes.
    for side in sides:
        sides[side]["account"] = User.objects.create_user(
            f"w-{side}-account", password="mat-khau-dai-1", role=Role.CELL_SECRETARY,
            organisation=sides[side]["cell"],
        )  # fmt: skip
        sides[side]["device"] = TOTPDevice.objects.create(
            user=sides[side]["account"], name="điện thoại", confirmed=True
        )
        sides[side]["card"] = card_active(sides[side]["member"])  # the target of the card writes
        dues_objects(sides[side])  # its cell's dues: a payment recorded, a declaration awaiting
        distribution_objects(sides[side], settings, tmp_path)  # shipments, a meeting, documents
        production_objects(sides[side])  # a production batch of the province
        inspection_objects(sides[side], users[(side, Role.INSPECTOR)])  # its commission's, being verified
        meetings_objects(sides[side])  # a meeting of its cell, its member present
        transfer_objects(sides[side])  # a transfer within its province, its letter issued
        loss_objects(sides[side])  # a lost-card report of its member (issue 16)
        sync_objects(sides[side], users[(side, Role.COMMITTEE_OFFICER)], tmp_path)  # a sync preview (17)
        assignment_objects(sides[side], users[(side, Role.YOUTH_VOLUNTEER)])  # its volunteer (issue 17)
        review_world(sides[side], users[(side, Role.GRASSROOTS_OFFICER)])  # its review proposal (issue 17)
        population_objects(sides[side])  # a population check of its province, a task of its member (17)
    return {"sides": sides, "users": users, "tokens": tokens, "tree": tree}


def assignment_objects(objects: dict[str, Any], volunteer: User) -> None:
    """Each side's Youth Union volunteer and their assignment to its cell (``side_users`` made it)."""
    from partycard.accounts.models import VolunteerAssignment

    objects["volunteer"] = volunteer
    objects["assignment"] = VolunteerAssignment.objects.get(volunteer=volunteer)


class Untouched:
    """The other province's rows and audit trail, compared before and after a block of attempts."""

    def __init__(self, other: dict[str, Any]) -> None:
        self.other = other
        self.before = state_of(other)
        self.audited = audited_ids(other)
        self.last_seq = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0

    def check(self, where: str) -> None:
        assert state_of(self.other) == self.before, f"{where}: the other province changed"
        device = TOTPDevice.objects.filter(pk=self.other["device"].pk).values("name", "confirmed").first()
        assert device == {"name": "điện thoại", "confirmed": True}, (
            f"{where}: the other side's device changed"
        )
        touched = {(e.object_type, e.object_id) for e in AuditEvent.objects.filter(seq__gt=self.last_seq)}
        assert not (touched & self.audited), f"{where}: audit rows name the other province"


# ---- the services, for every role -------------------------------------------------------------------

SERVICE_ATTACKS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]] = {
    "member_create in the other cell": lambda actor, own, other: services.member_create(
        actor=actor, data=member_data(other["cell"], citizen_id="001080055555", full_name="Đã Bị Thêm")
    ),
    "member_update: own member into the other cell": lambda actor, own, other: services.member_update(
        actor=actor, member=own["member"], changes={"organisation": other["cell"]}
    ),
    "member_update: own member into the other cell by id": lambda actor, own, other: services.member_update(
        actor=actor, member=own["member"], changes={"organisation_id": other["cell"].pk}
    ),
    "member_transfer: own member into the other cell": lambda actor, own, other: services.member_transfer(
        actor=actor, member=own["member"], to_cell=other["cell"], reason="matrix"
    ),
    "member_transfer: the other member into own cell": lambda actor, own, other: services.member_transfer(
        actor=actor, member=other["member"], to_cell=own["cell"], reason="matrix"
    ),
    "member_update of the other member": lambda actor, own, other: services.member_update(
        actor=actor, member=other["member"], changes={"full_name": "Đã Bị Sửa"}
    ),
    "organisation_create under the other commune": lambda actor, own, other: services.organisation_create(
        actor=actor,
        code="LEAK-1",
        name="Đã Bị Thêm",
        level=OrgLevel.GRASSROOTS_COMMITTEE,
        parent=other["commune"],
    ),
    "organisation_create of a root": lambda actor, own, other: services.organisation_create(
        actor=actor, code="LEAK-2", name="Đã Bị Thêm", level=OrgLevel.CENTRE, parent=None
    ),
    "organisation_move: own commune under the other province": lambda actor, own, other: (
        services.organisation_move(actor=actor, organisation=own["commune"], new_parent=other["province"])
    ),
    "organisation_move: the other commune under own province": lambda actor, own, other: (
        services.organisation_move(actor=actor, organisation=other["commune"], new_parent=own["province"])
    ),
    "organisation_update of the other province": lambda actor, own, other: services.organisation_update(
        actor=actor, organisation=other["province"], changes={"name": "Đã Bị Sửa"}
    ),
    "user_save: own account into the other cell": lambda actor, own, other: user_save(
        actor=actor, user=_moved(own["account"], other["cell"])
    ),
    "user_save: the other side's account": lambda actor, own, other: user_save(
        actor=actor, user=_moved(other["account"], own["cell"])
    ),
    "user_password_set on the other side's account": lambda actor, own, other: user_password_set(
        actor=actor, user=other["account"], password="mat-khau-moi-dai-1", door="admin"
    ),
    "totp_device_update of the other side's device": lambda actor, own, other: totp_device_update(
        actor=actor, device=_renamed(other["device"])
    ),
    "totp_device_remove of the other side's device": lambda actor, own, other: totp_device_remove(
        actor=actor, device=other["device"]
    ),
}


for _step, _reason in (
    (CardTransition.REVOKE, "matrix"),
    (CardTransition.REPORT_LOST, "matrix"),
    (CardTransition.SUSPEND, "matrix"),
    (CardTransition.REPORT_DAMAGED, "matrix"),
):
    SERVICE_ATTACKS[f"card_transition: {_step.value} the other side's card"] = (
        lambda actor, own, other, step=_step, why=_reason: card_transition(
            actor=actor, card=other["card"], transition=step, reason=why
        )
    )


def _distribution_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """Distribution's writes aimed at the other side: receive its shipment, send from its province, open
    its cell's meeting, hand over at it, make its commune's register, destroy its cards, re-route its card."""
    import datetime as dt

    from partycard.distribution import services as d
    from partycard.distribution.choices import HandOverMethod

    return {
        "shipment_receive of the other side's shipment": lambda actor, own, other: d.shipment_receive(
            actor=actor, code=other["shipment"].code, counted=1
        ),
        "shipments_send from the other province": lambda actor, own, other: d.shipments_send(
            actor=actor, from_org=other["province"]
        ),
        "meeting_open in the other cell": lambda actor, own, other: d.meeting_open(
            actor=actor, cell=other["cell"], held_on=dt.date(2026, 9, 5)
        ),
        "handover_record at the other cell's meeting": lambda actor, own, other: d.handover_record(
            actor=actor, meeting=other["meeting"], card=other["card"], method=HandOverMethod.PAPER
        ),
        "register_start of the other commune": lambda actor, own, other: d.register_start(
            actor=actor, committee=other["register"].committee
        ),
        "destruction_start in the other commune": lambda actor, own, other: d.destruction_start(
            actor=actor, committee=other["register"].committee, destroyed_on=dt.date(2026, 9, 5), council="x"
        ),
        "reroute_ship of the other side's card": lambda actor, own, other: d.reroute_ship(
            actor=actor, number=other["card"].number
        ),
    }


SERVICE_ATTACKS.update(_distribution_attacks())


def _production_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """Production is the Centre's: an officer anywhere else, or a central administrator placed at a
    province, may neither release the other province's batch nor plan batches of its cards."""
    from partycard.production import services as p

    return {
        "batch_release of the other side's batch": lambda actor, own, other: p.batch_release(
            actor=actor, batch=other["batch"], enqueue=False
        ),
        "batches_plan of the other side's province": lambda actor, own, other: p.batches_plan(
            actor=actor, layout="v1", province=other["province"]
        ),
    }


SERVICE_ATTACKS.update(_production_attacks())


def _inspection_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """Inspections aimed at the other side: open one of its organisation, draw, record a finding on, conclude,
    report on or close its inspection, and record a finding of one's own inspection on its case."""
    from partycard.inspections import services as i

    def open_other(actor: Any, own: dict[str, Any], other: dict[str, Any]) -> Any:
        return i.inspection_open(
            actor=actor, organisation=other["grassroots"], campaign=other["inspection"].campaign,
            number="LEAK-1", decided_on=dt.date(2026, 9, 1), subject="x", period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 8, 31), place="x",
        )  # fmt: skip

    return {
        "inspection_open of the other side's organisation": open_other,
        "inspection_sample of the other side's inspection": lambda actor, own, other: i.inspection_sample(
            actor=actor, inspection=other["inspection"], percent=100
        ),
        "finding_record in the other side's inspection": lambda actor, own, other: i.finding_record(
            actor=actor, inspection=other["inspection"], case=other["case"], kind="correct"
        ),
        "finding_record: own inspection, the other side's case": lambda actor, own, other: i.finding_record(
            actor=actor, inspection=own["inspection"], case=other["case"], kind="correct"
        ),
        "inspection_conclude of the other side's inspection": lambda actor, own, other: i.inspection_conclude(
            actor=actor, inspection=other["inspection"], conclusion="x"
        ),
        "inspection_respond to the other side's inspection": lambda actor, own, other: i.inspection_respond(
            actor=actor, inspection=other["inspection"], response="x"
        ),
        "inspection_close of the other side's inspection": lambda actor, own, other: i.inspection_close(
            actor=actor, inspection=other["inspection"]
        ),
    }


SERVICE_ATTACKS.update(_inspection_attacks())


def _loss_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """Lost or damaged cards (issue 16) aimed at the other side: report its member's card, report one's own
    member with its card, take each step on its report, record the recovery of its member's card or of its
    card for one's own member."""
    from partycard.losses import services as losses
    from tests.losses.conftest import photos

    def report(member: str, card: str) -> Callable[[Any, dict[str, Any], dict[str, Any]], Any]:
        def attack(actor: Any, own: dict[str, Any], other: dict[str, Any]) -> Any:
            sides = {"own": own, "other": other}
            return losses.loss_report(
                actor=actor, member=sides[member]["member"], card=sides[card]["loss"].card, kind="damaged",
                circumstances="x", photos=photos(),
            )  # fmt: skip

        return attack

    attacks: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]] = {
        "loss_report of the other side's member": report("other", "other"),
        "loss_report: own member, the other side's card": report("own", "other"),
        "recovery_record of the other side's member": lambda actor, own, other: losses.recovery_record(
            actor=actor, member=other["member"], card=other["card"]
        ),
        "recovery_record: own member, the other side's card": lambda actor, own, other: (
            losses.recovery_record(actor=actor, member=own["member"], card=other["card"])
        ),
    }
    for step in ("list", "compile", "decide", "refuse", "close"):
        attacks[f"loss_step: {step} the other side's report"] = lambda actor, own, other, step=step: (
            losses.loss_step(actor=actor, report=other["loss"], step=step, reason="x", decision_number="x")
        )
    return attacks


SERVICE_ATTACKS.update(_loss_attacks())


def _population_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """The population check (issue 17) aimed at the other side: check its province, correct its member's
    record through its task, confirm its task."""
    from partycard.population import services as pop

    return {
        "check_start of the other province": lambda actor, own, other: pop.check_start(
            actor=actor, root=other["province"], enqueue=False
        ),
        "task_correct of the other side's task": lambda actor, own, other: pop.task_correct(
            actor=actor, task=other["population_task"], changes={"full_name": "Đã Bị Sửa"}
        ),
        "task_confirm of the other side's task": lambda actor, own, other: pop.task_confirm(
            actor=actor, task=other["population_task"], note="matrix"
        ),
    }


SERVICE_ATTACKS.update(_population_attacks())


def _officer_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """The officer services (issue 15) aimed at the other side: create an officer in its cell, move one's
    own officer there, and change, reset, disable or unlock its officer."""
    from partycard.officers import services as o

    def details(org: Organisation) -> Any:
        return o.OfficerDetails("Đã Bị Thêm", "leak@example.vn", "", Role.CELL_SECRETARY, org)

    return {
        "officer_create in the other cell": lambda actor, own, other: o.officer_create(
            actor=actor, username="w-leak", details=details(other["cell"]), delivery=o.Delivery.TEMPORARY
        ),
        "officer_update: own officer into the other cell": lambda actor, own, other: o.officer_update(
            actor=actor, officer=own["account"], details=details(other["cell"])
        ),
        "officer_update of the other side's officer": lambda actor, own, other: o.officer_update(
            actor=actor, officer=other["account"], details=details(own["cell"])
        ),
        "officer_password_reset of the other side's officer": lambda actor, own, other: (
            o.officer_password_reset(actor=actor, officer=other["account"], delivery=o.Delivery.TEMPORARY)
        ),
        "officer_two_factor_reset of the other side's officer": lambda actor, own, other: (
            o.officer_two_factor_reset(actor=actor, officer=other["account"])
        ),
        "officer_disable of the other side's officer": lambda actor, own, other: o.officer_disable(
            actor=actor, officer=other["account"]
        ),
        "officer_enable of the other side's officer": lambda actor, own, other: o.officer_enable(
            actor=actor, officer=other["account"]
        ),
        "officer_unlock of the other side's officer": lambda actor, own, other: o.officer_unlock(
            actor=actor, officer=other["account"]
        ),
    }


SERVICE_ATTACKS.update(_officer_attacks())


def _transfer_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """The transfer services (issue 16) aimed at the other side: draft the transfer of its member (into
    one's own cell), and take any step of its transfer (within its province: neither side of it is ours).
    A transfer of one's own member *to* the other province is legitimate (the inter-province transfer),
    and changes nothing of the other side's rows: tests/transfers covers it."""
    from partycard.transfers import services as t

    return {
        "transfer_create of the other side's member": lambda actor, own, other: t.transfer_create(
            actor=actor,
            member=other["member"],
            kind="official",
            to_cell=own["cell"],
            decided_on=dt.date.today(),
            reason="Ma trận",
        ),
        "transfer_issue of the other side's transfer": lambda actor, own, other: t.transfer_issue(
            actor=actor, transfer=other["transfer"]
        ),
        "transfer_receive of the other side's transfer": lambda actor, own, other: t.transfer_receive(
            actor=actor, transfer=other["transfer"], qr="PC1R:X"
        ),
        "transfer_complete of the other side's transfer": lambda actor, own, other: t.transfer_complete(
            actor=actor, transfer=other["transfer"]
        ),
        "transfer_cancel of the other side's transfer": lambda actor, own, other: t.transfer_cancel(
            actor=actor, transfer=other["transfer"], reason="Ma trận"
        ),
        "transfer_refuse of the other side's transfer": lambda actor, own, other: t.transfer_refuse(
            actor=actor, transfer=other["transfer"], reason="Ma trận"
        ),
    }


SERVICE_ATTACKS.update(_transfer_attacks())


def _export_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """A roster export job is a read of the organisation it names: none may start for the other side."""
    from partycard.registry.jobs import start_export

    return {
        "start_export of the other province": lambda actor, own, other: start_export(
            actor=actor, root=other["province"], enqueue=False
        ),
        "start_export of the other cell": lambda actor, own, other: start_export(
            actor=actor, root=other["cell"], enqueue=False
        ),
    }


SERVICE_ATTACKS.update(_export_attacks())


def review_world(objects: dict[str, Any], officer: User) -> None:
    """Each side's offline review (issue 17): a proposal awaiting a decision (``review_import``) and a fresh
    workbook of its grassroots organisation, as the side's officer handed it out (``review_workbook``)."""
    from partycard.review.services import review_export
    from tests.test_leak_matrix import review_objects

    review_objects(objects, officer)
    objects["review_workbook"] = review_export(actor=officer, organisation=objects["grassroots"])[1]


def _review_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """The offline review (issue 17) aimed at the other side: hand out its workbook or paper form, bring its
    workbook back, apply its proposal (conflicts decided or not)."""
    from partycard.review import services as review

    return {
        "review_export of the other grassroots": lambda actor, own, other: review.review_export(
            actor=actor, organisation=other["grassroots"]
        ),
        "review_export of the other cell": lambda actor, own, other: review.review_export(
            actor=actor, organisation=other["cell"]
        ),
        "review_paper of the other grassroots": lambda actor, own, other: review.review_paper(
            actor=actor, organisation=other["grassroots"]
        ),
        "review_import of the other side's workbook": lambda actor, own, other: review.review_import(
            actor=actor, file=other["review_workbook"]
        ),
        "review_apply of the other side's proposal": lambda actor, own, other: review.review_apply(
            actor=actor, review_import=other["review_import"], decisions={}
        ),
    }


SERVICE_ATTACKS.update(_review_attacks())


def _review_doors(world: dict[str, Any], login: Any, side: str, role: str) -> dict[str, Callable[[], Any]]:
    """The review's pages and API (issue 17), each aimed at the other side."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    own, other = world["sides"][side], world["sides"]["hue" if side == "hn" else "hn"]
    web, api = _web(world, login, side, role), _api(world, side, role)
    theirs, code = other["review_import"].pk, other["grassroots"].code

    def upload() -> Any:
        return SimpleUploadedFile("ra-soat.xlsx", other["review_workbook"])

    return {
        "page: the other workbook": lambda: web.post(f"/ra-soat/to-chuc/{code}/bang-tinh/"),
        "page: the other paper form": lambda: web.post(f"/ra-soat/to-chuc/{code}/phieu-giay/"),
        "page: bring the other workbook back": lambda: web.post("/ra-soat/nop-lai/", {"file": upload()}),
        "page: apply the other proposal": lambda: web.post(f"/ra-soat/{theirs}/ap-dung/"),
        "api: the other workbook": lambda: api.post(f"/api/v1/review/organisations/{code}/workbook"),
        "api: the other paper form": lambda: api.post(f"/api/v1/review/organisations/{code}/paper"),
        "api: bring the other workbook back": lambda: api.post("/api/v1/review/imports", {"file": upload()}),
        "api: apply the other proposal": lambda: api.post(
            f"/api/v1/review/imports/{theirs}/apply", "{}", content_type="application/json"
        ),
        "api: the other member's row into one's own proposal": lambda: api.post(
            f"/api/v1/review/imports/{own['review_import'].pk}/apply",
            json.dumps({"decisions": {f"{other['member'].pk}:occupation": "theirs"}}),
            content_type="application/json",
        ),
    }


@pytest.mark.parametrize("role", ROLES)
def test_no_review_door_writes_into_the_sibling_province(
    world: dict[str, Any], role: str, login: Any
) -> None:
    """Nothing written through the review's doors (issue 17); each refused with a 4xx, the other side's
    proposal still awaiting, its records as they were."""
    from partycard.review.models import ReviewImport

    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        other = world["sides"][other_side]
        guard = Untouched(other)
        status = ReviewImport.objects.get(pk=other["review_import"].pk).status
        for door, attempt in _review_doors(world, login, side, role).items():
            response = attempt()
            where = f"{role} of {side}, {door} → {response.status_code}"
            own_proposal = "one's own proposal" in door
            assert 400 <= response.status_code < 500 or (own_proposal and response.status_code == 200), where
            guard.check(where)
            assert ReviewImport.objects.get(pk=other["review_import"].pk).status == status, where


def test_the_review_doors_accept_the_same_writes_inside_the_scope(world: dict[str, Any], login: Any) -> None:
    """The control: the grassroots officer hands out, brings back and applies at home, by page and API."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    hn = world["sides"]["hn"]
    web, api = _web(world, login, "hn", Role.GRASSROOTS_OFFICER), _api(world, "hn", Role.GRASSROOTS_OFFICER)
    code = hn["grassroots"].code
    assert web.post(f"/ra-soat/to-chuc/{code}/bang-tinh/").status_code == 200
    assert web.post(f"/ra-soat/to-chuc/{code}/phieu-giay/").status_code == 200
    assert api.post(f"/api/v1/review/organisations/{code}/workbook").status_code == 200
    upload = SimpleUploadedFile("ra-soat.xlsx", hn["review_workbook"])
    assert web.post("/ra-soat/nop-lai/", {"file": upload}).status_code == 302
    response = api.post(
        f"/api/v1/review/imports/{hn['review_import'].pk}/apply", "{}", content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Member.objects.get(pk=hn["member"].pk).occupation == "Rà soát ma trận"


def _meeting_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """Meetings aimed at the other side (issue 16): open one in its cell, close its meeting, record its member
    present or excused (at its meeting, or at one's own), sync check-ins into its meeting."""
    from partycard.core import clock
    from partycard.meetings import services as m

    return {
        "meeting_open in the other cell": lambda actor, own, other: m.meeting_open(
            actor=actor, cell=other["cell"], title="x", starts_at=clock.now()
        ),
        "meeting_close of the other side's meeting": lambda actor, own, other: m.meeting_close(
            actor=actor, meeting=other["cell_meeting"]
        ),
        "attendance_record at the other side's meeting": lambda actor, own, other: m.attendance_record(
            actor=actor, meeting=other["cell_meeting"], member=other["member"], method="manual"
        ),
        "attendance_record: the other member at one's own meeting": lambda actor, own, other: (
            m.attendance_record(
                actor=actor, meeting=own["cell_meeting"], member=other["member"], method="chip"
            )
        ),
        "excuse_record at the other side's meeting": lambda actor, own, other: m.excuse_record(
            actor=actor, meeting=other["cell_meeting"], member=other["member"], reason="x"
        ),
        "excuse_record: the other member at one's own meeting": lambda actor, own, other: m.excuse_record(
            actor=actor, meeting=own["cell_meeting"], member=other["member"], reason="x"
        ),
        "checkins_sync into the other side's meeting": lambda actor, own, other: m.checkins_sync(
            actor=actor, meeting=other["cell_meeting"], items=[]
        ),
    }


SERVICE_ATTACKS.update(_meeting_attacks())


def _dues_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """Party dues (issue 16) aimed at the other side: record in its cell, record its member through one's
    own cell, confirm or refuse its member's declaration, declare for its member, close its month."""
    from partycard.dues import services as du
    from partycard.dues.jobs import month_close_start
    from partycard.dues.months import month_parse

    def month(side: dict[str, Any]) -> Any:
        return month_parse(side["dues_month"])

    return {
        "payments_record in the other cell": lambda actor, own, other: du.payments_record(
            actor=actor, cell=other["cell"], month=month(other), amounts={other["member"].pk: 1}
        ),
        "payments_record: own cell, the other side's member": lambda actor, own, other: du.payments_record(
            actor=actor, cell=own["cell"], month=month(own), amounts={other["member"].pk: 1}
        ),
        "payment_confirm of the other side's declaration": lambda actor, own, other: du.payment_confirm(
            actor=actor, payment=other["declared"]
        ),
        "payment_refuse of the other side's declaration": lambda actor, own, other: du.payment_refuse(
            actor=actor, payment=other["declared"], reason="matrix"
        ),
        "payment_declare for the other side's member": lambda actor, own, other: du.payment_declare(
            actor=actor, member=other["member"], month=month(other), amount=1
        ),
        "month_close_start of the other province": lambda actor, own, other: month_close_start(
            actor=actor, month=month(other), root=other["province"], enqueue=False
        ),
    }


SERVICE_ATTACKS.update(_dues_attacks())


def _assignment_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """The volunteers' assignments (issue 17) aimed at the other side: one's own volunteer to its cell, its
    volunteer to one's own cell, both cells at once, and revoking its assignment."""
    from partycard.core import clock
    from partycard.review.assignments_services import assignment_create, assignment_revoke

    def create(
        volunteer: str, cells: tuple[str, ...]
    ) -> Callable[[Any, dict[str, Any], dict[str, Any]], Any]:
        def attack(actor: Any, own: dict[str, Any], other: dict[str, Any]) -> Any:
            sides = {"own": own, "other": other}
            return assignment_create(
                actor=actor, volunteer=sides[volunteer]["volunteer"], cells=[sides[c]["cell"] for c in cells],
                starts_on=clock.today(), ends_on=clock.today() + dt.timedelta(days=30), note="x",
            )  # fmt: skip

        return attack

    return {
        "assignment_create: own volunteer to the other cell": create("own", ("other",)),
        "assignment_create: the other volunteer to own cell": create("other", ("own",)),
        "assignment_create: own volunteer to own and the other cell": create("own", ("own", "other")),
        "assignment_revoke of the other side's assignment": lambda actor, own, other: assignment_revoke(
            actor=actor, assignment=other["assignment"]
        ),
    }


SERVICE_ATTACKS.update(_assignment_attacks())


def _assignment_doors(web: Client, api: Client, own: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The assignment page and API (issue 17), each aimed at the other side."""
    form = {"starts_on": "01/01/2030", "ends_on": "01/02/2030", "note": "x"}
    body = {"starts_on": "2030-01-01", "ends_on": "2030-02-01"}

    def api_post(url: str, data: dict[str, Any]) -> Any:
        return api.post(url, json.dumps(data), content_type="application/json")

    return {
        "page: own volunteer to the other cell": lambda: web.post(
            "/ra-soat/tinh-nguyen-vien/",
            {**form, "volunteer": own["volunteer"].pk, "cells": [other["cell"].pk]},
        ),
        "page: own volunteer to the other cell by code": lambda: web.post(
            "/ra-soat/tinh-nguyen-vien/",
            {**form, "volunteer": own["volunteer"].pk, "codes": other["cell"].code},
        ),
        "page: the other volunteer to own cell": lambda: web.post(
            "/ra-soat/tinh-nguyen-vien/",
            {**form, "volunteer": other["volunteer"].pk, "cells": [own["cell"].pk]},
        ),
        "page: revoke the other side's assignment": lambda: web.post(
            f"/ra-soat/tinh-nguyen-vien/{other['assignment'].pk}/thu-hoi/"
        ),
        "api: own volunteer to the other cell": lambda: api_post(
            "/api/v1/assignments", {**body, "volunteer": own["volunteer"].pk, "cells": [other["cell"].code]}
        ),
        "api: the other volunteer to own cell": lambda: api_post(
            "/api/v1/assignments", {**body, "volunteer": other["volunteer"].pk, "cells": [own["cell"].code]}
        ),
        "api: revoke the other side's assignment": lambda: api_post(
            f"/api/v1/assignments/{other['assignment'].pk}/revoke", {}
        ),
    }


def _sync_attacks() -> dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]]:
    """The party-database sync (issue 17) aimed at the other side: export it, read a file into it, decide
    on or apply its run. (A file of one's own run naming the other side: ``test_no_sync_file_writes…``.)"""
    import tempfile
    from pathlib import Path

    from partycard.partysync import jobs as sync_jobs
    from partycard.partysync import services as sync

    def scratch(name: str) -> Path:
        path = Path(tempfile.mkdtemp()) / name
        path.write_text("{}\n", encoding="utf-8")
        return path

    def preview(actor: Any, other: dict[str, Any]) -> Any:
        return sync_jobs.start_preview(
            actor=actor, root=other["province"], path=scratch("x.jsonl"), name="x.jsonl", remove_file=False,
            enqueue=False,
        )  # fmt: skip

    return {
        "sync_export of the other province": lambda actor, own, other: sync.sync_export(
            actor=actor, root=other["province"], path=scratch("x.csv"), fmt="csv"
        ),
        "sync start_preview into the other province": lambda actor, own, other: preview(actor, other),
        "sync_decide on the other side's run": lambda actor, own, other: sync.sync_decide(
            actor=actor, run=other["sync_run"], decisions={}
        ),
        "sync start_apply of the other side's run": lambda actor, own, other: sync_jobs.start_apply(
            actor=actor, run=other["sync_run"], enqueue=False
        ),
        "sync_apply of the other side's run": lambda actor, own, other: sync.sync_apply(
            actor=actor, run=other["sync_run"]
        ),
    }


SERVICE_ATTACKS.update(_sync_attacks())


def _sync_doors(web: Client, api: Client, own: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The sync pages and API aimed at the other side (issue 17): a file read into it, its run decided or
    applied."""
    theirs = other["sync_run"].pk
    row = {
        "organisation_code": other["cell"].code, "full_name": "Đã Bị Nhập", "gender": "M",
        "date_of_birth": "1980-03-12", "citizen_id": "001080077777", "file_number": "000777HN",
        "date_admitted": "2005-05-19", "date_official": "2006-05-19", "status": "official",
    }  # fmt: skip
    body = json.dumps({"decisions": {"row:2": {"full_name": "theirs"}}})

    def upload(code: str) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        content = (json.dumps(row, ensure_ascii=False) + "\n").encode()
        return web.post("/dong-bo/", {"file": SimpleUploadedFile("x.jsonl", content), "organisation": code})

    return {
        "sync page: read a file into the other province": lambda: upload(other["province"].code),
        "sync page: a row naming the other cell, into one's own province": lambda: upload(
            own["province"].code
        ),
        "sync page: decide on the other side's run": lambda: web.post(
            f"/dong-bo/{theirs}/quyet-dinh/", {"d:2:full_name": "theirs"}
        ),
        "sync page: apply the other side's run": lambda: web.post(f"/dong-bo/{theirs}/ap-dung/"),
        "sync api: decide on the other side's run": lambda: api.post(
            f"/api/v1/sync/runs/{theirs}/decisions", body, content_type="application/json"
        ),
        "sync api: apply the other side's run": lambda: api.post(f"/api/v1/sync/runs/{theirs}/apply"),
    }


def _dues_doors(web: Client, api: Client, own: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The dues pages and API aimed at the other side (issue 16)."""
    cell, member, month, declared = other["cell"], other["member"], other["dues_month"], other["declared"]
    body = json.dumps({"payments": [{"member": member.pk, "amount": 1}]})
    return {
        "dues page: record in the other cell": lambda: web.post(
            f"/dang-phi/{cell.code}/{month}/", {f"paid_{member.pk}": "1", f"amount_{member.pk}": "1"}
        ),
        "dues page: confirm the other side's declaration": lambda: web.post(
            f"/dang-phi/khoan/{declared.pk}/xac-nhan/"
        ),
        "dues page: refuse the other side's declaration": lambda: web.post(
            f"/dang-phi/khoan/{declared.pk}/tu-choi/", {"reason": "matrix"}
        ),
        "dues api: record in the other cell": lambda: api.post(
            f"/api/v1/dues/cells/{cell.code}/months/{month}", body, content_type="application/json"
        ),
        "dues api: own cell, the other side's member": lambda: api.post(
            f"/api/v1/dues/cells/{own['cell'].code}/months/{own['dues_month']}",
            body,
            content_type="application/json",
        ),
        "dues api: confirm the other side's declaration": lambda: api.post(
            f"/api/v1/dues/payments/{declared.pk}/confirm", "{}", content_type="application/json"
        ),
    }


def _renamed(device: TOTPDevice) -> TOTPDevice:
    fresh = TOTPDevice.objects.get(pk=device.pk)
    fresh.name = "Đã Bị Sửa"
    return fresh


def _moved(user: User, organisation: Organisation) -> User:
    fresh = User.objects.get(pk=user.pk)
    fresh.organisation = organisation
    return fresh


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("attack", list(SERVICE_ATTACKS))
def test_no_service_writes_into_the_sibling_province(world: dict[str, Any], role: str, attack: str) -> None:
    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        actor, own, other = world["users"][(side, role)], world["sides"][side], world["sides"][other_side]
        guard = Untouched(other)
        own_before = state_of(own)
        with pytest.raises(DomainError) as refused:
            SERVICE_ATTACKS[attack](actor, own, other)
        assert isinstance(refused.value, OutOfScope) or (role == Role.CENTRAL_ADMIN and "root" in attack), (
            f"{role} of {side}, {attack}: refused for another reason: {refused.value.message}"
        )
        guard.check(f"{role} of {side}, {attack}")
        assert state_of(own) == own_before, f"{role} of {side}, {attack}: its own side changed"


def test_a_central_administrator_at_the_centre_may_write_anywhere(world: dict[str, Any]) -> None:
    """The control: the rule is the subtree, not a blanket refusal (the Centre's subtree is everything)."""
    centre_admin = User.objects.create_user(
        "w-centre", password="mat-khau-dai-1", role=Role.CENTRAL_ADMIN, organisation=world["tree"].centre
    )
    hn, hue = world["sides"]["hn"], world["sides"]["hue"]
    services.member_update(actor=centre_admin, member=hn["member"], changes={"organisation": hue["cell"]})
    assert Member.objects.get(pk=hn["member"].pk).organisation_id == hue["cell"].pk
    services.organisation_move(actor=centre_admin, organisation=hn["commune"], new_parent=hue["province"])
    assert Organisation.objects.get(pk=hn["commune"].pk).path.startswith(hue["province"].path)


@pytest.mark.parametrize("role", [Role.COMMITTEE_OFFICER, Role.GRASSROOTS_OFFICER, Role.CENTRAL_ADMIN])
def test_writes_inside_the_scope_are_accepted(world: dict[str, Any], role: str) -> None:
    actor, hn = world["users"][("hn", role)], world["sides"]["hn"]
    services.member_update(actor=actor, member=hn["member"], changes={"organisation": hn["other_cell"]})
    assert Member.objects.get(pk=hn["member"].pk).organisation_id == hn["other_cell"].pk
    created = services.member_create(
        actor=actor, data=member_data(hn["cell"], citizen_id="001080055555", full_name="Trần Văn Mới")
    )
    assert created.organisation_id == hn["cell"].pk


# ---- the doors --------------------------------------------------------------------------------------


def _web(world: dict[str, Any], login: Any, side: str, role: str) -> Client:
    client = Client()
    login(client, world["users"][(side, role)])
    return client


def _api(world: dict[str, Any], side: str, role: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][(side, role)]}")


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def admin_member_form(member: Member, **overrides: Any) -> dict[str, Any]:
    """The admin's change form for ``member`` as a browser would post it back, with ``overrides``."""
    data: dict[str, Any] = {}
    for field in Member._meta.concrete_fields:
        if not field.editable or field.primary_key or field.name in {"photo"}:
            continue
        value = getattr(member, field.attname)
        if isinstance(value, bool):
            if value:
                data[field.name] = "on"
            continue
        if isinstance(value, dt.date):
            value = _day(value)
        data[field.name] = "" if value is None else value
    data.update(overrides)
    return data


def roster_bytes(cell_code: str) -> bytes:
    """A one-row roster in the import layout (docs/import-format.md), naming ``cell_code``."""
    from partycard.registry.roster import COLUMNS

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([c.header for c in COLUMNS])
    row = {
        "organisation_code": cell_code, "full_name": "Đã Bị Nhập", "gender": "Nam",
        "date_of_birth": "12/03/1980",
        "citizen_id": "001080077777", "date_admitted": "19/05/2005", "date_official": "19/05/2006",
        "status": "Chính thức",
    }  # fmt: skip
    sheet.append([row.get(c.field, "") for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _doors(world: dict[str, Any], login: Any, side: str, role: str) -> dict[str, Callable[[], Any]]:
    """Each door's attempt at the other side (a request; the caller checks the answer and the rows)."""
    own, other = world["sides"][side], world["sides"]["hue" if side == "hn" else "hn"]
    web, api = _web(world, login, side, role), _api(world, side, role)
    new_member = member_data(other["cell"], citizen_id="001080055555", full_name="Đã Bị Thêm")
    page_form = {
        **{
            k: (_day(v) if isinstance(v, dt.date) else v)
            for k, v in new_member.items()
            if k != "organisation"
        },
        "organisation_code": other["cell"].code,
    }
    return {
        **_dues_doors(web, api, own, other),
        **_sync_doors(web, api, own, other),
        **_assignment_doors(web, api, own, other),
        "page: new member in the other cell": lambda: web.post("/dang-vien/them/", page_form),
        "admin: own member into the other cell": lambda: web.post(
            f"/admin/registry/member/{own['member'].pk}/change/",
            admin_member_form(own["member"], organisation=other["cell"].pk),
        ),
        "admin: new member in the other cell": lambda: web.post(
            "/admin/registry/member/add/",
            admin_member_form(Member(**new_member), organisation=other["cell"].pk),
        ),
        "admin: own commune under the other province": lambda: web.post(
            f"/admin/registry/organisation/{own['commune'].pk}/change/",
            {"name": own["commune"].name, "parent": other["province"].pk, "dissolved_on": ""},
        ),
        "admin: new organisation under the other commune": lambda: web.post(
            "/admin/registry/organisation/add/",
            {
                "code": "LEAK-1",
                "name": "Đã Bị Thêm",
                "level": OrgLevel.GRASSROOTS_COMMITTEE,
                "parent": other["commune"].pk,
                "dissolved_on": "",
            },
        ),
        "admin: own account into the other cell": lambda: web.post(
            f"/admin/accounts/user/{own['account'].pk}/change/",
            {
                "username": own["account"].username,
                "organisation": other["cell"].pk,
                "role": Role.CELL_SECRETARY,
                "is_active": "on",
                "date_joined_0": "01/01/2026",
                "date_joined_1": "00:00:00",
            },
        ),
        "admin: make oneself a superuser": lambda: web.post(
            f"/admin/accounts/user/{world['users'][(side, role)].pk}/change/",
            {
                "username": world["users"][(side, role)].username,
                "organisation": own[ROLE_PLACE[role]].pk,
                "role": Role.CENTRAL_ADMIN,
                "is_active": "on",
                "is_staff": "on",
                "is_superuser": "on",
                "date_joined_0": "01/01/2026",
                "date_joined_1": "00:00:00",
            },
        ),
        "api: new member in the other cell": lambda: api.post(
            "/api/v1/members",
            json.dumps(
                {
                    **page_form,
                    "organisation": other["cell"].code,
                    "date_of_birth": "1980-03-12",
                    "date_admitted": "2005-05-19",
                    "date_official": "2006-05-19",
                }
            ),
            content_type="application/json",
        ),
        "api: own member into the other cell": lambda: api.patch(
            f"/api/v1/members/{own['member'].pk}",
            json.dumps({"organisation": other["cell"].code}),
            content_type="application/json",
        ),
        "api: new organisation under the other commune": lambda: api.post(
            "/api/v1/organisations",
            json.dumps({"code": "LEAK-1", "name": "Đã Bị Thêm", "level": 3, "parent": other["commune"].code}),
            content_type="application/json",
        ),
        "import page: a row in the other cell": lambda: web.post(
            "/nhap-du-lieu/", {"file": _upload(roster_bytes(other["cell"].code))}
        ),
        "officer page: new officer in the other cell": lambda: web.post(
            "/can-bo/them/",
            {**officer_form(other["cell"].code), "username": "w-leak", "delivery": "temporary"},
        ),
        "officer page: own officer into the other cell": lambda: web.post(
            f"/can-bo/{own['account'].pk}/sua/", officer_form(other["cell"].code)
        ),
        "officer page: edit the other side's officer": lambda: web.post(
            f"/can-bo/{other['account'].pk}/sua/", officer_form(own["cell"].code)
        ),
        "officer page: reset the other side's password": lambda: web.post(
            f"/can-bo/{other['account'].pk}/dat-lai-mat-khau/", {"delivery": "temporary"}
        ),
        "officer page: reset the other side's two-factor device": lambda: web.post(
            f"/can-bo/{other['account'].pk}/dat-lai-xac-thuc/"
        ),
        "officer page: disable the other side's officer": lambda: web.post(
            f"/can-bo/{other['account'].pk}/vo-hieu-hoa/"
        ),
    }


def officer_form(organisation_code: str) -> dict[str, str]:
    """The officer page's form (``/can-bo/``) for a cell secretary at ``organisation_code``."""
    return {
        "full_name": "Đã Bị Sửa", "email": "leak@example.vn", "phone": "", "role": Role.CELL_SECRETARY,
        "organisation": organisation_code,
    }  # fmt: skip


def _upload(content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("roster.xlsx", content)


@pytest.mark.parametrize("role", ROLES)
def test_no_door_writes_into_the_sibling_province(world: dict[str, Any], role: str, login: Any) -> None:
    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        other = world["sides"][other_side]
        guard = Untouched(other)
        for door, attempt in _doors(world, login, side, role).items():
            response = attempt()
            where = f"{role} of {side}, {door} → {response.status_code}"
            assert response.status_code < 500, where
            guard.check(where)
            # An import that was refused leaves no pending upload to confirm either.
            web = _web(world, login, side, role)
            web.post("/nhap-du-lieu/", {"confirm": "1"})
            guard.check(f"{where}, then confirm")
        me = User.objects.get(pk=world["users"][(side, role)].pk)
        assert not me.is_superuser and me.role == role, f"{role} of {side} raised their own rights"
        assert Member.objects.get(pk=world["sides"][side]["member"].pk).organisation_id == (
            world["sides"][side]["cell"].pk
        )


def test_the_admin_add_page_does_not_name_an_organisation_outside_the_scope(
    world: dict[str, Any], login: Any
) -> None:
    """``/admin/registry/member/add/?organisation=<id>`` printed any organisation's name and code."""
    for role in ROLES:
        if role == Role.MEMBER:
            continue
        web = _web(world, login, "hn", role)
        hue = world["sides"]["hue"]
        for url in (
            f"/admin/registry/member/add/?organisation={hue['cell'].pk}",
            f"/admin/registry/organisation/add/?parent={hue['commune'].pk}",
        ):
            page = web.get(url).content.decode()
            assert hue["cell"].name not in page and hue["commune"].name not in page, (role, url)
            assert hue["cell"].code not in page and hue["commune"].code not in page, (role, url)


@pytest.mark.parametrize("role", [Role.COMMITTEE_OFFICER, Role.CENTRAL_ADMIN])
def test_the_doors_accept_the_same_writes_inside_the_scope(
    world: dict[str, Any], role: str, login: Any
) -> None:
    """The control for the door matrix: the same admin and API writes, aimed at one's own side, land."""
    hn = world["sides"]["hn"]
    web, api = _web(world, login, "hn", role), _api(world, "hn", role)
    response = web.post(
        f"/admin/registry/member/{hn['member'].pk}/change/",
        admin_member_form(hn["member"], organisation=hn["other_cell"].pk),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Member.objects.get(pk=hn["member"].pk).organisation_id == hn["other_cell"].pk
    response = api.patch(
        f"/api/v1/members/{hn['member'].pk}",
        json.dumps({"organisation": hn["cell"].code}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    response = web.post(
        "/admin/registry/organisation/add/",
        {"code": "HN-BD-02", "name": "Đảng bộ Mới", "level": OrgLevel.GRASSROOTS_COMMITTEE,
         "parent": hn["commune"].pk, "dissolved_on": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Organisation.objects.filter(code="HN-BD-02", parent=hn["commune"]).exists()


def test_the_officer_pages_accept_the_same_writes_inside_the_scope(world: dict[str, Any], login: Any) -> None:
    """The control for the officer doors: a committee officer creates, moves and disables at home."""
    hn, web = world["sides"]["hn"], _web(world, login, "hn", Role.COMMITTEE_OFFICER)
    form = {**officer_form(hn["cell"].code), "username": "w-new", "delivery": "temporary"}
    assert web.post("/can-bo/them/", form).status_code == 200
    assert User.objects.get(username="w-new").organisation_id == hn["cell"].pk
    account = hn["account"]
    assert web.post(f"/can-bo/{account.pk}/sua/", officer_form(hn["other_cell"].code)).status_code == 302
    assert User.objects.get(pk=account.pk).organisation_id == hn["other_cell"].pk
    assert web.post(f"/can-bo/{account.pk}/vo-hieu-hoa/").status_code == 302
    assert not User.objects.get(pk=account.pk).is_active


@pytest.mark.parametrize("role", ROLES)
def test_the_command_line_import_acting_as_an_officer_stays_in_scope(
    world: dict[str, Any], role: str, tmp_path: Any
) -> None:
    """``partycard import FILE --as USERNAME`` acts with that officer's scope, like the web page."""
    other = world["sides"]["hue"]
    guard = Untouched(other)
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(roster_bytes(other["cell"].code))
    user = world["users"][("hn", role)]
    with pytest.raises((CommandError, SystemExit)):
        call_command("import", str(roster), "--as", user.username, stdout=io.StringIO(), stderr=io.StringIO())
    guard.check(f"CLI import as {role}")
    if allowed(role, Action.IMPORT_MEMBER):
        roster.write_bytes(roster_bytes(world["sides"]["hn"]["cell"].code))
        call_command("import", str(roster), "--as", user.username, stdout=io.StringIO())
        assert Member.objects.filter(citizen_id="001080077777").exists(), f"control: {role} imports at home"


@pytest.mark.parametrize("role", ROLES)
def test_a_province_cannot_change_the_national_campaign_in_the_admin(
    world: dict[str, Any], role: str, login: Any
) -> None:
    """Campaigns are national: staff of a province given the exchange's model permissions still may not
    add one or change its rules."""
    from partycard.exchange.models import Campaign

    campaign = Campaign.objects.create(code="quoc-gia", name="Đợt quốc gia", cut_off=dt.date(2026, 6, 30))
    user = world["users"][("hn", role)]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="exchange"))
    web = _web(world, login, "hn", role)
    before = list(Campaign.objects.values())
    for url, data in (
        (f"/admin/exchange/campaign/{campaign.pk}/change/", {"code": "quoc-gia", "name": "Đã Bị Sửa",
                                                             "cut_off": "30/06/2030"}),
        ("/admin/exchange/campaign/add/", {"code": "lau", "name": "Đợt lậu", "cut_off": "30/06/2030"}),
    ):  # fmt: skip
        response = web.post(url, data)
        assert response.status_code in (302, 403, 404), (role, url, response.status_code)
    assert list(Campaign.objects.values()) == before


def test_a_central_administrator_at_a_province_issues_no_e_card_in_the_sibling_province(
    world: dict[str, Any], tmp_path: Any, monkeypatch: Any
) -> None:
    """The e-card service took any central administrator, wherever placed; the scope decides."""
    from partycard.credentials.models import Credential
    from partycard.credentials.services import CredentialError, credential_issue

    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    holders = {}
    for side, number in (("hn", "12345670"), ("hue", "12345671")):
        holders[side] = services.member_update(
            actor=None, member=world["sides"][side]["member"], changes={"old_card_number": number}
        )
        # Both hold a new card in use (the world's ``card_active``): both could be issued an e-card.
    actor = world["users"][("hn", Role.CENTRAL_ADMIN)]
    with pytest.raises(CredentialError):
        credential_issue(actor=actor, member=holders["hue"])
    assert not Credential.objects.filter(member=holders["hue"]).exists()
    issued = credential_issue(actor=actor, member=holders["hn"])  # the control
    assert issued.member_id == holders["hn"].pk


@pytest.mark.parametrize("role", ROLES)
def test_no_one_resumes_a_job_of_the_sibling_province(world: dict[str, Any], role: str) -> None:
    """``jobs.services.job_resume`` checks the job's scope itself (the pages and the API looked it up
    scoped; a new door would not have to)."""
    from partycard.exchange.jobs import start_transition
    from partycard.exchange.workflow import Transition
    from partycard.jobs.services import job_resume

    hue_secretary = world["users"][("hue", Role.CELL_SECRETARY)]
    job = start_transition(actor=hue_secretary, transition=Transition.CONFIRM, targets=[1], enqueue=False)
    before = AuditEvent.objects.filter(action="job.resume").count()
    with pytest.raises(OutOfScope):
        job_resume(actor=world["users"][("hn", role)], job=job)
    assert AuditEvent.objects.filter(action="job.resume").count() == before


@pytest.mark.parametrize("role", ROLES)
def test_no_one_starts_an_export_job_of_the_sibling_province(
    world: dict[str, Any], role: str, login: Any, settings: Any, tmp_path: Any
) -> None:
    """Issue 15: the export job, by every door that starts one (the service, the page's POST), and the
    command-line export acting as an officer, for the other province: refused, and no job names it."""
    from partycard.jobs.models import Job
    from partycard.registry.jobs import EXPORT, start_export

    settings.PARTYCARD = {**settings.PARTYCARD, "EXPORT_INLINE_MEMBERS": 0, "JOB_FILES_DIR": tmp_path / "f"}
    actor, hn, hue = world["users"][("hn", role)], world["sides"]["hn"], world["sides"]["hue"]
    guard = Untouched(hue)
    for root in (hue["province"], hue["cell"]):
        with pytest.raises(OutOfScope):
            start_export(actor=actor, root=root, enqueue=False)
        response = _web(world, login, "hn", role).post("/dang-vien/xuat/", {"organisation": root.code})
        assert response.status_code == 404, (role, root.code, response.status_code)
        with pytest.raises(CommandError):
            call_command("export", "--org", root.code, "-o", str(tmp_path / "x.xlsx"), "--as", actor.username)
        assert not (tmp_path / "x.xlsx").exists()
    exports = Job.objects.filter(kind=EXPORT)
    assert not [j for j in exports if j.params["organisation"] in (hue["province"].pk, hue["cell"].pk)]
    guard.check(f"{role}: export of the other province")
    if allowed(role, Action.EXPORT_MEMBER):  # the control: the same POST at home starts the job
        response = _web(world, login, "hn", role).post("/dang-vien/xuat/", {"organisation": hn["cell"].code})
        assert response.status_code == 302, (role, response.status_code)
        assert exports.filter(actor=actor).count() == 1


@pytest.mark.parametrize("role", [Role.CELL_SECRETARY, Role.GRASSROOTS_OFFICER, Role.COMMITTEE_OFFICER])
def test_the_dues_writes_inside_the_scope_are_accepted(world: dict[str, Any], role: str, login: Any) -> None:
    """The control for the dues attacks and doors: the same writes aimed at one's own side land."""
    from partycard.dues.models import Payment

    hn = world["sides"]["hn"]
    member, month, declared = hn["member"], hn["dues_month"], hn["declared"]
    web, api = _web(world, login, "hn", role), _api(world, "hn", role)
    body = json.dumps({"payments": [{"member": member.pk, "amount": 60_000}]})
    response = api.post(
        f"/api/v1/dues/cells/{hn['cell'].code}/months/{month}", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    response = web.post(
        f"/dang-phi/{hn['cell'].code}/{month}/", {f"paid_{member.pk}": "1", f"amount_{member.pk}": "70.000"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Payment.objects.get(member=member, month=f"{month}-01").amount == 70_000
    assert web.post(f"/dang-phi/khoan/{declared.pk}/xac-nhan/").status_code == 302
    assert Payment.objects.get(pk=declared.pk).status == "confirmed"


def _meeting_doors(world: dict[str, Any], login: Any, side: str, role: str) -> dict[str, Callable[[], Any]]:
    """The meetings' pages and API (issue 16), each aimed at the other side."""
    own, other = world["sides"][side], world["sides"]["hue" if side == "hn" else "hn"]
    web, api = _web(world, login, side, role), _api(world, side, role)
    theirs, mine = other["cell_meeting"].pk, own["cell_meeting"].pk
    form = {"cell_code": other["cell"].code, "kind": "regular", "title": "x", "starts_at": "05/09/2026 08:00"}
    body = {"cell": other["cell"].code, "title": "x", "starts_at": "2026-09-05T08:00:00+07:00"}
    present = json.dumps({"member_id": other["member"].pk})
    return {
        "page: open a meeting in the other cell": lambda: web.post("/hop-chi-bo/mo/", form),
        "page: close the other meeting": lambda: web.post(f"/hop-chi-bo/{theirs}/dong/"),
        "page: the other member present at one's own meeting": lambda: web.post(
            f"/hop-chi-bo/{mine}/co-mat/", {"member": other["member"].pk}
        ),
        "page: excuse the other member": lambda: web.post(
            f"/hop-chi-bo/{theirs}/vang-co-ly-do/", {"member": other["member"].pk, "reason": "x"}
        ),
        "api: open a meeting in the other cell": lambda: api.post(
            "/api/v1/meetings", json.dumps(body), content_type="application/json"
        ),
        "api: the other member present at one's own meeting": lambda: api.post(
            f"/api/v1/meetings/{mine}/attendances", present, content_type="application/json"
        ),
        "api: close the other meeting": lambda: api.post(f"/api/v1/meetings/{theirs}/close"),
    }


@pytest.mark.parametrize("role", ROLES)
def test_no_meeting_door_writes_into_the_sibling_province(
    world: dict[str, Any], role: str, login: Any
) -> None:
    """Nothing written through the meetings' doors; each refused with a 4xx (the open form, re-shown with
    its error, a 200)."""
    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        guard = Untouched(world["sides"][other_side])
        for door, attempt in _meeting_doors(world, login, side, role).items():
            response = attempt()
            where = f"{role} of {side}, {door} → {response.status_code}"
            refused = 400 <= response.status_code < 500
            assert refused or (door.startswith("page: open") and response.status_code == 200), where
            guard.check(where)


# ---- the member's devices (issue 16): revoking a phone, and so its e-card ---------------------------


@pytest.fixture
def devices(world: dict[str, Any], request: Any) -> dict[str, Any]:
    """Each side's member has registered a phone (an e-card bound to it), signed by a test authority."""
    request.getfixturevalue("authority")
    from partycard.memberapp.services import device_register
    from tests.memberapp.conftest import device_key

    return {
        side: device_register(actor=world["users"][(side, Role.MEMBER)], spki=device_key()[1], label=side)
        for side in ("hn", "hue")
    }


@pytest.mark.parametrize("role", ROLES)
def test_no_one_revokes_a_device_of_the_sibling_province(
    world: dict[str, Any], devices: dict[str, Any], role: str, login: Any
) -> None:
    """By the service, the member page's button and the member's API route: the other side's phone stays
    registered and its e-card valid, and no audit row names it."""
    from partycard.credentials.models import CredentialStatus
    from partycard.memberapp.services import device_revoke

    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        actor, target = world["users"][(side, role)], devices[other_side]
        audited = AuditEvent.objects.filter(object_id=str(target.pk), object_type="memberapp.device").count()
        with pytest.raises(OutOfScope):
            device_revoke(actor=actor, device=target)
        client = Client()
        login(client, actor)
        assert client.post(f"/so-tay/thiet-bi/{target.pk}/thu-hoi/").status_code == 404
        api = client.post(f"/api/v1/me/devices/{target.pk}/revoke", content_type="application/json")
        assert api.status_code == (404 if role == Role.MEMBER else 401)
        target.refresh_from_db()
        assert target.revoked_at is None and target.credential.status == CredentialStatus.VALID
        assert AuditEvent.objects.filter(
            object_id=str(target.pk), object_type="memberapp.device"
        ).count() == (audited)


def test_the_cell_secretary_revokes_a_device_of_their_cell(
    world: dict[str, Any], devices: dict[str, Any], login: Any
) -> None:
    """The positive control: the same button, inside the scope, revokes the phone and its e-card."""
    from partycard.credentials.models import CredentialStatus

    client = Client()
    login(client, world["users"][("hn", Role.CELL_SECRETARY)])
    response = client.post(f"/so-tay/thiet-bi/{devices['hn'].pk}/thu-hoi/")
    assert response.status_code == 302
    devices["hn"].refresh_from_db()
    assert devices["hn"].revoked_at is not None
    assert devices["hn"].credential.status == CredentialStatus.REVOKED
    assert AuditEvent.objects.filter(
        action="memberapp.device_revoke", object_id=str(devices["hn"].pk)
    ).exists()


# ---- the party-database sync (issue 17): a file of one's own run that names the other side ----------


@pytest.mark.parametrize("role", [Role.COMMITTEE_OFFICER, Role.CENTRAL_ADMIN])
def test_no_sync_file_writes_into_the_sibling_province(
    world: dict[str, Any], role: str, tmp_path: Any
) -> None:
    """One's own province synchronised from a file whose rows move one's member into the other side's cell,
    rewrite the other side's member (found by its citizen ID) and add a member in its cell: each row is a
    bad row, the apply is refused, nothing of the other side changes; the control (the same file naming
    only one's own cell) applies."""
    from partycard.jobs.runner import job_run
    from partycard.partysync import jobs as sync_jobs
    from partycard.partysync.choices import RowKind

    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        actor, own, other = world["users"][(side, role)], world["sides"][side], world["sides"][other_side]
        guard = Untouched(other)
        mine, theirs = own["member"], other["member"]
        base = {
            "full_name": "Đã Bị Sửa", "gender": "M", "date_of_birth": "1980-03-12",
            "date_admitted": "2005-05-19", "date_official": "2006-05-19", "status": "official",
        }  # fmt: skip
        rows = [
            {**base, "organisation_code": other["cell"].code, "citizen_id": mine.citizen_id},
            {**base, "organisation_code": own["cell"].code, "citizen_id": theirs.citizen_id},
            {**base, "organisation_code": other["cell"].code, "citizen_id": "001080066666"},
        ]
        path = tmp_path / f"{side}-{role}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        run, job = sync_jobs.start_preview(
            actor=actor, root=own["province"], path=path, name=path.name, remove_file=False, enqueue=False
        )
        job_run(job.pk)
        run.refresh_from_db()
        assert run.bad == 3, (role, side, list(run.staged.values_list("kind", "problems")))
        job = sync_jobs.start_apply(actor=actor, run=run, enqueue=False)
        job_run(job.pk)
        run.refresh_from_db()
        assert run.status == "refused"
        guard.check(f"{role} of {side}, sync file")
        assert not Member.objects.filter(citizen_id="001080066666").exists()
    # The control: the same kind of row, in one's own cell, is applied.
    actor, own = world["users"][("hn", role)], world["sides"]["hn"]
    row = {
        "full_name": "Trần Văn Đồng Bộ", "gender": "M", "date_of_birth": "1980-03-12",
        "date_admitted": "2005-05-19", "date_official": "2006-05-19", "status": "official",
        "organisation_code": own["cell"].code, "citizen_id": "001080066666",
    }  # fmt: skip
    path = tmp_path / "control.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    run, job = sync_jobs.start_preview(
        actor=actor, root=own["province"], path=path, name=path.name, remove_file=False, enqueue=False
    )
    job_run(job.pk)
    run.refresh_from_db()
    assert run.added == 1 and not run.staged.filter(kind=RowKind.BAD).exists()
    job_run(sync_jobs.start_apply(actor=actor, run=run, enqueue=False).pk)
    assert Member.objects.filter(citizen_id="001080066666", organisation=own["cell"]).exists()


# ---- the volunteers' assignments (issue 17) ------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COMMITTEE_OFFICER, Role.GRASSROOTS_OFFICER])
def test_the_assignment_doors_accept_the_same_writes_inside_the_scope(
    world: dict[str, Any], role: str, login: Any
) -> None:
    """The positive control: the same page and API, aimed at one's own side, assign and revoke."""
    from partycard.accounts.models import VolunteerAssignment

    hn = world["sides"]["hn"]
    web, api = _web(world, login, "hn", role), _api(world, "hn", role)
    form = {"starts_on": "01/01/2030", "ends_on": "01/02/2030", "volunteer": hn["volunteer"].pk}
    response = web.post("/ra-soat/tinh-nguyen-vien/", {**form, "cells": [hn["other_cell"].pk]})
    assert response.status_code == 302, response.content.decode()[:3000]
    body = {"starts_on": "2030-03-01", "ends_on": "2030-04-01", "volunteer": hn["volunteer"].pk}
    response = api.post(
        "/api/v1/assignments",
        json.dumps({**body, "cells": [hn["cell"].code]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert VolunteerAssignment.objects.filter(volunteer=hn["volunteer"]).count() == 3
    assert web.post(f"/ra-soat/tinh-nguyen-vien/{hn['assignment'].pk}/thu-hoi/").status_code == 302
    assert VolunteerAssignment.objects.get(pk=hn["assignment"].pk).revoked_at is not None


# ---- the population check (issue 17): starting a check, resolving a task -----------------------------


def _population_doors(
    world: dict[str, Any], login: Any, side: str, role: str
) -> dict[str, Callable[[], Any]]:
    """The population check's pages and API, each aimed at the other side."""
    other = world["sides"]["hue" if side == "hn" else "hn"]
    web, api = _web(world, login, side, role), _api(world, side, role)
    task = other["population_task"].pk
    correct = {"full_name": "Đã Bị Sửa", "date_of_birth": "12/03/1980", "gender": "M", "citizen_id": ""}
    return {
        "page: check the other province": lambda: web.post(
            "/doi-soat-dan-cu/bat-dau/", {"organisation": other["province"].code}
        ),
        "page: correct the other task": lambda: web.post(f"/doi-soat-dan-cu/viec/{task}/sua/", correct),
        "page: confirm the other task": lambda: web.post(
            f"/doi-soat-dan-cu/viec/{task}/xac-nhan/", {"note": "matrix"}
        ),
        "api: check the other province": lambda: api.post(
            "/api/v1/population/runs",
            json.dumps({"organisation": other["province"].code}),
            content_type="application/json",
        ),
        "api: correct the other task": lambda: api.post(
            f"/api/v1/population/tasks/{task}/correct",
            json.dumps({"full_name": "Đã Bị Sửa"}),
            content_type="application/json",
        ),
        "api: confirm the other task": lambda: api.post(
            f"/api/v1/population/tasks/{task}/confirm",
            json.dumps({"note": "matrix"}),
            content_type="application/json",
        ),
    }


@pytest.mark.parametrize("role", ROLES)
def test_no_population_door_writes_into_the_sibling_province(
    world: dict[str, Any], role: str, login: Any
) -> None:
    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        guard = Untouched(world["sides"][other_side])
        for door, attempt in _population_doors(world, login, side, role).items():
            response = attempt()
            where = f"{role} of {side}, {door} → {response.status_code}"
            assert 400 <= response.status_code < 500, where
            guard.check(where)


@pytest.mark.parametrize("role", [Role.CELL_SECRETARY, Role.GRASSROOTS_OFFICER, Role.COMMITTEE_OFFICER])
def test_the_population_writes_inside_the_scope_are_accepted(
    world: dict[str, Any], role: str, login: Any
) -> None:
    """The control: the same doors, aimed at one's own side's task, resolve it."""
    from partycard.population.models import DataTask

    hn = world["sides"]["hn"]
    web, api = _web(world, login, "hn", role), _api(world, "hn", role)
    task = hn["population_task"]
    name = hn["member"].full_name
    form = {"full_name": name + " Sửa", "date_of_birth": "12/03/1980", "gender": "M", "citizen_id": ""}
    response = web.post(f"/doi-soat-dan-cu/viec/{task.pk}/sua/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert DataTask.objects.get(pk=task.pk).status == "corrected"
    assert Member.objects.get(pk=hn["member"].pk).full_name == name + " Sửa"
    again = DataTask.objects.create(
        member=hn["member"],
        cell=hn["cell"],
        reasons=["gender"],
        found={"gender": "F"},
        raised_at=task.raised_at,
    )
    answer = api.post(
        f"/api/v1/population/tasks/{again.pk}/confirm",
        json.dumps({"note": "Đúng"}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "confirmed"
