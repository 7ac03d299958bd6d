"""The member list's index (``SearchEntry``, ``NameWord``; docs/registry.md, "Search").

PostgreSQL gets the entry table partitioned by committee (list partitions, created with the data by 0009,
and a default one for committees created later) and covering indexes, written here by hand because
Django's migrations know neither partitions nor a collation for SQLite; SQLite gets the model as declared,
with plain indexes where the model's covering ones (PostgreSQL only) would be.
"""

import django.db.models.deletion
from django.db import migrations, models

ENTRY_TABLE = "registry_searchentry"

POSTGRESQL = [
    f"""CREATE TABLE {ENTRY_TABLE} (
        member_id bigint NOT NULL,
        word varchar(81) COLLATE "C" NOT NULL,
        committee_id bigint NOT NULL,
        organisation_id bigint NOT NULL,
        sort_key bytea NOT NULL,
        words varchar(200) COLLATE "C" NOT NULL,
        status varchar(20) NOT NULL,
        gender varchar(1) NOT NULL,
        date_of_birth date NOT NULL
    ) PARTITION BY LIST (committee_id)""",
    f"CREATE TABLE {ENTRY_TABLE}_other PARTITION OF {ENTRY_TABLE} DEFAULT",
    f"CREATE INDEX registry_search_word ON {ENTRY_TABLE} (word, sort_key, member_id) "
    "INCLUDE (words, status, gender, date_of_birth, committee_id)",
    f"CREATE INDEX registry_search_cell ON {ENTRY_TABLE} (organisation_id, sort_key, member_id) "
    "INCLUDE (words, status, gender, date_of_birth) WHERE word = ''",
    f"CREATE INDEX registry_search_member ON {ENTRY_TABLE} (member_id)",
    'CREATE TABLE registry_nameword (word varchar(81) COLLATE "C" PRIMARY KEY, members integer NOT NULL '
    "CHECK (members >= 0), paired boolean NOT NULL)",
]

SQLITE_INDEXES = [
    f"CREATE INDEX registry_search_word_plain ON {ENTRY_TABLE} (word, committee_id, sort_key, member_id)",
    f"CREATE INDEX registry_search_cell_plain ON {ENTRY_TABLE} (organisation_id, sort_key, member_id) "
    "WHERE word = ''",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRESQL:
            schema_editor.execute(sql)
        return
    schema_editor.create_model(apps.get_model("registry", "NameWord"))
    schema_editor.create_model(apps.get_model("registry", "SearchEntry"))
    for sql in SQLITE_INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {ENTRY_TABLE}")
    schema_editor.execute("DROP TABLE registry_nameword")


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_drop_dues_count_and_transferred_out")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="NameWord",
                    fields=[
                        ("word", models.CharField(max_length=81, primary_key=True, serialize=False)),
                        ("members", models.PositiveIntegerField(default=0)),
                        ("paired", models.BooleanField(default=False)),
                    ],
                    options={"verbose_name": "name word"},
                ),
                migrations.CreateModel(
                    name="SearchEntry",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "member_id", "word", blank=True, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("word", models.CharField(blank=True, max_length=81)),
                        ("sort_key", models.BinaryField(max_length=255)),
                        ("words", models.CharField(max_length=200)),
                        ("status", models.CharField(max_length=20)),
                        ("gender", models.CharField(max_length=1)),
                        ("date_of_birth", models.DateField()),
                        (
                            "committee",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="registry.organisation",
                            ),
                        ),
                        (
                            "member",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="registry.member",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="registry.organisation",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "member search entry",
                        "indexes": [
                            models.Index(
                                fields=["word", "sort_key", "member"],
                                include=("words", "status", "gender", "date_of_birth", "committee"),
                                name="registry_search_word",
                            ),
                            models.Index(
                                condition=models.Q(("word", "")),
                                fields=["organisation", "sort_key", "member"],
                                include=("words", "status", "gender", "date_of_birth"),
                                name="registry_search_cell",
                            ),
                            models.Index(fields=["member"], name="registry_search_member"),
                        ],
                    },
                ),
            ],
        ),
        # After the state: the historical models are there for SQLite's create_model.
        migrations.RunPython(create, drop),
    ]
