"""The URL space of the Django site (which paths Go hands to Django) and the site's
ASGI bridge, with real Django views through the bridge."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_bolt.site import url_space


@override_settings(ROOT_URLCONF="site_urls.mixed", APPEND_SLASH=True)
def test_url_space_reads_every_kind_of_pattern():
    space = url_space()
    assert space.prefixes == ["/archive/", "/blog/", "/shop/items/", "/users/"]
    # Exact paths, with the slash-less form CommonMiddleware redirects; "/feeds/rss/"
    # is exact because the include's regex is literal up to its end.
    assert space.exact == ["/", "/about", "/about/", "/blog", "/feeds/rss", "/feeds/rss/", "/legal/terms.html",
                           "/shop/cart", "/shop/cart/"]


@override_settings(ROOT_URLCONF="site_urls.mixed", APPEND_SLASH=False)
def test_without_append_slash_only_the_exact_paths():
    assert "/about" not in url_space().exact
    assert "/about/" in url_space().exact


@pytest.mark.parametrize("regex, endpoint, expected", [
    (r"^a/b/$", True, ("a/b/", True)),
    (r"^a/b/", False, ("a/b/", True)),
    (r"^a/(?P<x>\d+)/", False, ("a/", False)),
    (r"^a\.b$", True, ("a.b", True)),
    (r"^a/(?P<x>\d+)/$", True, ("a/", False)),
    (r"^a/\d+/$", True, ("a/", False)),
    (r"^a/b", True, ("a/b", False)),
    # A quantifier makes the character before it optional: it is not in the prefix.
    (r"^items?/$", True, ("item", False)),
    (r"^ab*c/$", True, ("a", False)),
    (r"^a{0,1}bc/$", True, ("", False)),
])
def test_regex_literal(regex, endpoint, expected):
    from django_bolt.site import _regex_literal

    assert _regex_literal(regex, endpoint) == expected
