#!/usr/bin/env python
"""Command-line entry point of the project serving routers, views, pagination and cookies."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiproj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
