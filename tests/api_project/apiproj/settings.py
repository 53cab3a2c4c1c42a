"""Settings of the project serving routers, mounts, views, pagination and cookies."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "api-project-test-key-of-at-least-32-bytes"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_bolt",
    "catalog",
]

MIDDLEWARE = []
ROOT_URLCONF = "apiproj.urls"

# API_PROJECT_DB points the project at a throwaway SQLite file.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("API_PROJECT_DB") or BASE_DIR / "db.sqlite3",
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
