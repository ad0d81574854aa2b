"""SafeTrack settings, read from the environment with safe local defaults.

Unset DATABASE_URL means SQLite in the project folder; unset REDIS_URL means a broker on the local
filesystem, so `make run` works on a machine with nothing but Python. Production is the same file with
DEBUG off and the environment filled in (see README.md, Configuration).
"""

import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from safetrack import task_names
from safetrack.queues import DELIVERY_QUEUE, ESCALATION_QUEUE

from .env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_DIR = Path(envstr("SAFETRACK_LOCAL_DIR", str(BASE_DIR / ".local")))

DEBUG = envbool("DEBUG", True)
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "accounts",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "safetrack.middleware.RejectNulBytesMiddleware",
    "safetrack.middleware.StripControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.ProductionTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safetrack.urls"
WSGI_APPLICATION = "safetrack.wsgi.application"
ASGI_APPLICATION = "safetrack.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.memberships",
                "incidents.context_processors.stop_work_and_inbox",
            ],
        },
    },
]

# Database: SQLite locally, PostgreSQL (psycopg 3) when DATABASE_URL is set.
DATABASE_URL = envstr("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "incidents.views.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Failed logins: lock the account+client pair after 5 failures for 30 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "safetrack.middleware.axes_username"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_RESET_ON_SUCCESS = True
# axes prints "AXES: BEGIN ..." in every process that starts Django; `make run` keeps it to the web server.
AXES_VERBOSE = envbool("AXES_VERBOSE", True)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
# Attachments are never served from a public URL: they go through an access-checked view.
MEDIA_URL = "/media-not-public/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = envint("ATTACHMENT_MAX_COUNT", 5)
# What a phone camera makes (a 6300x6300 PNG of 154 KB took 310 MB to decode): refused from its header.
ATTACHMENT_MAX_PIXELS = envint("ATTACHMENT_MAX_PIXELS", 24_000_000)
# Images decoded at once per web process; the rest wait (bounds memory under parallel uploads).
ATTACHMENT_DECODE_CONCURRENCY = envint("ATTACHMENT_DECODE_CONCURRENCY", 2)
# Reports saved on a phone without signal: refused when the phone says they were saved longer ago than
# this (a wrong clock, not a real draft), and how much a draft's photos may weigh on the phone.
OFFLINE_DRAFT_MAX_AGE_DAYS = envint("OFFLINE_DRAFT_MAX_AGE_DAYS", 30)
OFFLINE_DRAFT_MAX_BYTES = envint("OFFLINE_DRAFT_MAX_BYTES", 20 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis: the Celery broker and the shared cache (rate limits, lockouts) when REDIS_URL is set.
REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "safetrack.cache.TolerantRedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(LOCAL_DIR / "cache"),
        }
    }
    _broker_dir = LOCAL_DIR / "broker"
    # "localhost" only names the (unused) host, so kombu does not warn that none was given.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # kombu keeps its exchange table in ./control unless told otherwise: keep it with the rest.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Deliveries on their own queue, consumed by their own worker processes (see safetrack/queues.py).
CELERY_TASK_DEFAULT_QUEUE = ESCALATION_QUEUE
CELERY_TASK_ROUTES = {
    task_names.DELIVER_NOTIFICATION: {"queue": DELIVERY_QUEUE},
    task_names.DELIVER_NOTIFICATIONS: {"queue": DELIVERY_QUEUE},
}
SWEEP_INTERVAL_SECONDS = envint("SWEEP_INTERVAL_SECONDS", 5)
SWEEP_BATCH_SIZE = envint("SWEEP_BATCH_SIZE", 200)
# Deadlines further away than this get no ETA task yet: the sweeper queues it when the deadline comes
# within the horizon. A worker holds an ETA task unacknowledged until it runs, and Redis hands a message
# unacknowledged for longer than the visibility timeout to another worker, again and again; so no ETA
# may be further away than the visibility timeout (with a minute to spare).
ESCALATION_TIMER_HORIZON_SECONDS = envint("ESCALATION_TIMER_HORIZON_SECONDS", 1800)
if REDIS_URL and CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= ESCALATION_TIMER_HORIZON_SECONDS + 60:
    raise ImproperlyConfigured(
        "ESCALATION_TIMER_HORIZON_SECONDS must be at least a minute shorter than CELERY_VISIBILITY_TIMEOUT."
    )
if SWEEP_INTERVAL_SECONDS < 1 or SWEEP_BATCH_SIZE < 1 or ESCALATION_TIMER_HORIZON_SECONDS < 1:
    raise ImproperlyConfigured(
        "SWEEP_INTERVAL_SECONDS, SWEEP_BATCH_SIZE and ESCALATION_TIMER_HORIZON_SECONDS must be positive."
    )
CELERY_BEAT_SCHEDULE = {
    "sweep-due-reports": {
        "task": task_names.SWEEP,
        "schedule": float(SWEEP_INTERVAL_SECONDS),
        "options": {"expires": float(SWEEP_INTERVAL_SECONDS) * 2},
    },
    # Hourly; the DigestRun claim makes each production's digest go out once per week.
    "send-weekly-digests": {
        "task": task_names.SEND_WEEKLY_DIGESTS,
        "schedule": 3600.0,
        "options": {"expires": 1800.0},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(LOCAL_DIR / "celerybeat-schedule")

# Email: console locally, SMTP when EMAIL_HOST is set.
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "SafeTrack <safetrack@localhost>")

# Reports by email (`manage.py mailin`): each production's address is report+<join code>@MAILIN_DOMAIN.
# Unset (the default when DEBUG is off): no address is shown and `mailin` refuses to start.
MAILIN_DOMAIN = envstr("MAILIN_DOMAIN", "localhost" if DEBUG else "").strip().lower()
MAILIN_HOST = envstr("MAILIN_HOST", "127.0.0.1")
MAILIN_PORT = envint("MAILIN_PORT", 2525)
# A message larger than this is refused at SMTP (SIZE in EHLO, 552): five photos and a long thread fit.
MAILIN_MAX_BYTES = envint("MAILIN_MAX_BYTES", 40 * 1024 * 1024)
# Text longer than this (a thread of hundreds of messages) is refused whole rather than cut.
MAILIN_MAX_TEXT_CHARS = envint("MAILIN_MAX_TEXT_CHARS", 500_000)
# Reports by email per sender address and per production (over it: 451, the sender's server retries later).
MAILIN_SENDER_RATE = envstr("MAILIN_SENDER_RATE", "10/h")
MAILIN_PRODUCTION_RATE = envstr("MAILIN_PRODUCTION_RATE", "60/h")

# Notifications
NOTIFICATION_MAX_ATTEMPTS = envint("NOTIFICATION_MAX_ATTEMPTS", 5)
NOTIFICATION_RETRY_BASE_SECONDS = envint("NOTIFICATION_RETRY_BASE_SECONDS", 30)
# A delivery claimed longer ago than this belongs to a worker that died mid-send (longer than the
# delivery task's hard time limit, 120 s); a pending one whose task has not run this long after it was
# due had its task lost (Redis flushed, worker killed). The sweeper re-queues both.
NOTIFICATION_CLAIM_LEASE_SECONDS = envint("NOTIFICATION_CLAIM_LEASE_SECONDS", 180)
NOTIFICATION_LOST_TASK_GRACE_SECONDS = envint("NOTIFICATION_LOST_TASK_GRACE_SECONDS", 30)
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 5)
# Webhooks go to public HTTPS addresses only. Origins listed here ("http://127.0.0.1:8099") may be
# private and plain http: for a local receiver in development and tests, never in production.
WEBHOOK_PRIVATE_ALLOWLIST = envlist("WEBHOOK_PRIVATE_ALLOWLIST", [])
# Web Push (VAPID): `manage.py vapid_keys` prints a new private key; the public key is derived from it.
# Unset: the account page offers no push notifications. PUSH_SERVICE_HOSTS: the push services a browser
# subscription may point at (https host suffixes, or exact origins for a test service on this machine).
VAPID_PRIVATE_KEY = envstr("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = envstr("VAPID_SUBJECT", "mailto:safety@localhost")
PUSH_TIMEOUT_SECONDS = envint("PUSH_TIMEOUT_SECONDS", 5)
PUSH_TTL_SECONDS = envint("PUSH_TTL_SECONDS", 3600)
PUSH_SERVICE_HOSTS = envlist(
    "PUSH_SERVICE_HOSTS",
    ["fcm.googleapis.com", "updates.push.services.mozilla.com", "push.apple.com", "notify.windows.com"],
)
# Text messages (SMS) through a provider with Twilio's REST API shape (incidents/notifications/sms.py):
# POST {SMS_PROVIDER_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json with basic auth. Unset SID,
# token or sender: nobody is offered SMS. Replies ("ACK <code>") come to SITE_URL + /sms/inbound/, signed
# by the provider with the token (X-Twilio-Signature). The monthly cap is per production (the admin).
SMS_PROVIDER_URL = envstr("SMS_PROVIDER_URL", "https://api.twilio.com")
SMS_ACCOUNT_SID = envstr("SMS_ACCOUNT_SID", "")
SMS_AUTH_TOKEN = envstr("SMS_AUTH_TOKEN", "")
SMS_FROM_NUMBER = envstr("SMS_FROM_NUMBER", "")
SMS_TIMEOUT_SECONDS = envint("SMS_TIMEOUT_SECONDS", 5)
# A phone number's verification code: how long it works, how many wrong tries it takes, and how many
# codes a person may ask for (django-ratelimit rate; each code costs a message).
SMS_CODE_MAX_AGE_SECONDS = envint("SMS_CODE_MAX_AGE_SECONDS", 10 * 60)
SMS_CODE_MAX_TRIES = envint("SMS_CODE_MAX_TRIES", 5)
SMS_CODE_RATE = envstr("SMS_CODE_RATE", "5/h")
# A delivery worker that falls behind (a burst of escalations) delivers due rows in batches of this many;
# a batch that takes longer than DELIVERY_BATCH_SECONDS (a slow server) gives its untried rows back.
DELIVERY_BATCH_SIZE = envint("DELIVERY_BATCH_SIZE", 50)
DELIVERY_BATCH_SECONDS = envint("DELIVERY_BATCH_SECONDS", 30)
ACK_LINK_MAX_AGE_SECONDS = envint("ACK_LINK_MAX_AGE_SECONDS", 24 * 3600)
RECEIPT_PEPPER = envstr("RECEIPT_PEPPER", SECRET_KEY)
# The key that seals the heads of every hash-chained trail (HMAC). It must not live in the database:
# someone who can rewrite the trail's rows cannot then write matching seals. Old keys stay in the
# fallbacks so seals made before a rotation still verify.
TRAIL_SEAL_KEY = (
    envstr("TRAIL_SEAL_KEY", "") or hashlib.sha256(f"safetrack-trail-seal:{SECRET_KEY}".encode()).hexdigest()
)
TRAIL_SEAL_KEY_FALLBACKS = envlist("TRAIL_SEAL_KEY_FALLBACKS", [])

# Security headers. Production (DEBUG off) turns on everything `check --deploy` asks for.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front append to X-Forwarded-For: the client's address is the one the outermost of
# them saw (safetrack.client.client_ip), for login lockout and every rate limit alike.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Behind a proxy, rate limits and lockout key on the client's address the proxy reports, not the proxy's.
RATELIMIT_IP_META_KEY = "safetrack.client.client_ip"
# Redis down must never stop a report being filed: the limits are waived until it is back (safetrack.cache).
RATELIMIT_FAIL_OPEN = True
AXES_CLIENT_IP_CALLABLE = "safetrack.client.client_ip"
# Members: filings per person, stop-work calls per person and production; password-reset emails per address.
MEMBER_FILING_RATE = envstr("MEMBER_FILING_RATE", "10/m")
STOP_WORK_RATE = envstr("STOP_WORK_RATE", "3/h")
PASSWORD_RESET_RATE = envstr("PASSWORD_RESET_RATE", "3/h")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Error records of django.request carry the request (and so the client's address) to every handler;
    # anonymous reporters must not be traceable through logs, so the request is dropped from records.
    "filters": {"no_request": {"()": "safetrack.logging.DropRequestFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_request"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines would carry anonymous reporters' paths and addresses: keep them out.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False, "filters": ["no_request"]},
    },
}
