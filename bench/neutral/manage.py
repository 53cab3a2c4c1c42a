#!/usr/bin/env python
"""The neutral benchmark project: one Django project that django-bolt and the original
Django-Bolt both serve unchanged (`manage.py runbolt`), so that the two are compared on
the same code."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neutral.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
