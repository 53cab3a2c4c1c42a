"""Settings of the project that exposes runtime behaviour to the integration tests."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "semantics-project-test-key"
DEBUG = True
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django_bolt",
    "probe",
]

MIDDLEWARE = []
ROOT_URLCONF = "semproj.urls"

# SEMANTICS_DB points the project at a throwaway SQLite file.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SEMANTICS_DB") or BASE_DIR / "db.sqlite3",
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
