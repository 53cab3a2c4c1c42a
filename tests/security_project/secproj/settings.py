"""Settings of the security test project.

``SECURITY_PROFILE`` selects the API module (``secapp.api_<profile>``) and the
server-wide settings that go with it, so that one project directory serves every
configuration the tests need.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "security-project-django-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_bolt",
    "secapp",
]

MIDDLEWARE = []
ROOT_URLCONF = "secproj.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SECURITY_DB") or BASE_DIR / "db.sqlite3",
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PROFILE = os.environ.get("SECURITY_PROFILE", "main")
BOLT_API = [f"secapp.api_{PROFILE}:api"]

if PROFILE == "main":
    BOLT_CORS_ALLOWED_ORIGINS = ["http://global.example"]

elif PROFILE == "defaults":
    from django_bolt.auth import IsAuthenticated, JWTAuthentication
    from secapp.material import HS_SECRET

    BOLT_AUTHENTICATION_CLASSES = [JWTAuthentication(secret=HS_SECRET, algorithms=["HS256"])]
    BOLT_DEFAULT_PERMISSION_CLASSES = [IsAuthenticated()]
    BOLT_TRUSTED_PROXIES = ["127.0.0.1"]
    # The API asks for gzip compression; this setting wins and turns it off.
    BOLT_COMPRESSION = None

elif PROFILE == "zstd":
    from django_bolt.compression import CompressionConfig

    # The API asks for gzip with a 10-byte threshold; this setting wins.
    BOLT_COMPRESSION = CompressionConfig(backend="zstd", minimum_size=200, gzip_fallback=False)

elif PROFILE == "redis":
    REDIS_URL = os.environ["SECURITY_REDIS_URL"]
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    BOLT_RATE_LIMIT_BACKEND = REDIS_URL

elif PROFILE == "bad":
    if os.environ.get("SECURITY_BAD_CASE") == "global_wildcard_credentials":
        BOLT_CORS_ALLOWED_ORIGINS = ["*"]
