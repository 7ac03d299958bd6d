# The dues count is now the list of months (0006), and "transferred out" is no status (a transfer is a
# change of cell: services.member_transfer).

from django.db import migrations, models

_STATUS_CHOICES = [
    ("probationary", "Probationary member"),
    ("official", "Official member"),
    ("deceased", "Deceased"),
    ("removed", "Removed from the Party"),
    ("expelled", "Expelled"),
    ("resigned", "Left the Party at own request"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_conduct_and_transfer_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="member", name="dues_months_unpaid"),
        migrations.RemoveField(model_name="historicalmember", name="dues_months_unpaid"),
        migrations.RemoveConstraint(model_name="member", name="registry_member_status_valid"),
        *[
            migrations.AlterField(
                model_name=model,
                name="status",
                field=models.CharField(
                    choices=_STATUS_CHOICES, default="probationary", max_length=20, verbose_name="status"
                ),
            )
            for model in ("member", "historicalmember")
        ],
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["probationary", "official", "deceased", "removed", "expelled", "resigned"])
                ),
                name="registry_member_status_valid",
            ),
        ),
    ]
