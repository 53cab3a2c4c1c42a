"""Make the ``django_bolt`` package importable when pytest runs from ``python/``."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
