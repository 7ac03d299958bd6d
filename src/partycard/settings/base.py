"""Settings shared by every environment.

``DATABASE_URL`` selects the database (``postgres://…`` in production); without it partycard uses an
embedded SQLite file under ``var/`` so that ``make run`` needs nothing installed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from partycard.trust.oids import DEFAULT_ARC as DEFAULT_OID_ARC

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(os.environ.get("PARTYCARD_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("PARTYCARD_VAR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = False
ALLOWED_HOSTS: list[str] = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    # Before django.contrib.auth: its ``changepassword`` command (audited) replaces Django's.
    "partycard.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "partycard.core.vendor_apps.AxesConfig",  # django-axes, under a Vietnamese name (core/vendor_apps.py)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "partycard.core",
    "partycard.registry",
    "partycard.audit",
    "partycard.ops",  # health, readiness, metrics, worker heartbeats, JSON logs (docs/observability.md)
    "partycard.jobs",
    "partycard.cards",
    "partycard.exchange",
    "partycard.credentials",
    "partycard.production",
    "partycard.distribution",
    "partycard.inspections",
    "partycard.officers",
    "partycard.transfers",
    "partycard.meetings",
    "partycard.dues",
    "partycard.losses",
    "partycard.population",
    "partycard.partysync",
    "partycard.review",
    "partycard.memberapp",
    "partycard.reports",
    "django_tasks",
    "partycard.core.vendor_apps.TasksDatabaseConfig",  # django-tasks-db, under a Vietnamese name
    "partycard.api",
    "ninja",  # its templates and static files: the API docs page without a CDN
]

MIDDLEWARE = [
    "partycard.ops.middleware.RequestIdMiddleware",  # first: every log line of the request carries its id
    "partycard.ops.middleware.RequestMetricsMiddleware",  # the latency histogram, around everything below
    "partycard.ops.middleware.ProbeMiddleware",  # /healthz /readyz /metrics before redirects and hosts
    "django.middleware.security.SecurityMiddleware",
    "partycard.core.middleware.RequestGuardMiddleware",  # NUL in the URL → 400; a refused write → 4xx page
    "partycard.error_views.DatabaseUnavailableMiddleware",  # the database lost mid-request → 503, not 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # sets request.user.is_verified()
    "partycard.accounts.middleware.RequireTwoFactorMiddleware",  # officers: TOTP before anything else
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "partycard.urls"
WSGI_APPLICATION = "partycard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'partycard.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server read while a seed, an import or the job worker writes. Write transactions
    # start IMMEDIATE (take the write lock up front) and wait up to 20 s for it, so that the web server
    # and the worker queue for the single writer instead of failing with "database is locked".
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    options["transaction_mode"] = "IMMEDIATE"
    options["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Argon2id first (argon2-cffi); the others only to read hashes made before a switch.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# django-axes: lock a (username, client address) pair after 5 failed logins, for 30 minutes; the backend
# refuses locked-out logins before any password is checked. By the pair, not the username alone: else anyone
# could lock any officer out. The address is the real client's behind the proxy (TRUSTED_PROXIES below).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # its log lines would carry usernames and addresses: no personal data in logs


def _trusted_proxies(value: str) -> int:
    """``PARTYCARD_TRUSTED_PROXIES``: how many reverse proxies stand in front of the app (0, 1, 2, …)."""
    from django.core.exceptions import ImproperlyConfigured

    if not value.strip().isdecimal() or not value.isascii():
        raise ImproperlyConfigured(f"PARTYCARD_TRUSTED_PROXIES must be a number of proxies, not {value!r}")
    return int(value)


# Behind the TLS-terminating reverse proxy (docs/operations.md), set PARTYCARD_TRUSTED_PROXIES to the number
# of proxy hops in front of the app (1 for one nginx). Then the proxy's X-Forwarded-Proto says whether the
# client spoke HTTPS (else SECURE_SSL_REDIRECT would redirect every request to itself forever), and the
# lock-out counts failures per (username, the client's real address) taken from X-Forwarded-For, right-most
# entries first (partycard.core.client_address). With 0 (no proxy) both headers are ignored: a client
# could forge them. The app server must then be reachable only through the proxies.
TRUSTED_PROXIES = _trusted_proxies(os.environ.get("PARTYCARD_TRUSTED_PROXIES", "0"))
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AXES_CLIENT_IP_CALLABLE = "partycard.core.client_address.client_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Two-factor login (django-otp, TOTP): the issuer names the account in authenticator apps (the brand in
# Vietnamese; accounts/otpauth.py encodes it in the enrolment QR code's URI).
PARTYCARD_TOTP_ISSUER = os.environ.get("PARTYCARD_TOTP_ISSUER", "Hệ thống thẻ đảng viên")
OTP_TOTP_ISSUER = PARTYCARD_TOTP_ISSUER
# The admin never shows a device's secret or QR code: each officer enrols their own device after login.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Password-reset links (accounts/password_reset.py): how long one works (Django's token generator), and the
# sender that delivers them by e-mail or SMS (accounts/sender.py). The console sender prints messages, links
# included, on standard output: development only (``check --deploy`` refuses it; prod.py defaults to
# e-mail). docs/officers.md, "Message sender".
PASSWORD_RESET_TIMEOUT = 24 * 3600
PARTYCARD_MESSAGE_SENDER = os.environ.get(
    "PARTYCARD_MESSAGE_SENDER", "partycard.accounts.sender.ConsoleSender"
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Vietnamese convention: dd/mm/yyyy and 5.600.000 (partycard/formats/vi overrides Django's vi locale).
FORMAT_MODULE_PATH = ["partycard.formats"]
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "partycard.error_views.csrf_failure"  # Vietnamese, not Django's English page
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# django-csp: only the project's own static files; no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# partycard's own settings.
_DEV_TOTP_KEY = "cGFydHljYXJkLWRldmVsb3BtZW50LXRvdHAta2V5ISE="  # public: development and tests only
PARTYCARD: dict[str, Any] = {  # Any: the values are of several types
    # Months between admission and becoming an official member (Party Charter art. 5: 12 months).
    "PROBATION_MONTHS": int(os.environ.get("PARTYCARD_PROBATION_MONTHS", "12")),
    # Minimum age at admission (Party Charter art. 1: 18 years).
    "MIN_ADMISSION_AGE": 18,
    # Requests per API token per window ("N/second|minute|hour|day"), counted in the cache (CACHES):
    # per process with the default LocMem cache, across processes when CACHES points at Redis (production).
    "API_RATE_LIMIT": os.environ.get("PARTYCARD_API_RATE_LIMIT", "600/minute"),
    # Background jobs: targets per chunk (one transaction each), and a pause between chunks to spare the
    # database during office hours (seconds; 0 in production batch windows).
    "JOB_CHUNK_SIZE": int(os.environ.get("PARTYCARD_JOB_CHUNK_SIZE", "1000")),
    "JOB_CHUNK_PAUSE": float(os.environ.get("PARTYCARD_JOB_CHUNK_PAUSE", "0")),
    # A running job's lease (seconds), renewed after each chunk: it must outlast the slowest chunk. A job
    # whose lease ran out lost its worker and is queued again by the sweep, which every worker runs on start
    # and then every JOB_SWEEP_SECONDS (docs/exchange.md, "Background jobs").
    "JOB_LEASE_SECONDS": float(os.environ.get("PARTYCARD_JOB_LEASE_SECONDS", "120")),
    "JOB_SWEEP_SECONDS": float(os.environ.get("PARTYCARD_JOB_SWEEP_SECONDS", "15")),
    # Background jobs one user (and so each of their API tokens) may have queued or running at once;
    # one more is refused with 429 until one has finished.
    "JOBS_PER_USER": int(os.environ.get("PARTYCARD_JOBS_PER_USER", "3")),
    # The longest a Youth Union volunteer may be assigned to cells at once (issue 17: "for a period"; about
    # six months, one review round before the data must be complete), docs/volunteers.md.
    "VOLUNTEER_ASSIGNMENT_MAX_DAYS": int(os.environ.get("PARTYCARD_VOLUNTEER_ASSIGNMENT_MAX_DAYS", "183")),
    # A member without a photo gets a generated placeholder on the chip (the demo's members have none);
    # the production settings turn it off, so that such a case is refused (exchange/services/chip_images.py).
    "CHIP_PLACEHOLDER_PHOTO": os.environ.get("PARTYCARD_CHIP_PLACEHOLDER_PHOTO", "1") == "1",
    # The object identifier arc of partycard's own certificate extensions (document types, trust-list signer,
    # manufacturer): the one the Government Cipher Committee registers. The default is a documentation arc
    # (RFC 5612), for development and tests; `check --deploy` warns while it is set (trust/oids.py).
    "OID_ARC": os.environ.get("PARTYCARD_OID_ARC", DEFAULT_OID_ARC),
    # The PACE domain parameters every new chip's EF.CardAccess announces (ICAO 9303-11 §9.5.1 Table 6):
    # 12 NIST P-256 (the default), 13 brainpoolP256r1. docs/trust.md.
    "PACE_PARAMETER_ID": int(os.environ.get("PARTYCARD_PACE_PARAMETER_ID", "12")),
    # Reverse proxies in front of the app (see TRUSTED_PROXIES above; partycard.core.client_address).
    "TRUSTED_PROXIES": TRUSTED_PROXIES,
    # Fernet keys that encrypt the TOTP secrets at rest, comma-separated, the first encrypting
    # (accounts/totp_key.py). The default is public, for development and tests: prod.py requires the variable.
    "TOTP_KEYS": [
        k.strip()
        for k in os.environ.get("PARTYCARD_TOTP_KEYS", "cGFydHljYXJkLWRldmVsb3BtZW50LXRvdHAta2V5ISE=").split(
            ","
        )
        if k.strip()
    ],
    # Roster imports (docs/import-format.md, "Limits"): the largest file accepted, the most rows read (blank
    # rows included), the most bytes an .xlsx may unpack to (all its parts together; a zip bomb is refused
    # before parsing) and the most its shared-strings part may hold (openpyxl keeps that part in memory).
    # A web upload larger than IMPORT_INLINE_BYTES is checked and imported by the background worker.
    "IMPORT_MAX_BYTES": int(os.environ.get("PARTYCARD_IMPORT_MAX_BYTES", str(20 * 1024 * 1024))),
    "IMPORT_MAX_ROWS": int(os.environ.get("PARTYCARD_IMPORT_MAX_ROWS", "50000")),
    "IMPORT_MAX_UNPACKED_BYTES": int(
        os.environ.get("PARTYCARD_IMPORT_MAX_UNPACKED_BYTES", str(100 * 1024 * 1024))
    ),
    "IMPORT_MAX_SHARED_STRINGS_BYTES": int(
        os.environ.get("PARTYCARD_IMPORT_MAX_SHARED_STRINGS_BYTES", str(16 * 1024 * 1024))
    ),
    # ... and how many texts (<si> elements) it may hold: openpyxl spends ~190 bytes on each, however short.
    "IMPORT_MAX_SHARED_STRINGS": int(os.environ.get("PARTYCARD_IMPORT_MAX_SHARED_STRINGS", "800000")),
    "IMPORT_INLINE_BYTES": int(os.environ.get("PARTYCARD_IMPORT_INLINE_BYTES", str(512 * 1024))),
    # Card production (docs/production.md): where the batch files and the manufacturer's reports are kept
    # (an encrypted volume in production), and the most cards one batch file holds (its memory bound).
    "PRODUCTION_DIR": os.environ.get("PARTYCARD_PRODUCTION_DIR", str(VAR_DIR / "production")),
    "BATCH_MAX_CARDS": int(os.environ.get("PARTYCARD_BATCH_MAX_CARDS", "2000")),
    # Distribution's documents on disk (issuance registers, destruction minutes): the database keeps their
    # SHA-256, not the bytes (docs/distribution.md). Sends, receipts and destructions of at most
    # DISTRIBUTION_INLINE cards run in the request; larger ones on the job worker.
    "DISTRIBUTION_DIR": Path(os.environ.get("PARTYCARD_DISTRIBUTION_DIR", str(MEDIA_ROOT / "distribution"))),
    "DISTRIBUTION_INLINE": int(os.environ.get("PARTYCARD_DISTRIBUTION_INLINE", "500")),
    # "Forgot password" requests an hour from one client address (beyond: the 429 page), and reset links an
    # hour to one account (beyond: dropped silently, the page says the same): accounts/password_reset.py.
    "PASSWORD_RESET_PER_ADDRESS": int(os.environ.get("PARTYCARD_PASSWORD_RESET_PER_ADDRESS", "10")),
    "PASSWORD_RESET_PER_ACCOUNT": int(os.environ.get("PARTYCARD_PASSWORD_RESET_PER_ACCOUNT", "3")),
    # Roster exports (docs/registry.md, "Export"): a subtree of at most EXPORT_INLINE_MEMBERS members (the
    # largest commune, with room) is written in the request; a larger one by the job worker, in chunks of
    # EXPORT_CHUNK_MEMBERS members, into a file its starter downloads for JOB_FILE_TTL_SECONDS.
    "EXPORT_INLINE_MEMBERS": int(os.environ.get("PARTYCARD_EXPORT_INLINE_MEMBERS", "20000")),
    "EXPORT_CHUNK_MEMBERS": int(os.environ.get("PARTYCARD_EXPORT_CHUNK_MEMBERS", "25000")),
    # Jobs' result files and scratch: private (not under MEDIA_ROOT), deleted by the sweep once expired.
    "JOB_FILES_DIR": Path(os.environ.get("PARTYCARD_JOB_FILES_DIR", str(VAR_DIR / "job-files"))),
    "JOB_FILE_TTL_SECONDS": float(os.environ.get("PARTYCARD_JOB_FILE_TTL_SECONDS", str(24 * 3600))),
    # The most members one offline review workbook or paper form holds (docs/review.md): a larger
    # organisation is reviewed cell by cell.
    "REVIEW_MAX_MEMBERS": int(os.environ.get("PARTYCARD_REVIEW_MAX_MEMBERS", "5000")),
    # The national population database (docs/population.md): its API's address and bearer token, the rate
    # it allows in records per second, IDs per batch request, seconds to wait for an answer, retries of a
    # request before the check stops (resumable), and members per chunk of the check job.
    "POPULATION_API": {
        "url": os.environ.get("PARTYCARD_POPULATION_URL", "http://127.0.0.1:8790"),
        "token": os.environ.get("PARTYCARD_POPULATION_TOKEN", ""),
        "rate": float(os.environ.get("PARTYCARD_POPULATION_RATE", "10000")),
        "batch": int(os.environ.get("PARTYCARD_POPULATION_BATCH", "1000")),
        "timeout": float(os.environ.get("PARTYCARD_POPULATION_TIMEOUT", "5")),
        "max_retries": int(os.environ.get("PARTYCARD_POPULATION_RETRIES", "5")),
        "chunk": int(os.environ.get("PARTYCARD_POPULATION_CHUNK", "5000")),
    },
}

# The largest request body Django reads into memory (form fields and API bodies; uploaded files are
# streamed to disk and not counted): over it a page answers 413 and the API a 413 problem (docs/api.md).
# Django's own default, set here so that it is documented: the largest legitimate API body, a bulk
# transition of 50,000 case ids, is under 1 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Django's Tasks framework (the django-tasks backport on Django 5.2) with the database-backed queue: the
# web app enqueues jobs, ``partycard db_worker`` runs them (``make run`` starts one; docs/exchange.md).
TASKS: dict[str, dict[str, object]] = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# LOGGING: built at the end of this file (the observability block).

# --- issue 19: observability (partycard.ops, docs/observability.md) ---
from partycard.ops.logs import logging_config  # noqa: E402 - the standard library only, no Django


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


PARTYCARD.update(
    {
        # /readyz: the longest the answer waits for its checks (seconds), the database check's statement
        # timeout (ms), and the checks whose failure makes it 503 (the others are only reported).
        "READY_TIMEOUT": float(os.environ.get("PARTYCARD_READY_TIMEOUT", "2")),
        "READY_DB_STATEMENT_MS": int(os.environ.get("PARTYCARD_READY_DB_STATEMENT_MS", "500")),
        "READY_REQUIRED": _csv(
            os.environ.get("PARTYCARD_READY_REQUIRED", "database,worker,trust_list,key_store")
        ),
        # A worker is alive if it beat within this many sweep periods (JOB_SWEEP_SECONDS); a silent worker's
        # heartbeat row is deleted after HEARTBEAT_KEEP_SECONDS.
        "HEARTBEAT_STALE_PERIODS": float(os.environ.get("PARTYCARD_HEARTBEAT_STALE_PERIODS", "3")),
        "HEARTBEAT_KEEP_SECONDS": float(os.environ.get("PARTYCARD_HEARTBEAT_KEEP_SECONDS", str(24 * 3600))),
        # The trust list is also "not ready" once older than this (seconds since issued; 0: only its own
        # next update counts).
        "TRUST_LIST_MAX_AGE_SECONDS": float(os.environ.get("PARTYCARD_TRUST_LIST_MAX_AGE_SECONDS", "0")),
        # /metrics: the client networks allowed (the real client's address, core.client_address), and a
        # bearer token that is allowed from anywhere (empty: none).
        "METRICS_ALLOW": _csv(os.environ.get("PARTYCARD_METRICS_ALLOW", "127.0.0.1/32,::1/128")),
        "METRICS_TOKEN": os.environ.get("PARTYCARD_METRICS_TOKEN", ""),
    }
)
# The probes stay on plain HTTP under SECURE_SSL_REDIRECT (prod.py): a load balancer probes the app server
# on the loopback. (ops.middleware.ProbeMiddleware answers them before SecurityMiddleware anyway.)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Logs: plain text here, JSON lines with PARTYCARD_LOG_FORMAT=json (prod.py's default); PARTYCARD_LOG_DIR
# adds a JSON file per process there (the test run's personal-data check, tests/logcheck.py).
LOGGING = logging_config(
    log_format=os.environ.get("PARTYCARD_LOG_FORMAT", "plain"),
    log_dir=os.environ.get("PARTYCARD_LOG_DIR", ""),
)

# --- issue 19: tasks on a broker ---
# Where the jobs' tasks wait for a worker (docs/operations.md, "Tasks on a broker (RQ on Redis)"):
# "db" (the default): django-tasks-db, in the database itself, run by ``partycard db_worker``; nothing else
# to run. "rq": RQ on Redis (django-tasks-rq), run by ``partycard rq_worker`` on any number of hosts. Either
# way the database stays the truth of a job (its chunks and lease, jobs/runner.py): the broker only carries
# "run job N", and the sweep every worker runs sends again what the broker lost (jobs_redeliver).
TASKS_BACKEND = os.environ.get("PARTYCARD_TASKS_BACKEND", "db")
# The queue the tasks go to (a Redis list ``rq:queue:<name>`` on RQ); each worker listens to it.
TASKS_QUEUE = os.environ.get("PARTYCARD_TASKS_QUEUE", "default")
# The Redis the broker lives in. A connect timeout, so that an enqueue while Redis is unreachable fails in
# seconds (and the page says so) instead of hanging the request.
REDIS_URL = os.environ.get("PARTYCARD_REDIS_URL", "redis://127.0.0.1:6379/0")
if "socket_connect_timeout" not in REDIS_URL:
    REDIS_URL += ("&" if "?" in REDIS_URL else "?") + "socket_connect_timeout=5"
PARTYCARD["TASKS_BACKEND"] = TASKS_BACKEND
PARTYCARD["TASKS_QUEUE"] = TASKS_QUEUE
# A queued job whose task the broker no longer holds (Redis restarted without its data, or down when the job
# was made) is enqueued again by the sweep once it has waited this long since its last enqueue.
PARTYCARD["JOB_REDELIVER_SECONDS"] = float(os.environ.get("PARTYCARD_JOB_REDELIVER_SECONDS", "60"))
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [TASKS_QUEUE]}}
elif TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [TASKS_QUEUE]}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"PARTYCARD_TASKS_BACKEND must be 'db' or 'rq', not {TASKS_BACKEND!r}")
# django-rq's queues (read only with the "rq" backend). No RQ time limit on a job (-1): a job is as long as
# its chunks, hours for a national batch, and its lease (not RQ) tells a dead runner from a slow one.
# "default" too, whatever the queue's name: django-tasks-rq looks a task up through that queue's connection.
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1} for name in {"default", TASKS_QUEUE}}

# --- issue 19: read replicas and PgBouncer ---
# docs/operations.md, "Read replicas and PgBouncer". A connection kept across requests (CONN_MAX_AGE) is
# checked before a new request reuses it: the first request after a PostgreSQL restart reconnects instead
# of failing on the dead connection.
if not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Reads the replica may serve fall back to the primary when it is this far behind (seconds), and after a
# failure to reach it the replica is left alone this long before it is tried again.
PARTYCARD["REPLICA_MAX_LAG_SECONDS"] = float(os.environ.get("PARTYCARD_REPLICA_MAX_LAG_SECONDS", "30"))
PARTYCARD["REPLICA_RETRY_SECONDS"] = float(os.environ.get("PARTYCARD_REPLICA_RETRY_SECONDS", "5"))
# A job's runner that loses the database mid-chunk reconnects and retries the chunk this long (seconds)
# before it leaves the job to the lease sweep (jobs/runner.py); less than JOB_LEASE_SECONDS.
PARTYCARD["JOB_RECONNECT_SECONDS"] = float(os.environ.get("PARTYCARD_JOB_RECONNECT_SECONDS", "60"))
if os.environ.get("DATABASE_REPLICA_URL"):
    # A hot standby (pg_basebackup -R): reports, lists and verification look-ups read from it
    # (core/db_router.py); writes, and the officer who just wrote, stay on the primary.
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("PARTYCARD_REPLICA_CONNECT_TIMEOUT", "2")
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # the test runner makes no database on a standby
    DATABASE_ROUTERS = ["partycard.core.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "partycard.core.db_router.ReplicaMiddleware",  # read-your-writes: the primary's WAL position
    )
if os.environ.get("PARTYCARD_PGBOUNCER") == "1":
    # The database URLs point at PgBouncer in transaction mode: a server connection is the client's for one
    # transaction only. So no server-side cursors (a WITH HOLD cursor outlives the transaction: the next one
    # may run on another server connection, where it does not exist), and no prepared statements (psycopg
    # prepares a query on its 5th run; the next transaction's server connection has no such statement;
    # PgBouncer >= 1.21 can track them with max_prepared_statements, Debian 12 ships 1.18).
    for _alias in DATABASES.values():
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True
        _alias.setdefault("OPTIONS", {})["prepare_threshold"] = None

# --- issue 19: the stateless verifier ---
# Where the verify endpoint's verifier reads the revocation status lists (docs/ecard.md, "The stateless
# verifier"): "database" (the authoritative lists, each list's version re-read at most every 2 s) or
# "files" (the signed tokens `partycard status-lists publish` writes into PARTYCARD_PKI_DIR/status/,
# verified like an offline reader's, re-read when a file changes): a verifier host without the database.
PARTYCARD["VERIFY_STATUS_SOURCE"] = os.environ.get("PARTYCARD_VERIFY_STATUS_SOURCE", "database")
# How often (seconds) the "files" source looks at the folder for a changed token (one scandir).
PARTYCARD["VERIFY_STATUS_FILES_CHECK"] = float(os.environ.get("PARTYCARD_VERIFY_STATUS_FILES_CHECK", "1"))
# The public verifier routes (no cookie, no login): partycard.wsgi serves these exact paths through the
# middleware minus the browser's (partycard.core.handlers), with the URLconf below.
PARTYCARD["STATELESS_ROUTES"] = r"/api/v1/(?:verify|trust-list|status-lists/[0-9]{1,10})"
PARTYCARD["STATELESS_URLCONF"] = "partycard.api.stateless_urls"
