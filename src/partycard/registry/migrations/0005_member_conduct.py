# Charter Art. 8(2) (dues unpaid, party activities skipped, within a rolling year, with a good-reason
# exception; activities suspended), abroad relabelled, the committee above the grassroots reworded.
# Schema only: 0006 moves the data, 0007 drops what it replaces.

from django.db import migrations, models

_DUES_HELP = "The months (MM/YYYY) the member did not pay dues; those within the last 12 months count."
_ACTIVITIES_HELP = (
    "The months (MM/YYYY) the member skipped party activities; those within the last 12 months count."
)
_LEVEL_CHOICES = [
    (0, "Centre"),
    (1, "Committee directly under the Centre"),
    (2, "Committee directly above the grassroots party organisation"),
    (3, "Grassroots party committee"),
    (4, "Grassroots party cell"),
    (5, "Sub-committee"),
    (6, "Party cell"),
]
_LEVEL_HELP = (
    "The committee directly above the grassroots is a commune, ward or special-zone committee, or an "
    "upper-grassroots committee; in the Army and Public Security one may sit under another."
)


def _conduct_fields():
    return [
        (
            "dues_unpaid_months",
            models.JSONField(
                blank=True, db_default=[], default=list, help_text=_DUES_HELP, verbose_name="months of dues unpaid"
            ),
        ),
        (
            "dues_unpaid_good_reason",
            models.BooleanField(db_default=False, default=False, verbose_name="good reason for the unpaid dues"),
        ),
        (
            "activities_skipped_months",
            models.JSONField(
                blank=True,
                db_default=[],
                default=list,
                help_text=_ACTIVITIES_HELP,
                verbose_name="months of party activities skipped",
            ),
        ),
        (
            "activities_skipped_good_reason",
            models.BooleanField(
                db_default=False, default=False, verbose_name="good reason for the skipped activities"
            ),
        ),
        (
            "activities_suspended",
            models.BooleanField(db_default=False, default=False, verbose_name="party activities suspended"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_member_standing"),
    ]

    operations = [
        *[
            migrations.AddField(model_name=model, name=name, field=field)
            for model in ("member", "historicalmember")
            for name, field in _conduct_fields()
        ],
        *[
            migrations.AlterField(
                model_name=model,
                name="abroad",
                field=models.BooleanField(
                    db_default=False,
                    default=False,
                    verbose_name="abroad (card held by the committee the campaign names)",
                ),
            )
            for model in ("member", "historicalmember")
        ],
        *[
            migrations.AlterField(
                model_name=model,
                name="level",
                field=models.PositiveSmallIntegerField(
                    choices=_LEVEL_CHOICES, help_text=_LEVEL_HELP, verbose_name="level"
                ),
            )
            for model in ("organisation", "historicalorganisation")
        ],
    ]
