"""PostgreSQL: the (name_search, id) index also carries organisation_id.

A single-word search in a large subtree walks this index in name order and keeps the rows of the subtree
(``selectors.member_search``); with the cell in the index the walk needs no table access once the table
is vacuumed (docs/performance.md: 130 ms → ~10 ms for a given name in Hà Nội). SQLite keeps the plain
index, which is what the model declares; Django's ``Index(include=...)`` would drop it there.
"""

from django.db import migrations


def covering(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS registry_member_name")
    schema_editor.execute(
        "CREATE INDEX registry_member_name ON registry_member (name_search, id) INCLUDE (organisation_id)"
    )


def plain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS registry_member_name")
    schema_editor.execute("CREATE INDEX registry_member_name ON registry_member (name_search, id)")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_reference_data_and_search_indexes")]

    operations = [migrations.RunPython(covering, plain)]
