"""Make ``django_bolt`` importable when pytest runs from ``python/``, and configure Django
once for every unit test (in-memory SQLite, the auth and contenttypes apps)."""

import pathlib
import sys

import django
from django.conf import settings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

SECRET_KEY = "test-secret-key"

if not settings.configured:
    settings.configure(
        SECRET_KEY=SECRET_KEY,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
    )
    django.setup()
