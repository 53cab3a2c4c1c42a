import os

from django.contrib.auth.models import Group

from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/pid")
async def pid():
    return {"pid": os.getpid()}


@api.get("/groups")
async def groups():
    return [g.name async for g in Group.objects.order_by("name")]
