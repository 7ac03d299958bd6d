"""PostgreSQL: the national sequence card serials come from (``services.card_numbers_allocate``).

NO CYCLE and a maximum of 999,999,999 (nine serial digits): a number is never reused, and running out is
an error, not a wrap-around.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE SEQUENCE IF NOT EXISTS exchange_card_serial START 1 MINVALUE 1 MAXVALUE 999999999 NO CYCLE"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS exchange_card_serial")


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
