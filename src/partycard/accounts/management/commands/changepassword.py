"""``partycard changepassword``: Django's command, with the new password and its audit row in one transaction.

It replaces ``django.contrib.auth``'s command of the same name (``partycard.accounts`` is listed before
``django.contrib.auth`` in ``INSTALLED_APPS`` for this).
"""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands.changepassword import Command as DjangoChangePassword
from django.db import transaction

from partycard.accounts.services import user_password_audit


class Command(DjangoChangePassword):
    def handle(self, *args: Any, **options: Any) -> str:
        database = options["database"]
        with transaction.atomic(using=database):
            message = str(super().handle(*args, **options))
            model = get_user_model()
            username = options["username"] or getpass.getuser()
            user = model._default_manager.using(database).get(**{model.USERNAME_FIELD: username})
            user_password_audit(actor=None, user=user, door="changepassword")
        return message
