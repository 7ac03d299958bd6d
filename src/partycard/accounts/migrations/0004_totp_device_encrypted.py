"""TOTP devices move to ``accounts.TOTPDevice``, whose secret is encrypted at rest (``accounts/totp_key.py``).

Each of django-otp's devices (secret in plain hex) is copied with every field and its id, the secret
encrypted on the way, and then deleted from django-otp's table: no plain secret is left in the database.
A session verified with an old device is asked for a code once more (its device id names the old model).
"""

import django.db.models.deletion
import django_otp.plugins.otp_totp.models
import partycard.accounts.models
from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations, models


FIELDS = (
    "id", "user_id", "name", "confirmed", "throttling_failure_timestamp", "throttling_failure_count",
    "created_at", "last_used_at", "key", "step", "t0", "digits", "tolerance", "drift", "last_t",
)


def encrypt_existing(apps, schema_editor):
    old = apps.get_model("otp_totp", "TOTPDevice")
    new = apps.get_model("accounts", "TOTPDevice")
    for device in old.objects.order_by("id").iterator():
        new.objects.create(**{f: getattr(device, f) for f in FIELDS})  # the field encrypts ``key``
        new.objects.filter(pk=device.pk).update(created_at=device.created_at)  # not auto_now_add's now
    old.objects.all().delete()
    _sequence_reset(schema_editor, new)


def _sequence_reset(schema_editor, model):
    """Ids were copied: on PostgreSQL the id sequence must move past them."""
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
        schema_editor.execute(sql, params=None)


def decrypt_back(apps, schema_editor):
    old = apps.get_model("otp_totp", "TOTPDevice")
    new = apps.get_model("accounts", "TOTPDevice")
    for device in new.objects.order_by("id").iterator():
        old.objects.create(**{f: getattr(device, f) for f in FIELDS})
    _sequence_reset(schema_editor, old)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_member'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='TOTPDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('key', partycard.accounts.models.EncryptedSecretField(default=django_otp.plugins.otp_totp.models.default_key, validators=[django_otp.plugins.otp_totp.models.key_validator], verbose_name='secret')),
                ('step', models.PositiveSmallIntegerField(default=30)),
                ('t0', models.BigIntegerField(default=0)),
                ('digits', models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1)),
                ('drift', models.SmallIntegerField(default=0)),
                ('last_t', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='totp_devices', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'TOTP device',
                'verbose_name_plural': 'TOTP devices',
                'abstract': False,
            },
        ),
        migrations.RunPython(encrypt_existing, decrypt_back),
    ]
