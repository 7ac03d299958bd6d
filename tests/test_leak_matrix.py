"""The leak matrix, generated: every URL pattern (web pages, the admin, the API) × every role × two users in
sibling provinces. Zero leaks: nothing of the other province is listed, shown, exported or changed.

The patterns come from Django's resolver, so a new page or API route joins the matrix by itself; a route
whose parameter has no filler below fails the test until one is added.

For each pattern, role and side, the route is called with the *other* side's objects in its parameters
(and as filter values), by GET and by every writing method, as a web session (verified two-factor) and,
under /api/, with the user's bearer token. Then:

* no answer is a server error;
* no answer (HTML, JSON, or an exported .xlsx opened and read) contains a marker of the other side: its
  member's name or citizen ID, the names of its organisations (codes are not markers: the probes send
  them, and a login page may echo its own query string);
* the other side's rows (members, organisations, users, exchange cases, jobs) are exactly as before, and
  no audit row names them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.http import urlsafe_base64_encode

from partycard.accounts.models import TOTPDevice, User
from partycard.accounts.roles import Role
from partycard.audit.models import AuditEvent
from partycard.cards.models import Card
from partycard.cards.services import Allocation, cards_allocate
from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Campaign, Case
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.exchange.workflow import State, Transition
from partycard.jobs.models import Job
from partycard.registry.models import Member, Organisation
from tests.conftest import ModuleWorld, TreeFixture, module_world, siblings_build, side_users
from tests.credentials.conftest import authority  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

ROLES = list(Role)
WRITE_METHODS = ("post", "put", "patch", "delete")
# Django's own pages that hold no registry data and need no probing by role.
SKIP_NAMES = {"jsi18n", "set_language", "view_on_site"}
# Readiness answers 503 while one of its checks fails (no worker beats in a test): its designed answer to a
# load balancer, not a crash. It is still probed for the other province's data like every route.
NOT_READY_503 = {"readyz"}


def patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern with its full route (regex or path syntax as declared)."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from patterns(p, route)
        else:
            yield route, p


ALL_PATTERNS = sorted({route: p for route, p in patterns()}.items())


MARKERS = {
    "hn": [
        "Hoàng Văn Hà Nội", "Đảng bộ thành phố Hà Nội", "Đảng bộ phường Ba Đình", "Chi bộ Giáo viên 1",
        "001080012345",
    ],
    "hue": [
        "Hoàng Văn Huế", "Đảng bộ thành phố Huế", "Đảng bộ phường Thuận Hóa", "Chi bộ cơ sở Bệnh viện",
        "001080099999",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def _world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[ModuleWorld]:
    """Both provinces and everything in them, built once for the module (``module_world``)."""
    with module_world(django_db_blocker, tmp_path_factory.mktemp("leak-world"), _world_build) as built:
        yield built


@pytest.fixture
def world(_world: ModuleWorld, db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return _world.enter(settings, monkeypatch)


def _world_build(tmp_path: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # A signing authority, so that the e-card's public routes (trust and status lists) answer for real.
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    tree = TreeFixture()
    sides = {side: {**objects, "markers": MARKERS[side]} for side, objects in siblings_build(tree).items()}
    users, tokens = side_users(sides, app_labels=("registry",), prefix="")
    for side in sides:  # each side's volunteer, assigned to its cell (issue 17)
        sides[side]["volunteer"] = users[(side, Role.YOUTH_VOLUNTEER)]
    # Each side's member has an exchange case, and each side's cell secretary a job over it.
    campaign = Campaign.objects.create(code="matrix", name="Đợt ma trận", cut_off=dt.date(2026, 6, 30))
    for side, objects in sides.items():
        member, cell = objects["member"], objects["cell"]
        objects["case"] = Case.objects.create(
            campaign=campaign, member=member, organisation=cell, path=cell.path, state=State.PROPOSED
        )
        (number,) = card_numbers_allocate(1)  # and a new card, on its way (cards.services)
        (objects["card"],) = cards_allocate(
            actor=None,
            allocations=[
                Allocation(number=number, case_id=objects["case"].pk, member_id=member.pk, path=cell.path)
            ],
        )
        objects["job"] = start_transition(
            actor=users[(side, Role.CELL_SECRETARY)],
            transition=Transition.CONFIRM,
            targets=[objects["case"].pk],
            enqueue=False,
        )
        distribution_objects(objects, settings, tmp_path)
        production_objects(objects)
        inspection_objects(objects, users[(side, Role.INSPECTOR)])
        dues_objects(objects)
        transfer_objects(objects)
        export_objects(objects, users[(side, Role.COMMITTEE_OFFICER)], settings, tmp_path)
        meetings_objects(objects)
        loss_objects(objects)
        device_objects(objects, users[(side, Role.MEMBER)])
        sync_objects(objects, users[(side, Role.COMMITTEE_OFFICER)], tmp_path)
        review_objects(objects, users[(side, Role.GRASSROOTS_OFFICER)])
        population_objects(objects)
    return {"sides": sides, "users": users, "tokens": tokens, "tree": tree, "campaign": campaign}


def device_objects(objects: dict[str, Any], member_user: User) -> None:
    """Each side's member holds a second new card in use and has registered a phone bound to its e-card
    (issue 16): the target of the device routes."""
    from django.db import transaction

    from partycard.memberapp.services import device_register
    from tests.factories import card_active
    from tests.memberapp.conftest import device_key

    with transaction.atomic():
        card_active(objects["member"])
    objects["device"] = device_register(actor=member_user, spki=device_key()[1], label="ĐT ma trận")


def production_objects(objects: dict[str, Any]) -> None:
    """Each side's production batch: its province's, holding its card."""
    from partycard.core import clock
    from partycard.production.models import Batch, BatchCard

    province = objects["province"]
    objects["batch"] = Batch.objects.create(
        code=f"{province.code}-matrix", province=province, path=province.path, layout="v1", card_count=1,
        created_at=clock.now(),
    )  # fmt: skip
    BatchCard.objects.create(batch=objects["batch"], card=objects["card"], seq=0)


def inspection_objects(objects: dict[str, Any], inspector: User) -> None:
    """Each side's inspection by its province's Inspection Commission: of its grassroots organisation, its
    case drawn (made here when the world has none) and a finding recorded on it; still being verified."""
    from partycard.inspections.services import finding_record, inspection_open, inspection_sample

    campaign, _ = Campaign.objects.get_or_create(
        code="matrix", defaults={"name": "Đợt ma trận", "cut_off": dt.date(2026, 6, 30)}
    )
    if "case" not in objects:
        objects["case"] = Case.objects.create(
            campaign=campaign, member=objects["member"], organisation=objects["cell"],
            path=objects["cell"].path, state=State.PROPOSED,
        )  # fmt: skip
    inspection = inspection_open(
        actor=inspector, organisation=objects["grassroots"], campaign=objects["case"].campaign,
        number=f"{objects['province'].code}-1", decided_on=dt.date(2026, 9, 1), subject="Đổi thẻ",
        period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 8, 31), place="Nơi ban hành",
    )  # fmt: skip
    objects["inspection"] = inspection_sample(actor=inspector, inspection=inspection, percent=100)
    finding_record(
        actor=inspector, inspection=inspection, case=objects["case"], kind="data_wrong", note="Ma trận."
    )


def transfer_objects(objects: dict[str, Any]) -> None:
    """Each side's transfer of party activity, within its own province (both sides of it there): its member
    to a second cell of its grassroots organisation (made here), with its letter issued (a fixture row: the
    letter's bytes name the member, so a download that leaked would show it)."""
    from partycard.core import clock
    from partycard.registry.choices import OrgLevel
    from partycard.registry.services import organisation_create
    from partycard.transfers.models import Transfer

    grassroots, member, cell = objects["grassroots"], objects["member"], objects["cell"]
    committee = grassroots.level == OrgLevel.GRASSROOTS_COMMITTEE
    to_cell = organisation_create(
        actor=None, code=f"{objects['province'].code}-TR-01", name="Chi bộ nơi đến",
        level=OrgLevel.CELL if committee else OrgLevel.GRASSROOTS_CELL,
        parent=grassroots if committee else grassroots.parent,
    )  # fmt: skip
    at = clock.now()
    objects["transfer"] = Transfer.objects.create(
        member=member, kind="official", from_cell=cell, to_cell=to_cell, committee=grassroots.parent,
        path=cell.path, to_path=to_cell.path, state="issued", reason="Ma trận", decided_on=at.date(),
        start_deadline=at.date(), number=f"1-GGT/{objects['province'].code}", issued_on=at.date(),
        present_deadline=at.date() + dt.timedelta(days=40),
        letter_pdf=f"%PDF-1.4 {member.full_name}".encode(),
        letter_signature=member.full_name.encode(), created_at=at, updated_at=at,
    )  # fmt: skip


# The citizen IDs of each side's second member, who reports a lost card (the first's, plus one or less one).
LOSS_CITIZEN_IDS = {"001080012345": "001080012346", "001080099999": "001080099998"}


def loss_objects(objects: dict[str, Any]) -> None:
    """Each side's lost-card report (issue 16): a second member of its cell, of the same name as its member
    (so a leak shows the markers), reports their card in use lost, with two photos. Not the side's member
    itself: a reported card is suspended, with the e-cards on it, and the member's card stays in use for
    the card writes and for the phone the member registers (``device_objects``, the write matrix's
    ``devices``), whose e-card must read valid."""
    from partycard.losses.services import loss_report
    from partycard.registry.services import member_create
    from tests.conftest import member_data
    from tests.factories import card_active
    from tests.losses.conftest import photos

    member = objects["member"]
    reporter = member_create(
        actor=None,
        data=member_data(
            objects["cell"], full_name=member.full_name, citizen_id=LOSS_CITIZEN_IDS[member.citizen_id]
        ),
    )
    objects["loss_member"] = reporter
    card = card_active(reporter)
    objects["loss"] = loss_report(
        actor=None, member=reporter, kind="lost", circumstances="Ma trận", photos=photos(), card=card
    )
    objects["loss_photo"] = objects["loss"].photos.order_by("pk").first()


def sync_objects(objects: dict[str, Any], officer: User, tmp_path: Any) -> None:
    """Each side's party-database sync (issue 17), by its committee officer: the province exported (its
    members' baselines), then the same file read back into a preview run (``run_id`` names it) whose rows
    name its member, and one conflict decided on a field the file changed as partycard did."""
    from partycard.jobs.runner import job_run
    from partycard.partysync import jobs, services

    path = tmp_path / f"sync-{objects['province'].code}.jsonl"
    services.sync_export(actor=officer, root=objects["province"], path=path, fmt="jsonl")
    run, job = jobs.start_preview(
        actor=officer, root=objects["province"], path=path, name=path.name, remove_file=False, enqueue=False
    )
    job_run(job.pk)
    run.refresh_from_db()
    assert run.status == "preview" and run.unchanged >= 1, run.error
    objects["sync_run"] = run


def _partysync_models() -> list[Any]:
    from partycard.partysync.models import SyncRun

    return [SyncRun]


def population_objects(objects: dict[str, Any]) -> None:
    """Each side's population check (issue 17): a run of its province, its cell's tally, its member's
    result and an open task whose found name is the member's (a marker, so a leaked task shows)."""
    from partycard.core import clock
    from partycard.population.models import CheckResult, CheckRun, CheckTally, DataTask

    member, cell, at = objects["member"], objects["cell"], clock.now()
    run = CheckRun.objects.create(root=objects["province"], started_at=at, members=1, checked=1, differed=1)
    CheckTally.objects.create(run=run, cell=cell, checked=1, differed=1, name=1)
    CheckResult.objects.create(run=run, member=member, outcome="differs", reasons="name", checked_at=at)
    objects["population_run"] = run
    objects["population_task"] = DataTask.objects.create(
        member=member, cell=cell, reasons=["name"], found={"full_name": member.full_name}, raised_at=at,
        run_id=run.pk,
    )  # fmt: skip


def _population_models() -> list[Any]:
    from partycard.population.models import CheckResult, CheckRun, CheckTally, DataTask

    return [CheckRun, CheckTally, CheckResult, DataTask]


def _population_rows(path: str) -> list[list[Any]]:
    """The population check's rows of the subtree (issue 17): runs of its organisations, its cells'
    tallies, its members' results and tasks."""
    from partycard.population.models import CheckResult, CheckRun, CheckTally, DataTask

    return [
        list(CheckRun.objects.filter(root__path__startswith=path).order_by("pk").values()),
        list(CheckTally.objects.filter(cell__path__startswith=path).order_by("pk").values()),
        list(CheckResult.objects.filter(member__organisation__path__startswith=path).order_by("pk").values()),
        list(DataTask.objects.filter(member__organisation__path__startswith=path).order_by("pk").values()),
    ]


def _population_audited(path: str) -> set[tuple[str, str]]:
    from partycard.population.models import CheckRun, DataTask

    runs = CheckRun.objects.filter(root__path__startswith=path).values_list("pk", flat=True)
    tasks = DataTask.objects.filter(member__organisation__path__startswith=path).values_list("pk", flat=True)
    return {("population.checkrun", str(pk)) for pk in runs} | {
        ("population.datatask", str(pk)) for pk in tasks
    }


def dues_objects(objects: dict[str, Any]) -> None:
    """Each side's party dues (issue 16): its member's payment recorded by the cell last month, and one
    declared by the member the month before, awaiting the cell (``payment_id`` names it)."""
    from partycard.core import clock
    from partycard.dues.months import month_key, month_shift, month_start
    from partycard.dues.services import payment_declare, payments_record

    last = month_shift(month_start(clock.today()), -1)
    payments_record(actor=None, cell=objects["cell"], month=last, amounts={objects["member"].pk: 50_000})
    objects["declared"] = payment_declare(
        actor=None, member=objects["member"], month=month_shift(last, -1), amount=40_000
    )
    objects["dues_month"] = month_key(last)


def export_objects(objects: dict[str, Any], officer: User, settings: Any, tmp_path: Any) -> None:
    """Each side's roster export, done by its committee officer: a job whose file (the province's roster,
    its member's name and citizen ID in it) waits for download at ``/tac-vu/<id>/tai-ve/``."""
    from partycard.jobs.runner import job_run
    from partycard.registry.jobs import start_export

    settings.PARTYCARD = {**settings.PARTYCARD, "JOB_FILES_DIR": tmp_path / "job-files"}
    job = start_export(actor=officer, root=objects["province"], enqueue=False)
    objects["export_job"] = job_run(job.pk)
    assert objects["export_job"].result_file.rows == 1


def distribution_objects(objects: dict[str, Any], settings: Any, tmp_path: Any) -> None:
    """Each side's distribution records: a shipment to its cell, a meeting of the cell, the issuance register
    of its commune (PDF and .xlsx on disk, naming the commune) and destruction minutes (rows as a fixture)."""
    from partycard.core import clock
    from partycard.distribution.choices import ShipmentState
    from partycard.distribution.models import DestructionRecord, Meeting, Shipment
    from partycard.distribution.services import register_start
    from partycard.distribution.shipment_code import code_new

    settings.PARTYCARD = {**settings.PARTYCARD, "DISTRIBUTION_DIR": tmp_path / "distribution"}
    cell, province, at = objects["cell"], objects["province"], clock.now()
    from partycard.registry.choices import OrgLevel

    commune = cell.parent if cell.parent.level == OrgLevel.COMMUNE else cell.parent.parent
    objects["shipment"] = Shipment.objects.create(
        code=code_new(), from_org=province, from_level="province", to_org=cell, to_level="cell",
        path=cell.path, state=ShipmentState.SENT, count_sent=1, created_at=at, sent_at=at,
    )  # fmt: skip
    objects["meeting"] = Meeting.objects.create(cell=cell, held_on=at.date(), path=cell.path, opened_at=at)
    objects["register"] = register_start(actor=None, committee=commune, run=True)
    objects["record"] = DestructionRecord.objects.create(
        committee=commune, path=commune.path, destroyed_on=at.date(), council="Hội đồng", created_at=at
    )


def meetings_objects(objects: dict[str, Any]) -> None:
    """Each side's cell meeting (the meetings app), its member present and excused nowhere."""
    from partycard.core import clock
    from partycard.meetings.choices import CheckinMethod
    from partycard.meetings.services import attendance_record, meeting_open

    objects["cell_meeting"] = meeting = meeting_open(
        actor=None, cell=objects["cell"], title="Sinh hoạt chi bộ", starts_at=clock.now()
    )
    attendance_record(actor=None, meeting=meeting, member=objects["member"], method=CheckinMethod.MANUAL)


def review_objects(objects: dict[str, Any], officer: User) -> None:
    """Each side's offline review (issue 17): a workbook handed out for its grassroots organisation by its
    officer, and brought back with its member's occupation changed: a proposal awaiting a decision (the
    proposal names the member)."""
    import openpyxl

    from partycard.review.services import review_export, review_import

    _export, content = review_export(actor=officer, organisation=objects["grassroots"])
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book[objects["cell"].code]
    column = [c.value for c in sheet[1]].index("Nghề nghiệp")
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == str(objects["member"].pk):
            row[column].value = "Rà soát ma trận"
    out = io.BytesIO()
    book.save(out)
    objects["review_import"] = review_import(actor=officer, file=out.getvalue())


def fill(route: str, pattern: URLPattern, other: dict[str, Any], users: dict[Any, User], side: str) -> str:
    """The route as a URL whose parameters name the other side's objects."""
    name = pattern.name or ""
    model = name.rsplit("_", 1)[0] if name.count("_") >= 2 else ""  # admin: "<app>_<model>_<view>"
    other_side = "hue" if side == "hn" else "hn"
    by_model = {
        "registry_member": other["member"].pk,
        "registry_organisation": other["province"].pk,
        "accounts_user": users[(other_side, Role.COMMITTEE_OFFICER)].pk,
        "exchange_case": other["case"].pk,
        "jobs_job": other["job"].pk,
        "cards_card": other["card"].pk,
    }
    # The object a bare "pk"/"id" names depends on the route: an exchange case, a job, or a member.
    if "doi-the" in route or "cases" in route:
        target = other["case"].pk
    elif "tai-ve" in route:  # a job's file: the other side's export, which has one
        target = other["export_job"].pk
    elif "tac-vu" in route or "jobs" in route:
        target = other["job"].pk
    elif "thiet-bi" in route:  # the member's phone (memberapp)
        target = other["device"].pk
    else:
        target = other["member"].pk
    fillers = {
        "pk": target,
        "member_id": other["member"].pk,
        "id": target,
        "case_id": other["case"].pk,
        "device_id": other["device"].pk,
        "job_id": other["job"].pk,
        "campaign_id": other["case"].campaign_id,
        "payment_id": other["declared"].pk,  # the dues app: a declaration awaiting the other side's cell
        "month": other["dues_month"],  # the dues app: a month of the other side's cell
        "code": other["cell"].code,
        "object_id": by_model.get(model, other["member"].pk),
        "app_label": "registry",
        "content_type_id": 1,
        "history_id": 1,
        "token_id": 1,
        "number": other["card"].number,
        "shipment_code": other["shipment"].code,
        "batch_id": other["batch"].pk,
        "layout": "v1",  # the proof's specimen is made up: no one's data
        "kind": "batch",
        "meeting_id": other["meeting"].pk,
        "cell_meeting_id": other["cell_meeting"].pk,  # the meetings app's (/hop-chi-bo/, api/v1/meetings)
        "register_id": other["register"].pk,
        "record_id": other["record"].pk,
        "inspection_id": other["inspection"].pk,
        "transfer_id": other["transfer"].pk,
        "report_id": other["loss"].pk,  # the losses pages and API (issue 16)
        # the party-database sync's pages and API, or the population check's (issue 17)
        "run_id": other["sync_run"].pk
        if "dong-bo" in route or "sync" in route
        else other["population_run"].pk,
        "import_id": other["review_import"].pk,  # the review's proposal (issue 17)
        "photo_id": other["loss_photo"].pk,
        "task_id": other["population_task"].pk,
        "step": "list",
        "form": "2-TDV",
        "fmt": "xlsx",
        "list_id": 1,  # status lists are public: bits by index, no names (docs/ecard.md)
        "url": f"registry/member/{other['member'].pk}/",
        "officer_id": users[(other_side, Role.CELL_SECRETARY)].pk,  # the officer pages (/can-bo/)
        # The reset link's page with the other side's account and no valid token: the "not valid" page.
        "uidb64": urlsafe_base64_encode(str(users[(other_side, Role.CELL_SECRETARY)].pk).encode()),
        "token": "set-password",
        "assignment_id": _assignment_of(users[(other_side, Role.YOUTH_VOLUNTEER)]),  # issue 17's volunteers
        "problem": "no_photo",  # the completeness report's member list (issue 17): the other member has none
    }

    def value(match: re.Match[str]) -> str:
        param = match.group("name")
        if param not in fillers:
            raise AssertionError(f"no filler for parameter {param!r} of {route!r}: add one to the matrix")
        return str(fillers[param])

    url = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, route)  # path() syntax
    url = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, url)  # re_path() syntax
    url = url.lstrip("^").rstrip("$").replace("\\", "")
    return "/" + url


def _assignment_of(volunteer: User) -> int:
    """The volunteer's assignment to their side's cell (``tests.conftest.side_users``)."""
    from partycard.accounts.models import VolunteerAssignment

    return VolunteerAssignment.objects.filter(volunteer=volunteer).values_list("pk", flat=True)[0]


def _assignment_rows(path: str) -> list[list[Any]]:
    """The volunteers' assignments to the cells of the subtree (issue 17)."""
    from partycard.accounts.models import VolunteerAssignment

    rows = VolunteerAssignment.objects.filter(organisation__path__startswith=path).order_by("pk").values()
    return [list(rows)]


def text_of(response: Any) -> str:
    """What the answer shows, whatever its form: an .xlsx is opened and read cell by cell."""
    if hasattr(response, "streaming_content"):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body))
        return "\n".join(
            str(v) for row in book.active.iter_rows(values_only=True) for v in row if v is not None
        )
    text = body.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/") and text.startswith(("{", "[")):
        text += json.dumps(json.loads(text), ensure_ascii=False)  # \u escapes decoded
    return text


def state_of(side: dict[str, Any]) -> list[Any]:
    """The other side's rows, to compare before and after every call."""
    province = side["province"]
    return [
        list(Member.objects.filter(organisation__path__startswith=province.path).order_by("pk").values()),
        list(Organisation.objects.filter(path__startswith=province.path).order_by("pk").values()),
        list(User.objects.filter(organisation__path__startswith=province.path).order_by("pk").values()),
        list(
            TOTPDevice.objects.filter(user__organisation__path__startswith=province.path)
            .order_by("pk")
            .values()
        ),
        list(Case.objects.filter(path__startswith=province.path).order_by("pk").values()),
        list(Job.objects.filter(path__startswith=province.path).order_by("pk").values()),
        list(Card.objects.filter(path__startswith=province.path).order_by("pk").values()),
        *_device_rows(province.path),
        *_assignment_rows(province.path),
        *_review_rows(province.path),
        *_population_rows(province.path),
        *[
            list(model.objects.filter(path__startswith=province.path).order_by("pk").values())
            for model in _distribution_models()
        ],
    ]


def _device_rows(path: str) -> list[list[Any]]:
    """The members' phones of the subtree and their e-cards (issue 16)."""
    from partycard.credentials.models import Credential
    from partycard.memberapp.models import Device

    return [
        list(Device.objects.filter(member__organisation__path__startswith=path).order_by("pk").values()),
        list(Credential.objects.filter(member__organisation__path__startswith=path).order_by("pk").values()),
    ]


def _review_rows(path: str) -> list[list[Any]]:
    """The review workbooks handed out and brought back in the subtree (issue 17)."""
    from partycard.review.models import ReviewExport, ReviewImport

    return [
        list(model.objects.filter(organisation__path__startswith=path).order_by("pk").values())
        for model in (ReviewExport, ReviewImport)
    ]


def _distribution_models() -> list[Any]:
    from partycard.distribution.models import DestructionRecord, HandOver, IssuanceRegister, Meeting, Shipment
    from partycard.dues.models import Payment
    from partycard.inspections.models import Finding, Inspection, SampledCase
    from partycard.meetings.models import Attendance, Excuse
    from partycard.meetings.models import Meeting as CellMeeting
    from partycard.production.models import Batch
    from partycard.transfers.models import Transfer, TransferEvent

    return [
        CellMeeting,
        Attendance,
        Excuse,
        Shipment,
        Meeting,
        HandOver,
        Payment,
        IssuanceRegister,
        DestructionRecord,
        Batch,
        Inspection,
        SampledCase,
        Finding,
        Transfer,
        TransferEvent,
        *_losses_models(),
        *_partysync_models(),
    ]


def _losses_models() -> list[Any]:
    from partycard.losses.models import CardRecovery, LossPhoto, LossReport

    return [LossReport, LossPhoto, CardRecovery]


def audited_ids(side: dict[str, Any]) -> set[tuple[str, str]]:
    province = side["province"]
    ids = {
        ("registry.member", str(pk))
        for pk in Member.objects.filter(organisation__path__startswith=province.path).values_list(
            "pk", flat=True
        )
    }
    ids |= {
        ("registry.organisation", str(pk))
        for pk in Organisation.objects.filter(path__startswith=province.path).values_list("pk", flat=True)
    }
    ids |= {
        ("exchange.case", str(pk))
        for pk in Case.objects.filter(path__startswith=province.path).values_list("pk", flat=True)
    }
    for model in _distribution_models():
        ids |= {
            (model._meta.label_lower, str(pk))
            for pk in model.objects.filter(path__startswith=province.path).values_list("pk", flat=True)
        }
    ids |= {  # its officer accounts and their authenticators (the officer pages, the admin)
        ("accounts.user", str(pk))
        for pk in User.objects.filter(organisation__path__startswith=province.path).values_list(
            "pk", flat=True
        )
    }
    ids |= {
        ("accounts.totpdevice", str(pk))
        for pk in TOTPDevice.objects.filter(user__organisation__path__startswith=province.path).values_list(
            "pk", flat=True
        )
    }
    ids |= {  # the volunteers' assignments to its cells (issue 17)
        ("accounts.volunteerassignment", str(row["id"])) for row in _assignment_rows(province.path)[0]
    }
    ids |= {
        ("cards.card", str(pk))
        for pk in Card.objects.filter(path__startswith=province.path).values_list("pk", flat=True)
    }
    ids |= _review_ids(province.path)
    ids |= _population_audited(province.path)
    return ids


def _review_ids(path: str) -> set[tuple[str, str]]:
    """The review exports and imports of the subtree, as audit rows name them (issue 17)."""
    from partycard.review.models import ReviewExport, ReviewImport

    return {
        (model._meta.label_lower, str(pk))
        for model in (ReviewExport, ReviewImport)
        for pk in model.objects.filter(organisation__path__startswith=path).values_list("pk", flat=True)
    }


def probe_bodies(other: dict[str, Any]) -> dict[str, Any]:
    """Write payloads aimed at the other side: move into its cell, rename its member, add under it."""
    return {
        "full_name": "Đã Bị Sửa",
        "name": "Đã Bị Sửa",
        "organisation": other["cell"].code,
        "organisation_code": other["cell"].code,
        "parent": other["province"].code,
        "code": "LEAK-1",
        "level": 6,
        "gender": "M",
        "date_of_birth": "1980-03-12",
        "date_admitted": "2005-05-19",
        "status": "official",
        "citizen_id": "001080055555",
        "reason": "matrix",
        "confirm": "1",
        # exchange: propose the other side's member, move its case (web forms and API bodies)
        "member": other["member"].pk,
        "members": [other["member"].pk],
        "campaign": other["case"].campaign_id,
        "case": other["case"].pk,
        "cases": [other["case"].pk],
        "case_ids": [other["case"].pk],
        "transition": "confirm",
        "return_to": "cell",
        # officers: create one in the other side's cell (organisation above), with a role and a password
        "username": "leak-officer",
        "email": "leak@example.vn",
        "phone": "0911000999",
        "role": "cell_secretary",
        "delivery": "temporary",
        # review (issue 17): assign a volunteer to the other side's cell
        "volunteer": other["volunteer"].pk if "volunteer" in other else other["member"].pk,
        "cells": [other["cell"].pk],
        "codes": other["cell"].code,
        "starts_on": "01/01/2030",
        "ends_on": "01/02/2030",
    }


@pytest.mark.parametrize("role", ROLES)
def test_no_route_leaks_the_sibling_province(world: dict[str, Any], role: str, login: Any) -> None:
    checked = 0
    statuses = {True: 0, False: 0}  # answered / refused
    for side, other_name in (("hn", "hue"), ("hue", "hn")):
        user = world["users"][(side, role)]
        other = world["sides"][other_name]
        api = Client(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][(side, role)]}")
        before, audited = state_of(other), audited_ids(other)
        last_seq = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
        for route, pattern in ALL_PATTERNS:
            if (pattern.name or "") in SKIP_NAMES or route.startswith("static/"):
                continue
            url = fill(route, pattern, other, world["users"], side)
            web = Client()  # a fresh session per route: a logout route must not end the probing early
            login(web, user)
            client = api if url.startswith("/api/") else web
            query = {"organisation": other["cell"].code, "parent": other["province"].code, "q": "hoang van"}
            calls = [("get", client.get(url, query))]
            payload = probe_bodies(other)
            for method in WRITE_METHODS:
                if url.startswith("/api/"):
                    response = getattr(client, method)(
                        url, json.dumps(payload), content_type="application/json"
                    )
                else:
                    response = getattr(client, method)(url, payload) if method == "post" else None
                if response is not None:
                    calls.append((method, response))
            for method, response in calls:
                where = f"{role} of {side}: {method.upper()} {url} → {response.status_code}"
                expected_503 = pattern.name in NOT_READY_503 and response.status_code == 503
                assert response.status_code < 500 or expected_503, where
                shown = text_of(response)
                for marker in other["markers"]:
                    assert marker not in shown, f"{where} shows {marker!r}"
                checked += 1
                statuses[response.status_code < 400] += 1
        assert state_of(other) == before, f"{role} of {side} changed the other province"
        new_events = AuditEvent.objects.filter(seq__gt=last_seq)
        touched = {(e.object_type, e.object_id) for e in new_events}
        assert not (touched & audited), (
            f"{role} of {side}: audit rows name the other province: {touched & audited}"
        )
    assert checked > 100 and statuses[True] > 20  # the matrix is not empty, and not all refused


def test_the_matrix_covers_pages_admin_and_api() -> None:
    routes = [route for route, _ in ALL_PATTERNS]
    assert any(r.startswith("dang-vien/") for r in routes)
    assert any(r.startswith("admin/") and "object_id" in r for r in routes)
    assert sum(r.startswith("api/v1/") for r in routes) >= 4


# ---- the member's devices (issue 16) ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_no_one_sees_a_device_of_the_sibling_province(world: dict[str, Any], role: str, login: Any) -> None:
    """Every role × the other side's phone: the selector's 404, nothing in the member's API answer, no
    panel line (the other member's page is a 404 already); the own side's phone is seen by the roles that
    may (the positive control). Each side's member registered the phone in the world (``device_objects``)."""
    from django.http import Http404

    from partycard.accounts.roles import Action, allowed
    from partycard.memberapp import selectors

    siblings, users = world["sides"], world["users"]
    devices = {side: siblings[side]["device"] for side in ("hn", "hue")}
    for side, other_side in (("hn", "hue"), ("hue", "hn")):
        actor, target = users[(side, role)], devices[other_side]
        with pytest.raises(Http404):
            selectors.device_get(actor, target.pk)
        assert not selectors.device_list(actor, siblings[other_side]["member"]).exists()
        client = Client()
        login(client, actor)
        answer = client.get("/api/v1/me/devices")
        if role == Role.MEMBER:
            assert [d["id"] for d in answer.json()] == [devices[side].pk]
        else:
            assert answer.status_code == 401
        own = selectors.device_list(actor, siblings[side]["member"]).exists()
        assert own == allowed(role, Action.VIEW_DEVICE)
