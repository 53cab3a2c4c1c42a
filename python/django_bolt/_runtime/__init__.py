"""What runs inside the server process: start-up (``boot``), the event loop that the
Go core feeds (``loop``), eager task start (``eager``) and streams (``streams``).

Nothing here is public API; users meet it only through ``runbolt``.
"""
