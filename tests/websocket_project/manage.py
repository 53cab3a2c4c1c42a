#!/usr/bin/env python
"""Command-line entry point of the project served by the WebSocket tests."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsproj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
