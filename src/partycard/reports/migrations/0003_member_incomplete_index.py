"""The completeness report's index (issue 17, ``reports.completeness``): the probationary and official
members that lack a field of their own row (photo, citizen ID, date made official, party file number), by
cell. Its predicate is the report's query's, word for word, so the planner reads only those members; as the
data are completed the index (and the report's work) shrinks. Plain SQL: PostgreSQL and SQLite alike both
have partial indexes; it is the reports' index on the registry's table, so it is not in the member model's
state.
"""

from django.db import migrations

PREDICATE = (
    "status IN ('official', 'probationary') AND (photo = '' OR citizen_id IS NULL OR "
    "(status = 'official' AND date_official IS NULL) OR file_number IS NULL)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_tallies_of_existing_data"),
        ("registry", "0010_organisation_subtree_members"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX reports_member_incomplete ON registry_member (organisation_id) WHERE {PREDICATE}",
            "DROP INDEX reports_member_incomplete",
        ),
    ]
