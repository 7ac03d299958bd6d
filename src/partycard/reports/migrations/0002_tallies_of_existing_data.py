"""The counters of what exists before them (docs/reports.md): every case, card, verdict and member counted
where it sits, carried up the tree, written as the current counts (slot 0) and as one delta on the day of
the migration. A frozen copy of the recount of ``reports.recount`` as it was written, in plain SQL strings
(no model or enum imports), that runs on PostgreSQL and SQLite alike.
"""

from django.db import migrations
from django.utils import timezone

RC, FRONT, NEXT = "mig_recount", "mig_recount_front", "mig_recount_next"
COLUMNS = "(organisation_id bigint NOT NULL, campaign_id integer NOT NULL, key varchar(60) NOT NULL, n bigint NOT NULL)"
INTO = f"INSERT INTO {RC} (organisation_id, campaign_id, key, n) "
CARDS, VERDICTS = "mig_recount_cards", "mig_recount_verdicts"
OLD = (
    "CASE state WHEN 'active' THEN 'old_active' WHEN 'suspended' THEN 'old_active' "
    "WHEN 'damaged' THEN 'old_active' WHEN 'superseded' THEN 'old_superseded' "
    "WHEN 'recovered' THEN 'old_recovered' WHEN 'destroyed' THEN 'old_destroyed' ELSE 'old_other' END"
)
HEAD = "CASE WHEN eligible THEN 'eligible' WHEN postponed THEN 'postponed' ELSE 'not_eligible' END"
# One pass over each table: the cards and the verdicts grouped first, their keys read off the groups.
CELL_COUNTS = [
    INTO + "SELECT m.organisation_id, 0, 'members', COUNT(*) FROM registry_member m "
    "WHERE m.status IN ('official', 'probationary') GROUP BY m.organisation_id",
    INTO + "SELECT c.organisation_id, c.campaign_id, 'case_' || c.state, COUNT(*) FROM exchange_case c "
    "GROUP BY c.organisation_id, c.campaign_id, c.state",
    f"CREATE TEMPORARY TABLE {CARDS} AS SELECT m.organisation_id AS organisation_id, c.kind AS kind, "
    "c.state AS state, CASE WHEN c.case_id IS NULL THEN 1 ELSE 0 END AS reissue, COUNT(*) AS n "
    "FROM cards_card c JOIN registry_member m ON m.id = c.member_id "
    "GROUP BY m.organisation_id, c.kind, c.state, CASE WHEN c.case_id IS NULL THEN 1 ELSE 0 END",
    INTO + f"SELECT organisation_id, 0, 'card_' || state, SUM(n) FROM {CARDS} WHERE kind = 'new' "
    "GROUP BY organisation_id, state",
    INTO + f"SELECT organisation_id, 0, 'reissued', SUM(n) FROM {CARDS} WHERE kind = 'new' AND reissue = 1 "
    "GROUP BY organisation_id",
    INTO + f"SELECT organisation_id, 0, {OLD}, SUM(n) FROM {CARDS} WHERE kind = 'old' GROUP BY organisation_id, {OLD}",
    f"CREATE TEMPORARY TABLE {VERDICTS} AS SELECT m.organisation_id AS organisation_id, "
    "e.campaign_id AS campaign_id, e.eligible AS eligible, e.postponed AS postponed, e.codes AS codes, "
    "COUNT(*) AS n FROM exchange_eligibility e JOIN registry_member m ON m.id = e.member_id "
    "GROUP BY m.organisation_id, e.campaign_id, e.eligible, e.postponed, e.codes",
    INTO + f"SELECT organisation_id, campaign_id, {HEAD}, SUM(n) FROM {VERDICTS} "
    f"GROUP BY organisation_id, campaign_id, {HEAD}",
]


def count(apps, schema_editor):
    connection = schema_editor.connection
    day = timezone.localdate()

    def run(sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall() if cursor.description else []

    if connection.vendor == "postgresql":
        run("SET LOCAL work_mem = '256MB'")
        # Room on each page for a counter's next versions (HOT updates, no index change): an
        # organisation's counters stay together, where the reads find them (docs/reports.md).
        run("ALTER TABLE reports_tally SET (fillfactor = 50)")
    for table in (RC, FRONT, NEXT, CARDS, VERDICTS):
        run(f"DROP TABLE IF EXISTS {table}")
    run(f"CREATE TEMPORARY TABLE {RC} {COLUMNS}")
    for sql in CELL_COUNTS:
        run(sql)
    combinations = run(f"SELECT DISTINCT codes FROM {VERDICTS} WHERE NOT eligible")
    for code in sorted({c for (codes,) in combinations for c in codes.split(",") if c}):
        run(
            INTO + "SELECT organisation_id, campaign_id, %s, SUM(n) FROM " + VERDICTS + " "
            "WHERE NOT eligible AND ',' || codes || ',' LIKE %s GROUP BY organisation_id, campaign_id",
            ["reason:" + code, f"%,{code},%"],
        )
    # Carry the counts up, one level per statement, to the Centre.
    run(f"CREATE TEMPORARY TABLE {FRONT} {COLUMNS}")
    run(f"INSERT INTO {FRONT} SELECT organisation_id, campaign_id, key, SUM(n) FROM {RC} GROUP BY organisation_id, campaign_id, key")
    while True:
        run(f"DROP TABLE IF EXISTS {NEXT}")
        run(f"CREATE TEMPORARY TABLE {NEXT} {COLUMNS}")
        run(
            f"INSERT INTO {NEXT} SELECT o.parent_id, f.campaign_id, f.key, SUM(f.n) FROM {FRONT} f "
            "JOIN registry_organisation o ON o.id = f.organisation_id WHERE o.parent_id IS NOT NULL "
            "GROUP BY o.parent_id, f.campaign_id, f.key"
        )
        if not run(f"SELECT 1 FROM {NEXT} LIMIT 1"):
            break
        run(f"INSERT INTO {RC} SELECT * FROM {NEXT}")
        run(f"DROP TABLE {FRONT}")
        run(f"ALTER TABLE {NEXT} RENAME TO {FRONT}")
    totals = (
        f"SELECT organisation_id, campaign_id, key, SUM(n) AS n FROM {RC} "
        "GROUP BY organisation_id, campaign_id, key HAVING SUM(n) <> 0"
    )
    run(
        "INSERT INTO reports_tally (organisation_id, campaign_id, key, slot, n) "
        f"SELECT t.organisation_id, t.campaign_id, t.key, 0, t.n FROM ({totals}) t "
        "ORDER BY t.organisation_id, t.campaign_id, t.key"
    )
    run(
        "INSERT INTO reports_tallyday (organisation_id, campaign_id, day, key, slot, delta) "
        f"SELECT t.organisation_id, t.campaign_id, %s, t.key, 0, t.n FROM ({totals}) t",
        [day],
    )
    for table in (RC, FRONT, NEXT, CARDS, VERDICTS):
        run(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_tallies"),
        ("exchange", "0008_campaign_charter_and_abroad"),
        ("cards", "0003_spoil"),
        ("registry", "0007_drop_dues_count_and_transferred_out"),
    ]

    operations = [migrations.RunPython(count, migrations.RunPython.noop)]
