"""Serializers: msgspec structs with validators, computed fields, nested
serializers, output control and Django model support.

    from typing import Annotated
    from django_bolt.serializers import Serializer, field, field_validator, computed_field, Email

    class SignUp(Serializer, rename="camel"):
        user_name: str
        email: Email
        password: str = field(write_only=True)

        @field_validator("email")
        def lower(cls, value):
            return value.lower()

        @computed_field
        def handle(self) -> str:
            return "@" + self.user_name

A serializer is a handler body type (every problem of the body in one 422),
a response type (sent as ``dump()``: write-only fields never leave), and the
item type of lists and paginated results. ``Config`` (an inner class) holds
``model``, ``write_only``, ``read_only`` (ignored on input) and
``field_sets`` (named field lists for ``fields()``/``use()``).

See ``base.py`` for validation and dumping, ``models.py`` for ``from_model``
and ``create_serializer``, ``variants.py`` for ``subset``/``only``/``use``.
"""

from msgspec import Meta

from .base import Serializer, SerializerInfo
from .fields import ComputedField, FieldConfig, Nested, computed_field, field, field_validator, model_validator
from .models import create_serializer, create_serializer_set
from .types import *  # noqa: F403
from .types import __all__ as _type_names
from .variants import SerializerView

__all__ = [
    "Serializer",
    "SerializerInfo",
    "SerializerView",
    "FieldConfig",
    "ComputedField",
    "field",
    "Nested",
    "field_validator",
    "model_validator",
    "computed_field",
    "create_serializer",
    "create_serializer_set",
    "Meta",
    *_type_names,
]
