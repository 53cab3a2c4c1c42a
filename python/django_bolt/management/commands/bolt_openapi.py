"""``python manage.py bolt_openapi``: write the project's OpenAPI document.

The document is the one ``runbolt`` serves at ``<docs path>/openapi.json``, built from
the same configuration (the first API's ``openapi_config``)::

    python manage.py bolt_openapi                        # JSON on stdout
    python manage.py bolt_openapi --format yaml -o openapi.yaml

When every API disables its docs (``openapi_config=False``) the default configuration
describes them, and a note on stderr says so.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
from django.core.management.base import BaseCommand, CommandError

from ...openapi.config import default_openapi_config
from ...openapi.plugins import YamlRenderPlugin
from ...openapi.schema_generator import SchemaGenerator
from ..project import load_project_api


class Command(BaseCommand):
    help = "Write the project's OpenAPI document as JSON or YAML."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("json", "yaml"), default="json", help="Output format (default json).")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        parser.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2).")

    def handle(self, *args, **opts):
        if opts["indent"] < 0:
            raise CommandError(f"--indent {opts['indent']}: use 0 or more spaces")
        project = load_project_api(admin=False, docs=False)
        config = project.docs
        if config is None:
            self.stderr.write("Every API has openapi_config=False: describing them with the default configuration.")
            config = default_openapi_config()
        schema = SchemaGenerator(project.api, config).generate().to_schema()
        if opts["format"] == "yaml":
            text = YamlRenderPlugin().render(schema, "")
        else:
            text = msgspec.json.format(msgspec.json.encode(schema), indent=opts["indent"]).decode() + "\n"
        if opts["output"]:
            path = Path(opts["output"])
            try:
                path.write_text(text)
            except OSError as exc:
                raise CommandError(f"--output {path}: cannot write it ({exc.strerror})") from exc
            self.stderr.write(f"Wrote the OpenAPI document to {path}")
        else:
            self.stdout.write(text, ending="")
