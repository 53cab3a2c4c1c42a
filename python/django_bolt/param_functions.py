"""The marker factories under the import path older code uses.

``from django_bolt.param_functions import Query`` and
``from django_bolt.params import Query`` give the same function; see
``django_bolt.params`` for what each marker means.
"""

from .params import Body, Cookie, Depends, File, Form, Header, Path, Query

__all__ = ["Query", "Path", "Body", "Header", "Cookie", "Form", "File", "Depends"]
