"""Fill the member list's index from the members already in the registry.

Not atomic: after the bulk insert (its own transaction) the entry table is vacuumed, which sets the
visibility map that index-only reads need and cannot run inside a transaction. The fill empties the
index first, so running it again is safe. At 5.6 M members it takes minutes (docs/performance.md).
"""

from django.db import migrations


def fill(apps, schema_editor):
    from partycard.registry.search_index import search_index_rebuild

    search_index_rebuild(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("registry", "0008_member_search_index")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
