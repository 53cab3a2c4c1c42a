"""Routes exercising authentication, guards and middleware; one API module per settings profile."""
