"""The benchmark endpoints written with Django Ninja, in the example project."""
