"""Django settings for the peers: the example project's own settings (same apps,
middleware and database), without django_bolt, which is not installed in
bench/.venv and serves nothing here."""
from testproject.settings import *  # noqa: F401,F403
from testproject.settings import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_bolt"]

# Django Ninja's routes; FastAPI has its own routing and ignores this.
ROOT_URLCONF = "ninja_app.urls"
