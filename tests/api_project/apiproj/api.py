"""The project's own API keeps paths as written (the default mode)."""
from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/")
async def root():
    return {"ok": True}


@api.get("/keep/slash/")
async def keep_slash():
    return {"route": "keep"}
