"""Issue 15's account fields: a phone for reset links by SMS, the forced password change, the session epoch
that ends every session of an account, and the folded name the officer list searches (filled here for the
accounts that exist)."""

import django.core.validators
from django.db import migrations, models

import partycard.accounts.models


def fill_name_search(apps, schema_editor):
    from partycard.core.text import fold

    User = apps.get_model("accounts", "User")
    for user in User.objects.only("pk", "first_name", "last_name").iterator(chunk_size=2000):
        folded = fold(f"{user.last_name} {user.first_name}")
        if folded:
            User.objects.filter(pk=user.pk).update(name_search=folded)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_totp_device_encrypted"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", partycard.accounts.models.UserManager()),
            ],
        ),
        migrations.AddField(
            model_name="user",
            name="name_search",
            field=models.CharField(blank=True, default="", editable=False, max_length=301),
        ),
        migrations.AddField(
            model_name="user",
            name="password_change_required",
            field=models.BooleanField(default=False, verbose_name="must change password at next login"),
        ),
        migrations.AddField(
            model_name="user",
            name="phone",
            field=models.CharField(
                blank=True,
                max_length=15,
                validators=[
                    django.core.validators.RegexValidator(
                        "^0[0-9]{9}\\Z", "Phone number must be 10 digits starting with 0."
                    )
                ],
                verbose_name="phone",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="session_epoch",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_name_search, migrations.RunPython.noop, elidable=True),
    ]
