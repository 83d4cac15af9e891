"""Settings of cmplatform, read from the environment only (see docs/configuration.md).

With no environment at all (apart from ``DEBUG=1`` or a ``SECRET_KEY``) the platform runs in
the *embedded* mode: SQLite under ``var/``, landing zone on local disk, local-memory cache,
in-process channel layer and a Celery broker kept in files under ``var/`` (no server needed).
``DATABASE_URL``, ``REDIS_URL`` and ``LANDING_S3_BUCKET`` switch each part to its production
counterpart (MySQL/Aurora, Redis, S3).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from cmplatform.lib import env
from cmplatform.lib.database import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env.path("CMP_VAR_DIR", BASE_DIR / "var")

# --- Core ------------------------------------------------------------------------------------
DEBUG = env.boolean("DEBUG", False)
SECRET_KEY = env.secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) is required unless DEBUG is on. "
            "deploy/quickstart.sh writes one to var/secret_key for the embedded mode."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-only-used-when-debug-is-on"  # noqa: S105
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS", [])

# Served over HTTPS behind a load balancer in production; the embedded quick start sets
# HTTPS=false because it serves plain HTTP on localhost.
HTTPS = env.boolean("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes speak plain HTTP
BEHIND_TLS_PROXY = env.boolean("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "channels",
    "cmplatform.core",
    "compliance",
    "dedupe",
    "ingestion",
    "integrations",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cmplatform.lib.replica.ReadYourWritesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "cmplatform.urls"
WSGI_APPLICATION = "cmplatform.wsgi.application"
ASGI_APPLICATION = "cmplatform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.dashboard",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
DATABASE_URL = env.optional("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'cmplatform.sqlite3'}"
DATABASES = {
    "default": database_settings(
        DATABASE_URL, conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, Celery broker -----------------------------------------------------
REDIS_URL = env.optional("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.string("CACHE_KEY_PREFIX", "cmp"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.string("CHANNEL_PREFIX", "cmp")},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Longer than the longest task time limit, so a slow chunk is not redelivered while it
        # still runs (acks_late + Redis visibility timeout).
        "visibility_timeout": 4 * 3600,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # In-process: live progress reaches browsers when the worker runs inside the web process,
    # which is what `manage.py serve` does in the embedded mode.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "cmplatform.lib.channel_layer.ThreadSafeInMemoryChannelLayer"}
    }
    # Kombu's filesystem transport keeps the queue in files under var/: durable across
    # restarts, shared by every process on the machine, no server to run.
    CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_URL = "filesystem://localhost//"
    # The same transport writing each message file atomically (see the module).
    CELERY_BROKER_TRANSPORT = "cmplatform.lib.celery_filesystem:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULTS_DIR = VAR_DIR / "celery" / "results"
    CELERY_RESULT_BACKEND = f"file://{CELERY_RESULTS_DIR}"

CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Ingestion -------------------------------------------------------------------------------
# Rows per chunk (one transaction each) and processes normalising rows (0: in the importing
# process; the default uses every core but one share for reading and the database).
INGEST_CHUNK_ROWS = env.integer("INGEST_CHUNK_ROWS", 100_000, minimum=100)
INGEST_WORKERS = env.integer("INGEST_WORKERS", min(os.cpu_count() or 1, 4), minimum=0)

# --- Golden records --------------------------------------------------------------------------
# Match probability from which a pair is linked without a person, and from which (below that)
# it waits in the review queue; measured on the labelled demo data (bench/README.md).
DEDUPE_AUTO_MERGE_PROBABILITY = env.probability("DEDUPE_AUTO_MERGE_PROBABILITY", 0.97)
DEDUPE_REVIEW_PROBABILITY = env.probability("DEDUPE_REVIEW_PROBABILITY", 0.40)
if DEDUPE_REVIEW_PROBABILITY > DEDUPE_AUTO_MERGE_PROBABILITY:
    raise ImproperlyConfigured(
        "DEDUPE_REVIEW_PROBABILITY must not exceed DEDUPE_AUTO_MERGE_PROBABILITY."
    )

# --- Compliance ------------------------------------------------------------------------------
# Every threshold here is counsel's to sign off (../specs: COMPLIANCE.md); none is code.
# Registry data older than this blocks calls and SMS to its area code or state (31-day rule),
# with a warning from the second figure.
COMPLIANCE_REGISTRY_MAX_AGE_DAYS = env.integer("COMPLIANCE_REGISTRY_MAX_AGE_DAYS", 31, minimum=1)
COMPLIANCE_REGISTRY_WARN_DAYS = env.integer("COMPLIANCE_REGISTRY_WARN_DAYS", 25, minimum=1)
# States that keep their own DNC list (bought and loaded separately).
COMPLIANCE_STATE_LIST_STATES = tuple(
    env.string_list(
        "COMPLIANCE_STATE_LIST_STATES",
        ["CO", "FL", "IN", "LA", "MA", "MO", "OK", "PA", "TN", "TX", "WY"],
    )
)
# Whether an offer to buy a landowner's minerals counts as a telephone solicitation (DNC rules
# apply); a campaign's policy may say otherwise, set by an admin.
COMPLIANCE_TREAT_PURCHASE_OFFERS_AS_SOLICITATION = env.boolean(
    "COMPLIANCE_TREAT_PURCHASE_OFFERS_AS_SOLICITATION", True
)
# A revocation on one channel stops every channel (FCC "revoke-all"; we send no transactional
# messages, so global costs little).
COMPLIANCE_REVOKE_ALL = env.boolean("COMPLIANCE_REVOKE_ALL", True)
# Rolling frequency caps per person (all of their numbers), counted on attempts; a state cap
# (FL, OK, MD: 3 calls per 24 h) applies when stricter; 0 switches a cap off.
COMPLIANCE_MAX_CALLS_24H = env.integer("COMPLIANCE_MAX_CALLS_24H", 3, minimum=0)
COMPLIANCE_MAX_SMS_24H = env.integer("COMPLIANCE_MAX_SMS_24H", 1, minimum=0)
COMPLIANCE_MAX_CALLS_30D = env.integer("COMPLIANCE_MAX_CALLS_30D", 0, minimum=0)
COMPLIANCE_STATE_CALL_CAPS_24H = {"FL": 3, "OK": 3, "MD": 3}
# Threads (each with its own connection) a full scrub runs its id ranges on, on MySQL.
COMPLIANCE_SCRUB_WORKERS = env.integer(
    "COMPLIANCE_SCRUB_WORKERS", min(os.cpu_count() or 1, 4), minimum=1
)
# Who we are, in the auto-replies to HELP and STOP.
COMPLIANCE_SENDER_IDENTITY = env.string("COMPLIANCE_SENDER_IDENTITY", "Mineral rights offers")

# --- Storage ---------------------------------------------------------------------------------
LANDING_S3_BUCKET = env.optional("LANDING_S3_BUCKET")
if LANDING_S3_BUCKET:
    LANDING_STORAGE: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": LANDING_S3_BUCKET,
            "location": env.string("LANDING_S3_PREFIX", ""),
            "region_name": env.optional("AWS_S3_REGION_NAME"),
            "endpoint_url": env.optional("AWS_S3_ENDPOINT_URL"),
            "default_acl": None,
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }
else:
    LANDING_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "landing")},
    }
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "landing": LANDING_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Auth, i18n ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.string("DISPLAY_TIME_ZONE", "America/Chicago")  # shown to users; stored as UTC
USE_I18N = True
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Throttle counters live in the default cache (Redis in production: shared by workers).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.string("API_THROTTLE_ANON", "30/minute"),
        "user": env.string("API_THROTTLE_USER", "600/minute"),
        "login": env.string("API_THROTTLE_LOGIN", "10/minute"),
    },
    # Anonymous requests are counted per the address the client-facing proxy appended to
    # X-Forwarded-For (0 proxies: the connection's own address). Unset, DRF would count per
    # the whole header, which a client writes freely to escape the throttle.
    "NUM_PROXIES": env.integer("API_TRUSTED_PROXIES", 1 if BEHIND_TLS_PROXY else 0, minimum=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cmplatform API",
    "DESCRIPTION": "Persons, imports, priority lists and compliance checks of the source of "
    "truth. Authenticate with a token: `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI served from our own static files: no CDN needed (offline sites, strict CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get their own components: an upload's file is binary going in.
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set used by several fields (the API's compliance tags and channels).
    "ENUM_NAME_OVERRIDES": {
        "ComplianceTagEnum": "compliance.models.Tag.choices",
        "ChannelEnum": "cmplatform.core.models.Channel.choices",
    },
}
# Dashboard reads go to this database alias when READ_REPLICA_URL is set (production: an
# Aurora reader endpoint); writes and every read inside a write stay on the primary.
READ_REPLICA_URL = env.optional("READ_REPLICA_URL")
if READ_REPLICA_URL:
    DATABASES["replica"] = database_settings(
        READ_REPLICA_URL, conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["cmplatform.lib.replica.ReplicaRouter"]
# How far the replica may lag: a user reads from the primary this long after their own change,
# and cached lists are not stored this long after the data changed.
REPLICA_MAX_LAG_SECONDS = env.integer("REPLICA_MAX_LAG_SECONDS", 10, minimum=0)
# Seconds a cached priority-list page or count stays valid (imports invalidate them at once).
DASHBOARD_CACHE_SECONDS = env.integer("DASHBOARD_CACHE_SECONDS", 300, minimum=0)
# A priority-list page with look-up criteria (campaign, contact points, touches) walks the
# sort index until it fills: past this budget it searches the next window of records only and
# offers to go on (0: always window by window).
DASHBOARD_LIST_WALK_MS = env.integer("DASHBOARD_LIST_WALK_MS", 20, minimum=0)
DASHBOARD_LIST_WINDOW_ROWS = env.integer("DASHBOARD_LIST_WINDOW_ROWS", 2_500, minimum=1)

# --- Run mode (reported by /healthz) ---------------------------------------------------------
DATABASE_VENDOR = "mysql" if "mysql" in DATABASES["default"]["ENGINE"] else "sqlite"
if DATABASE_VENDOR == "sqlite" and not REDIS_URL and not LANDING_S3_BUCKET:
    RUN_MODE = "embedded"
elif DATABASE_VENDOR == "mysql" and REDIS_URL:
    RUN_MODE = "production"
else:
    RUN_MODE = "mixed"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "cmplatform.lib.log.UTCFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
