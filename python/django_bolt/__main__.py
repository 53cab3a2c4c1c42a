"""``python -m django_bolt``: the ``django-bolt`` command."""

import sys

from .cli import main

sys.exit(main())
