"""Settings of the project the production-runtime tests serve.

Each test picks its own ``BOLT_*`` values: ``RUNTIME_SETTINGS_JSON`` holds a JSON
object whose entries are set here as settings, overriding the defaults below.
"""
import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "runtime-project-test-key"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["django_bolt"]
MIDDLEWARE = []
ROOT_URLCONF = "rtproj.urls"
DATABASES = {}
USE_TZ = True
TIME_ZONE = "UTC"

_overrides = json.loads(os.environ.get("RUNTIME_SETTINGS_JSON") or "{}")
if not isinstance(_overrides, dict):
    raise ValueError("RUNTIME_SETTINGS_JSON must hold a JSON object")
globals().update(_overrides)
