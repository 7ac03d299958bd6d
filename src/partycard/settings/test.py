"""Test settings: fast hashing; the database comes from DATABASE_URL (SQLite in memory by default)."""

import os

import dj_database_url

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The authority's key store (core/signing.py) at a cheap scrypt cost: a test makes an authority in a few
# milliseconds instead of the production unlock time (tests/trust/keystore tests the default itself).
PARTYCARD["KEYSTORE_SCRYPT"] = {"n": 1 << 10, "r": 8, "p": 1}  # noqa: F405
if "DATABASE_URL" in os.environ:
    DATABASES = {"default": dj_database_url.config()}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The population stand-in is started by the tests on a free port (tests/nationalid/standin.py): short
# timeouts and back-off so that its injected failures cost seconds, not minutes; small chunks.
PARTYCARD["POPULATION_API"] = {  # noqa: F405
    **PARTYCARD["POPULATION_API"],  # noqa: F405
    # Nothing listens on port 9: a test that forgot its stand-in fails loudly. A job runner started by a test
    # in its own process is given its stand-in's address in the environment.
    "url": os.environ.get("PARTYCARD_POPULATION_URL", "http://127.0.0.1:9"),
    "timeout": 1.0,
    "max_retries": 4,
    "chunk": 50,
}
