from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/api/ping")
async def ping():
    return {"pong": True}


@api.post("/form/")
async def form_api():
    # A path the API defines belongs to the API, under every method.
    return {"from": "api"}
