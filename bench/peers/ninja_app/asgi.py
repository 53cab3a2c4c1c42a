"""ASGI entry point for uvicorn: `uvicorn ninja_app.asgi:application`."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
application = get_asgi_application()
