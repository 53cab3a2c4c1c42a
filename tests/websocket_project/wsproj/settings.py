"""Settings of the project the WebSocket tests serve.

``RUNTIME_SETTINGS_JSON`` holds a JSON object whose entries override these settings.
"""
import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "websocket-project-test-key"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_bolt"]
MIDDLEWARE = []
ROOT_URLCONF = "wsproj.urls"
DATABASES = {}
USE_TZ = True
TIME_ZONE = "UTC"

BOLT_CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

_overrides = json.loads(os.environ.get("RUNTIME_SETTINGS_JSON") or "{}")
if not isinstance(_overrides, dict):
    raise ValueError("RUNTIME_SETTINGS_JSON must hold a JSON object")
globals().update(_overrides)
