"""Settings of the neutral benchmark project: production-like (DEBUG off), SQLite.

BENCH_DB names the database file (the runner makes a fresh one per run).
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# The example project's development key, so that one benchmark token opens both.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-insecure-testproject-key-do-not-use-in-production")
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_bolt",
    "benchapp",
]

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "neutral.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DB") or BASE_DIR / "bench.sqlite3",
    }
}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# GET /static/admin/css/base.css: Django's admin stylesheet, from a static root holding
# only the admin's files (as `collectstatic` of the admin would make it). The original
# serves STATIC_ROOT only, with DEBUG off.
STATIC_URL = "static/"
STATIC_ROOT = Path(__import__("django").__file__).resolve().parent / "contrib" / "admin" / "static"
