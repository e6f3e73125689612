"""Settings shared by every environment. Every knob comes from the environment (django-environ).

local.py, test.py and production.py only change defaults; nothing exists in production alone.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("PLUMBLINE_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "qualifications",
    "marketplace",
    "labeling",
    "payments",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.PlumblineCSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMustUseMFAMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# A persistent connection killed by a failover or restart is replaced at the next request
# instead of failing it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
_is_postgres = DATABASES["default"]["ENGINE"].endswith("postgresql")
if _is_postgres and not env.bool("DATABASE_JIT", default=False):
    # Short OLTP queries (job board, claims) pay tens of milliseconds for JIT compilation and
    # gain nothing from it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if _is_postgres and env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # Lets core.rawsql.hot_cursor prepare the few hand-written statements of the task cycle
    # (token lookup, claim, submit) once per connection. The ORM's cursors bind client-side and
    # never prepare. Turn off behind a pooler that cannot carry prepared statements (PgBouncer
    # in transaction mode before 1.21), as Django does by default.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "DJANGO_PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("PLUMBLINE_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Private files (credential evidence, exports) live outside any URL-served path.
PRIVATE_STORAGE_ROOT = env.path("PLUMBLINE_PRIVATE_ROOT", default=BASE_DIR / "var" / "private")

# --- Email -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Plumbline <no-reply@plumbline.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Cache (allauth rate limits, TOTP replay protection) -----------------------------------------
# "local": this process only, for short-lived verdicts that every process may recompute (no
# network round trip on hot paths).
LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"}
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://"), "local": LOCAL_CACHE}

# --- allauth -----------------------------------------------------------------------------------
SITE_ID = 1
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupChoiceForm"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Plumbline] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
# Brute-force protection: by default 10 failed logins per IP a minute and 5 per account in 5
# minutes; other limits keep allauth's defaults.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("PLUMBLINE_LOGIN_FAILED_RATE", default="10/m/ip,5/300s/key"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Plumbline"
# Accept the code of the previous and next 30-second step too (RFC 6238, 5.2): with no
# tolerance a code typed as the step turns over is refused. allauth marks a used code for the
# whole window, so a code still works only once.
MFA_TOTP_TOLERANCE = 1
LOGIN_REDIRECT_URL = "dashboard"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"

# --- REST framework ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with a body-size limit and a nesting guard (core/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonRateThrottle",
        "core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("PLUMBLINE_THROTTLE_ANON", default="60/min"),
        "user": env("PLUMBLINE_THROTTLE_USER", default="1200/min"),
    },
    "EXCEPTION_HANDLER": "core.api.exception_handler.plumbline_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Plumbline API",
    "DESCRIPTION": "Expert human feedback marketplace: projects, tasks, annotations, quality, pay.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiToken": {"type": "http", "scheme": "bearer", "description": "Personal API token"}
        }
    },
    # Swagger UI from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_error_responses",
    ],
}

# --- Celery ---------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
# The longest task may run 30 minutes (hard limit) and retries back off up to 1 hour; the
# broker must not redeliver a task that is still running, so the visibility timeout is 2 hours.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("PLUMBLINE_MAX_BODY_BYTES", default=5 * 1024 * 1024)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Plumbline domain knobs -----------------------------------------------------------------------
# Platform-wide fair-pay floor, in minor units per hour of real work (project currency).
PLUMBLINE_MIN_HOURLY_RATE_MINOR = env.int("PLUMBLINE_MIN_HOURLY_RATE_MINOR", default=1500)
PLUMBLINE_PLATFORM_FEE_BPS = env.int("PLUMBLINE_PLATFORM_FEE_BPS", default=1000)
PLUMBLINE_FAIR_PAY_RESERVE_BPS = env.int("PLUMBLINE_FAIR_PAY_RESERVE_BPS", default=2000)
# Database connections the earnings sweep posts on at once (disjoint groups of projects).
PLUMBLINE_SETTLEMENT_CONNECTIONS = env.int("PLUMBLINE_SETTLEMENT_CONNECTIONS", default=2)
PLUMBLINE_INVITATION_DAYS = env.int("PLUMBLINE_INVITATION_DAYS", default=7)
PLUMBLINE_REQUIRE_STAFF_MFA = env.bool("PLUMBLINE_REQUIRE_STAFF_MFA", default=True)
PLUMBLINE_DEFAULT_LEASE = timedelta(minutes=env.int("PLUMBLINE_LEASE_MINUTES", default=30))
# How long a passed "may this expert work on this project" check is remembered between claims
# (labeling.services.work); 0 asks every time. Suspension and budget stops are never cached.
PLUMBLINE_CLAIM_VERDICT_SECONDS = env.int("PLUMBLINE_CLAIM_VERDICT_SECONDS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# --- qualifications --------------------------------------------------------------------------
# Largest accepted credential evidence upload (PDF/PNG/JPEG, type sniffed from the content).
PLUMBLINE_EVIDENCE_MAX_BYTES = env.int("PLUMBLINE_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "CredentialKindEnum": "qualifications.models.credentials.Credential.Kind",
        "CredentialStatusEnum": "qualifications.models.credentials.Credential.Status",
        "QuestionKindEnum": "qualifications.models.tests.Question.Kind",
        "QualificationSourceEnum": "qualifications.models.grants.Qualification.Source",
    }
)

# --- payments ------------------------------------------------------------------------------------
# Stripe. The defaults point at localstripe (payments/testing/localstripe_server.py) with test-mode
# placeholder keys: nothing here can reach the real Stripe API until production sets all four.
STRIPE_API_KEY = env("STRIPE_API_KEY", default="sk_test_plumbline_localstripe")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="pk_test_plumbline_localstripe")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_plumbline_localstripe_test")
# Webhooks signed longer ago than this are refused (replay protection), seconds.
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Longest Celery retry delay for Stripe calls; must stay below CELERY_VISIBILITY_TIMEOUT.
PAYMENTS_RETRY_BACKOFF_MAX = env.int("PAYMENTS_RETRY_BACKOFF_MAX", default=600)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {"FundingStatusEnum": "payments.models.funding.FundingStatus"}
)

# --- labeling ------------------------------------------------------------------------------------
# Suspend an expert from a project when P(gold accuracy < the project's threshold) reaches this.
PLUMBLINE_SUSPEND_PROBABILITY = env.float("PLUMBLINE_SUSPEND_PROBABILITY", default=0.95)
# Largest items file accepted for import.
PLUMBLINE_IMPORT_MAX_BYTES = env.int("PLUMBLINE_IMPORT_MAX_BYTES", default=1024 * 1024 * 1024)

# --- labeling webhooks ---------------------------------------------------------------------------
# Deliver to private, loopback and link-local addresses (SSRF guard off). Only for tests and demo.
PLUMBLINE_WEBHOOKS_ALLOW_PRIVATE = env.bool("PLUMBLINE_WEBHOOKS_ALLOW_PRIVATE", default=False)
# Seconds to wait before each retry of a failed delivery; the sum spans ~3 days (9 attempts).
PLUMBLINE_WEBHOOK_RETRY_DELAYS = env.list(
    "PLUMBLINE_WEBHOOK_RETRY_DELAYS",
    cast=int,
    default=[30, 120, 600, 3600, 21600, 43200, 86400, 86400],
)
# Retries due sooner than this are queued with a Celery countdown; later ones are re-queued by
# the every-minute sweeper (labeling.tasks.webhook_deliveries_sweep). Below the visibility timeout.
PLUMBLINE_WEBHOOK_COUNTDOWN_MAX = env.int("PLUMBLINE_WEBHOOK_COUNTDOWN_MAX", default=600)
PLUMBLINE_WEBHOOK_TIMEOUT = env.float("PLUMBLINE_WEBHOOK_TIMEOUT", default=10.0)
PLUMBLINE_WEBHOOK_QUEUE = env("PLUMBLINE_WEBHOOK_QUEUE", default="celery")
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "ReviewReferenceKindEnum": [
            ("instruction", "Instruction section"),
            ("gold_item", "Check item"),
        ],
        "WebhookEventTypeEnum": "labeling.webhooks.events.EVENT_CHOICES",
        "AppealDecisionEnum": [("uphold", "Uphold"), ("overturn", "Overturn")],
    }
)

# --- payments: earnings, fair pay, payouts -------------------------------------------------------
# Smallest payable balance paid out (weekly batch and 'pay me now'), minor units.
PLUMBLINE_PAYOUT_MINIMUM_MINOR = env.int("PLUMBLINE_PAYOUT_MINIMUM_MINOR", default=2000)
# Alert the company when the fair-pay reserve left falls to this share of it (basis points).
PLUMBLINE_FAIR_PAY_RESERVE_ALERT_BPS = env.int("PLUMBLINE_FAIR_PAY_RESERVE_ALERT_BPS", default=2500)
# Celery queue of the money tasks enqueued by payments (earnings, spend checks, payouts).
PAYMENTS_QUEUE = env("PAYMENTS_QUEUE", default="celery")
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "PayoutStatusEnum": "payments.models.payouts.PayoutStatus",
        "PayoutAccountStatusEnum": "payments.models.payouts.PayoutAccountStatus",
        "EscrowRefundStatusEnum": "payments.models.payouts.RefundStatus",
        "EntryKindEnum": "payments.models.ledger.EntryKind",
        "LedgerAccountKindEnum": "payments.models.ledger.LedgerAccountKind",
    }
)

# --- labeling import/export -----------------------------------------------------------------------
# Larger exports than this are refused as a direct download and run as a Celery job instead.
PLUMBLINE_EXPORT_SYNC_MAX_ROWS = env.int("PLUMBLINE_EXPORT_SYNC_MAX_ROWS", default=100_000)
# Celery queue for imports and exports (empty: the default queue).
PLUMBLINE_LABELING_IO_QUEUE = env("PLUMBLINE_LABELING_IO_QUEUE", default="") or None
