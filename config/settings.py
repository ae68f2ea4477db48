"""Frontline settings: one module, every value read from the environment.

Development and production differ only by environment variables (docs/production.md shows
them), never by a second settings tree.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TESTING = env.bool("FRONTLINE_TESTING", default=False)

if DEBUG or TESTING:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production"
    )
else:
    # Production refuses to start without a real key.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "verticals",
    "events",
    "accounts",
    "visits",
    "metrics",
    "plays",
    "reports",
    "demo",
]

MIDDLEWARE = [
    # Outermost: sees every response, also those of refusals in the middlewares below.
    "core.api.envelope.APIErrorEnvelopeMiddleware",
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # user.is_verified(); then staff who signed in with a password pass TOTP (STAFF_MFA).
    "django_otp.middleware.OTPMiddleware",
    "verticals.signin.mfa.StaffSecondFactorMiddleware",
    # After LocaleMiddleware and the user: a logged-in person's own language wins.
    "verticals.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a command writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": env.cache_url("CACHE_URL")}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["default"]["BACKEND"] = "core.redis_cache.RedisCache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Seconds a page of the accounts API list is kept (accounts.list_cache); 0 turns it off.
# On only with a cache all processes share: a per-process cache would miss other processes' writes.
API_LIST_CACHE_SECONDS = env.int("API_LIST_CACHE_SECONDS", default=300 if CACHE_URL else 0)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's password backend, refusing non-superusers under PASSWORD_LOGIN=superusers.
    "verticals.signin.backends.PasswordBackend",
    # OpenID Connect (mozilla-django-oidc); answers only the provider's callback.
    "verticals.signin.backends.ProviderBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: lock a username+address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = env.bool("AXES_ENABLED", default=not TESTING)

LOGIN_URL = "admin:login"

# --- Staff sign-in (DESIGN.md "Staff sign-in"; README "Single sign-on") -------------------
# OpenID Connect is on when the issuer, client id and secret are all set; endpoints come from
# the issuer's /.well-known/openid-configuration (verticals.signin.provider).
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")
# A claim holding the person's roles, e.g. ["csm:manufacturing", "lead:agri_food", "coo"].
OIDC_ROLES_CLAIM = env.str("OIDC_ROLES_CLAIM", default="")
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=False)
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
PASSWORD_LOGIN = env.str("PASSWORD_LOGIN", default="all")
if PASSWORD_LOGIN not in ("all", "superusers"):
    raise ImproperlyConfigured(
        f"PASSWORD_LOGIN must be 'all' or 'superusers', not {PASSWORD_LOGIN!r}"
    )
STAFF_MFA = env.bool("STAFF_MFA", default=False)
OTP_TOTP_ISSUER = "Frontline"
LOGIN_REDIRECT_URL = "/pipeline/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Security (production is debug off) -------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the admin's JS reads it
CSRF_FAILURE_VIEW = "core.api.envelope.csrf_failure"  # JSON under /api/
# Content-Security-Policy (django-csp) on every response: scripts, styles and everything else
# from our own origin only, no inline script or style (docs/security.md). Images may also be
# data: URIs (the admin's and Swagger UI's icons); no page may be framed.
# The only inline attributes allowed are these of third-party admin templates, each by its hash:
# style attributes of django-import-export's export page and simple-history's history list,
# and the export page's "Select all" handler. Nothing inline of ours: our pages use files.
THIRD_PARTY_STYLE_ATTRIBUTES = ["padding: 0;", "font-weight: bold;", "border-top: 0"]
THIRD_PARTY_EVENT_HANDLERS = ["onSelectToggleChange(event)"]


def _csp_hashes(values: list[str]) -> list[str]:
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()}'"
        for value in values
    ]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_HASHES, *_csp_hashes(THIRD_PARTY_STYLE_ATTRIBUTES)],
        "script-src-attr": [UNSAFE_HASHES, *_csp_hashes(THIRD_PARTY_EVENT_HANDLERS)],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe these over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Feeds -----------------------------------------------------------------------------
# Feed rows dated before today (Asia/Shanghai) minus this many days are refused at ingest;
# on PostgreSQL older raw rows are dropped by partition (the daily status keeps the history).
FEED_RETENTION_DAYS = env.int("FEED_RETENTION_DAYS", default=400)

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured: tasks run in-process so a fresh machine needs no services.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The queue tasks are sent to (and a worker started with -Q NAME consumes): one installation's
# workers, or one test's, keep to their own queue on a shared Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `Authorization: Token KEY` for systems (keys stored hashed; see verticals.api.auth).
        "verticals.api.auth.APITokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "verticals.api.auth.TokenWriteAllowed",
        "verticals.api.auth.SingleValuedQueryParameters",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["verticals.api.auth.APIRateThrottle"],
    # Per API key (`token`), per session user (`user`), per address when anonymous (`anon`),
    # and failed token look-ups per address (`auth_failure`).
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_THROTTLE_TOKEN", default="1200/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        # Failed token authentications per client address, checked before the key is looked up.
        "auth_failure": env.str("API_THROTTLE_AUTH_FAILURE", default="20/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.StrictJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    # Dates are YYYY-MM-DD only (what the schema says), not every ISO 8601 form.
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Frontline API",
    "DESCRIPTION": (
        "Account health, usage feeds, verticals and visits of Frontline. "
        "Authenticate with `Authorization: Token KEY` (keys from `manage.py create_api_token`) "
        "or an admin session. Everything is scoped to the caller's verticals. Errors answer "
        '`{"errors": [{"field": ..., "reason": ...}]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "accounts.models.Stage",
        "HealthColorEnum": "metrics.models.HealthColor",
        "SizeTierEnum": "accounts.models.SizeTier",
        "VisitTypeEnum": "visits.models.VisitType",
        "SentimentEnum": "visits.models.Sentiment",
        "TriggerEnum": "plays.triggers.Trigger",
        "CTAStatusEnum": "plays.models.CTAStatus",
    },
}

# --- Email ------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="frontline@localhost")
FRONTLINE_BASE_URL = env.str("FRONTLINE_BASE_URL", default="http://127.0.0.1:8000")

# --- Webhooks (events/, docs/events.md) ---------------------------------------------------
# Seconds to wait before each retry of a delivery that was not answered 2xx; then it fails.
WEBHOOK_RETRY_SCHEDULE = [
    int(s)
    for s in env.list(
        "WEBHOOK_RETRY_SCHEDULE", default=["10", "60", "300", "1800", "7200", "21600", "86400"]
    )
]
# Receivers on loopback/private addresses, and plain-http receivers: off unless set to 1.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
# Events whose deliveries are all done (delivered or failed) for this many days are deleted with
# their deliveries and attempts by the daily `events.prune` (docs/events.md "Retention").
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=30)

# --- Logging: one line per event to stdout ---------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"},
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
