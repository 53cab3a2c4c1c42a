"""A project whose own test suite uses django_bolt's TestClient, run in parallel."""
SECRET_KEY = "parallel-test-project-key-0123456789abcdef"
DEBUG = False
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_bolt", "parallelapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
