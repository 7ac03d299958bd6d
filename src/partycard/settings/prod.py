"""Production settings: everything secret or host-specific comes from the environment."""

import os

from partycard.accounts.totp_key import fernet_keys_check

from .base import *  # noqa: F403
from .base import logging_config

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# No placeholder photo on a production chip: a member without a photo is refused at signing.
PARTYCARD["CHIP_PLACEHOLDER_PHOTO"] = os.environ.get("PARTYCARD_CHIP_PLACEHOLDER_PHOTO", "0") == "1"  # noqa: F405
# TOTP secrets are encrypted with these keys: no default in production (a clear error at startup instead).
PARTYCARD["TOTP_KEYS"] = fernet_keys_check(os.environ.get("PARTYCARD_TOTP_KEYS", ""))  # noqa: F405
# Reset links go out by e-mail through the mail relay (EMAIL_HOST, DEFAULT_FROM_EMAIL), or through an SMS
# gateway's sender class; never the console sender (accounts/checks.py refuses it under --deploy).
PARTYCARD_MESSAGE_SENDER = os.environ.get("PARTYCARD_MESSAGE_SENDER", "partycard.accounts.sender.EmailSender")
# Logs as JSON lines (docs/observability.md), unless PARTYCARD_LOG_FORMAT says otherwise.
LOGGING = logging_config(
    log_format=os.environ.get("PARTYCARD_LOG_FORMAT", "json"), log_dir=os.environ.get("PARTYCARD_LOG_DIR", "")
)
