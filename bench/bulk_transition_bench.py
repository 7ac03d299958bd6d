"""Bulk transition benchmark (issue 4): confirm, decide, forward and accept tens of thousands of cases,
audited.

Runs against a database that already holds a seeded registry (it is NOT dropped; the cases, events, card
numbers and audit rows it makes stay — the audit log is append-only)::

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_elig \
        .venv/bin/python bench/bulk_transition_bench.py

Environment:
    BENCH_DATABASE_URL  the seeded database (default as above)
    BENCH_CASES         cases per repeat (default 30,000)
    BENCH_REPEATS       repeats, each with a new campaign and new cases (default 2)
    BENCH_COMMITTEE     the committee whose eligible members get the cases (default P01, Hà Nội)

Per repeat: a new campaign; the first ``BENCH_CASES`` eligible members of the committee (in member-id
order, so whole communes and grassroots organisations; eligibility by ``evaluate_members``) get a case in
PROPOSED, inserted directly (setup, not timed); one officer per grassroots organisation, per commune, per
province (the committee directly under the Centre) and at the Centre (created once, reused). Then, each
timed as the sum of ``start_transition(enqueue=False)`` + ``job_run`` over its jobs, with the default chunk
size (JOB_CHUNK_SIZE):

1. CONFIRM: one job per grassroots organisation, by its officer (a grassroots organisation holds ~90
   members, so one chunk each);
2. DECIDE: one job per commune, by its officer (~1,700 cases, two chunks);
3. FORWARD: one job per province, by its officer (BENCH_CASES / 1,000 chunks with one province);
4. ACCEPT: one job by the Centre over every case (card numbers allocated and the members' new cards
   created, in state ``allocated``; BENCH_CASES / 1,000 chunks).

After each phase: every case is in the target state, has exactly one event of that transition, and there
is exactly one audit row of that action per case; no job failure; after ACCEPT, one new card per case with
the case's number, and one ``cards.allocate`` audit row per card. At the end ``audit_verify()`` walks the
whole chain. Bar: ≥ 2,000 cases/s, audit rows included. Writes ``bench/results/bulk-transition.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import env_int, log, machine_info  # bench/common.py (bench/ is the script's dir)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partycard_elig"
BAR_CASES_PER_S = 2000.0


PG_SETTINGS = ("autovacuum", "shared_buffers", "work_mem", "synchronous_commit", "jit")


def prefix(path: str, segments: int) -> str:
    """The ancestor path of ``path`` with that many segments ("TW.P01.P01-0001." has 3)."""
    return ".".join(path.split(".")[:segments]) + "."


def officers(orgs: dict[str, Any], role: str, tag: str) -> dict[str, Any]:
    """One officer per organisation (by path), created once without a password hash (bulk, fast)."""
    from partycard.accounts.models import User

    names = {path: f"bench_{tag}_{org.pk}" for path, org in orgs.items()}
    existing = {u.username: u for u in User.objects.filter(username__in=names.values())}
    new = []
    for path, org in orgs.items():
        if names[path] not in existing:
            user = User(username=names[path], role=role, organisation=org)
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new, batch_size=1000)
    by_name = {
        u.username: u for u in User.objects.filter(username__in=names.values()).select_related("organisation")
    }
    return {path: by_name[names[path]] for path in orgs}


def setup_cases(
    committee: Any, count: int
) -> tuple[Any, list[int], dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]:
    """A new campaign and ``count`` cases in PROPOSED for eligible members of ``committee``'s subtree."""
    from partycard.exchange.models import Campaign, Case
    from partycard.exchange.services.evaluation import evaluate_members
    from partycard.exchange.workflow import State
    from partycard.registry.models import Member

    stamp = time.strftime("%m%d%H%M%S")
    campaign = Campaign.objects.create(
        code=f"bench-tr-{stamp}", name=f"Benchmark transitions {stamp}", cut_off=dt.date(2026, 6, 30)
    )
    chosen: list[tuple[int, int, str]] = []
    members = Member.objects.filter(organisation__path__startswith=committee.path).order_by("pk")
    last = 0
    while len(chosen) < count:
        batch = list(
            members.filter(pk__gt=last).values_list("pk", "organisation_id", "organisation__path")[:20000]
        )
        if not batch:
            break
        last = batch[-1][0]
        verdicts = evaluate_members(campaign, [pk for pk, _, _ in batch])
        chosen += [row for row in batch if verdicts[row[0]].eligible]
    chosen = chosen[:count]
    Case.objects.bulk_create(
        (
            Case(campaign=campaign, member_id=pk, organisation_id=org, path=path, state=State.PROPOSED)
            for pk, org, path in chosen
        ),
        batch_size=5000,
    )
    ids = dict(Case.objects.filter(campaign=campaign).values_list("member_id", "pk"))
    by_grassroots: dict[str, list[int]] = defaultdict(list)
    by_commune: dict[str, list[int]] = defaultdict(list)
    by_province: dict[str, list[int]] = defaultdict(list)
    for pk, _org, path in chosen:
        by_grassroots[prefix(path, 4)].append(ids[pk])
        by_commune[prefix(path, 3)].append(ids[pk])
        by_province[prefix(path, 2)].append(ids[pk])
    return campaign, sorted(ids.values()), dict(by_grassroots), dict(by_commune), dict(by_province)


def run_phase(jobs: list[tuple[Any, list[int]]], transition: Any) -> dict[str, Any]:
    """Start and run one job per (actor, case ids); the sum of their wall times."""
    from partycard.exchange.jobs import start_transition
    from partycard.jobs.services import job_run

    load_before = os.getloadavg()
    cases, failed, chunks = 0, 0, 0
    t0 = time.perf_counter()
    for actor, targets in jobs:
        job = start_transition(actor=actor, transition=transition, targets=targets, enqueue=False)
        job = job_run(job.pk)
        cases += job.succeeded
        failed += job.failed
        chunks += job.chunk_count
    wall = time.perf_counter() - t0
    return {
        "transition": transition.value,
        "jobs": len(jobs),
        "chunks": chunks,
        "cases": cases,
        "failed": failed,
        "wall_seconds": round(wall, 3),
        "cases_per_s": round(cases / wall),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def check_phase(campaign: Any, transition: Any, target: Any, count: int) -> dict[str, Any]:
    """Every case moved exactly once: target state, one event, one audit row each."""
    from django.db.models import Count, F

    from partycard.audit.models import AuditEvent
    from partycard.cards.models import Card
    from partycard.exchange.models import Case, CaseEvent

    in_state = Case.objects.filter(campaign=campaign, state=target).count()
    events = CaseEvent.objects.filter(case__campaign=campaign, transition=transition.value)
    per_case = events.values("case_id").annotate(n=Count("id")).values_list("n", flat=True)
    ids = [str(i) for i in Case.objects.filter(campaign=campaign).values_list("pk", flat=True)]
    audit = AuditEvent.objects.filter(
        action=f"exchange.{transition.value}", object_type="exchange.case", object_id__in=ids
    ).count()
    result = {
        "cases_in_target_state": in_state,
        "events": events.count(),
        "cases_with_one_event": sum(1 for n in per_case if n == 1),
        "audit_rows": audit,
    }
    result["ok"] = all(v == count for v in result.values())
    if transition.value == "accept":
        numbers = Case.objects.filter(campaign=campaign).exclude(card_number=None)
        result["card_numbers"] = numbers.count()
        result["distinct_card_numbers"] = numbers.values("card_number").distinct().count()
        result["ok"] = result["ok"] and result["card_numbers"] == result["distinct_card_numbers"] == count
        # The case ends here and the member's new card begins, numbered as the case (cards_allocate).
        cards = Card.objects.filter(case__campaign=campaign, kind="new", state="allocated")
        result["new_cards"] = cards.count()
        result["new_cards_numbered_as_their_case"] = cards.filter(number=F("case__card_number")).count()
        card_ids = [str(i) for i in cards.values_list("pk", flat=True)]
        result["card_audit_rows"] = AuditEvent.objects.filter(
            action="cards.allocate", object_type="cards.card", object_id__in=card_ids
        ).count()
        result["ok"] = result["ok"] and all(
            result[k] == count for k in ("new_cards", "new_cards_numbered_as_their_case", "card_audit_rows")
        )
    return result


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    count = env_int("BENCH_CASES", 30_000)
    repeats = env_int("BENCH_REPEATS", 2)
    committee_code = os.environ.get("BENCH_COMMITTEE", "P01")
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "partycard.settings.dev"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from partycard.accounts.roles import Role
    from partycard.audit.models import AuditEvent
    from partycard.audit.services import audit_verify
    from partycard.exchange.workflow import State, Transition
    from partycard.registry.choices import OrgLevel
    from partycard.registry.models import Member, Organisation

    members = Member.objects.count()
    committee = Organisation.objects.get(code=committee_code)
    log(f"{members:,} members in {url}; cases in {committee.code} ({committee.name})")
    results: dict[str, Any] = {
        "members": members,
        "cases_per_repeat": count,
        "committee": committee.code,
        "chunk_size": settings.PARTYCARD["JOB_CHUNK_SIZE"],
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine_info(url, PG_SETTINGS),
        "bar_cases_per_s": BAR_CASES_PER_S,
        "repeats": [],
    }
    centre_org = Organisation.objects.get(level=OrgLevel.CENTRE)
    phases = [
        (Transition.CONFIRM, State.CONFIRMED),
        (Transition.DECIDE, State.DECIDED),
        (Transition.FORWARD, State.FORWARDED),
        (Transition.ACCEPT, State.ACCEPTED),
    ]
    for r in range(repeats):
        log(f"repeat {r + 1}: campaign and {count:,} cases in PROPOSED (setup, not timed)")
        campaign, case_ids, by_grassroots, by_commune, by_province = setup_cases(committee, count)
        paths = [*by_grassroots, *by_commune, *by_province]
        orgs = {o.path: o for o in Organisation.objects.filter(path__in=paths)}
        grassroots = officers({p: orgs[p] for p in by_grassroots}, Role.GRASSROOTS_OFFICER, "gr")
        communes = officers({p: orgs[p] for p in by_commune}, Role.COMMITTEE_OFFICER, "co")
        provinces = officers({p: orgs[p] for p in by_province}, Role.COMMITTEE_OFFICER, "pr")
        centre = officers({centre_org.path: centre_org}, Role.CENTRAL_ADMIN, "tw")[centre_org.path]
        jobs = {
            Transition.CONFIRM: [(grassroots[p], ids) for p, ids in sorted(by_grassroots.items())],
            Transition.DECIDE: [(communes[p], ids) for p, ids in sorted(by_commune.items())],
            Transition.FORWARD: [(provinces[p], ids) for p, ids in sorted(by_province.items())],
            Transition.ACCEPT: [(centre, case_ids)],
        }
        audit_before = AuditEvent.objects.count()
        repeat: dict[str, Any] = {
            "campaign": campaign.code,
            "cases": len(case_ids),
            "grassroots_organisations": len(by_grassroots),
            "communes": len(by_commune),
            "provinces": len(by_province),
            "phases": [],
        }
        for transition, target in phases:
            log(f"    {transition.value}: {len(jobs[transition])} job(s)")
            phase = run_phase(jobs[transition], transition)
            phase["check"] = check_phase(campaign, transition, target, len(case_ids))
            repeat["phases"].append(phase)
            log(
                f"        {phase['cases']:,} cases in {phase['wall_seconds']:.1f} s = "
                f"{phase['cases_per_s']:,} cases/s; check {'ok' if phase['check']['ok'] else 'FAILED'}"
            )
        repeat["audit_rows_added"] = AuditEvent.objects.count() - audit_before
        results["repeats"].append(repeat)
    log("audit_verify() over the whole chain")
    t0 = time.perf_counter()
    report = audit_verify()
    results["audit_verify"] = {
        "ok": report.ok,
        "checked": report.checked,
        "seconds": round(time.perf_counter() - t0, 2),
        "reason": report.reason,
    }
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")

    rows: list[tuple[str, str, str, str]] = [("measure", "result", "bar", "")]
    for transition, _ in phases:
        runs = [p for rep in results["repeats"] for p in rep["phases"] if p["transition"] == transition.value]
        rates = [p["cases_per_s"] for p in runs]
        ok = all(p["check"]["ok"] and p["failed"] == 0 for p in runs)
        first = runs[0]
        rows.append(
            (
                f"{transition.value}: {first['cases']:,} cases, {first['jobs']:,} job(s), "
                f"{first['chunks']:,} chunks (× {len(runs)} repeats)",
                f"{min(rates):,}–{max(rates):,} cases/s (median {statistics.median(rates):,.0f})",
                f"≥ {BAR_CASES_PER_S:,.0f} cases/s",
                "PASS" if min(rates) >= BAR_CASES_PER_S and ok else "FAIL",
            )
        )
        numbers = ", unique card numbers, one new card each" if transition is Transition.ACCEPT else ""
        rows.append(
            (
                f"    checks: target state, one event and one audit row per case{numbers}",
                "ok" if ok else "FAILED",
                "",
                "",
            )
        )
    av = results["audit_verify"]
    rows.append(
        (
            "audit_verify(), the whole chain",
            f"{'ok' if av['ok'] else 'BROKEN'}: {av['checked']:,} rows in {av['seconds']:.1f} s",
            "ok",
            "PASS" if av["ok"] else "FAIL",
        )
    )
    results["table"] = rows
    print()
    print_table(rows)
    target = HERE / "results" / "bulk-transition.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
