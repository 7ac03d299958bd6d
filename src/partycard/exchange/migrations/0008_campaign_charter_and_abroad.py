# Charter Art. 8(2): the campaign's threshold is the number of months (within a year, without good reason)
# that refuse, compared with >=; it was "months of unpaid dues allowed" (>): renamed so that the two are
# not confused, its value kept (3 by default). Abroad is not a refusal: the campaign names the committee
# that holds the cards of members abroad (DOMAIN.md).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0007_cases_to_cards"),
        ("registry", "0005_member_conduct"),
    ]

    operations = [
        migrations.RenameField(model_name="campaign", old_name="max_dues_months_unpaid", new_name="removal_months"),
        migrations.AlterField(
            model_name="campaign",
            name="removal_months",
            field=models.PositiveSmallIntegerField(
                default=3,
                help_text=(
                    "Months of dues unpaid, or of party activities skipped, without good reason within the last "
                    "12 months that refuse a new card (Party Charter Art. 8(2): three)."
                ),
                verbose_name="months within a year that refuse",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="abroad_card_holder",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "The party committee that receives and keeps the new cards of members who are abroad until "
                    "they return. Being abroad does not affect eligibility."
                ),
                limit_choices_to={"level__lt": 3},
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.organisation",
                verbose_name="committee holding the cards of members abroad",
            ),
        ),
    ]
