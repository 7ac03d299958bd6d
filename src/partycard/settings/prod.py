"""Production settings: everything secret or host-specific comes from the environment."""

import os

from partycard.accounts.totp_key import fernet_keys_check

from .base import *  # noqa: F403
from .base import logging_config

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
# Earlier secret keys, comma-separated, still accepted (not used to sign) while a rotation runs out: the
# sessions and reset links they signed stay valid until dropped (docs/operations.md, "Rotate keys").
SECRET_KEY_FALLBACKS = [
    k.strip() for k in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
]
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
# Static files under content-hashed names (site.3f2a….css; ES module imports rewritten as well,
# core/staticfiles.py), listed in STATIC_ROOT/staticfiles.json by
# `partycard collectstatic`: nginx serves them with a year's immutable caching (deploy/nginx/partycard.conf),
# safe because a changed file gets a new name, so no browser keeps an old script or style after an upgrade.
# Strict (Django's default): a page naming a file the manifest lacks fails instead of falling back to the
# unhashed name that browsers would cache for a year; run collectstatic at every install and upgrade.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "partycard.core.staticfiles.HashedStaticFilesStorage"},
}
# The mail relay the reset links go through (EmailSender above; docs/operations.md, "Configure").
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("DJANGO_EMAIL_USE_TLS", "0") == "1"  # STARTTLS on EMAIL_PORT (587)
EMAIL_TIMEOUT = 10  # a relay that does not answer must not hold a web thread for long
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "webmaster@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The cache that the API's rate limit and the password-reset limits count in. Unset: each server process
# counts alone (Django's local-memory cache), so a limit is multiplied by the number of processes; with
# several processes or hosts, point it at Redis (redis://host:6379/1) so that they count together.
if os.environ.get("PARTYCARD_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["PARTYCARD_CACHE_URL"],
        }
    }
