"""The peers' settings without any Django middleware: not how a Django project is
deployed (a new project has seven), only to measure what that middleware costs."""
from peer_settings import *  # noqa: F401,F403

MIDDLEWARE: list[str] = []
