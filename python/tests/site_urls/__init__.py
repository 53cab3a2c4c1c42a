"""URLconfs for test_site.py: every kind of pattern the URL space must read."""
