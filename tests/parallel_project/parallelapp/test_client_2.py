from django.contrib.auth.models import Group
from django.test import TestCase

from django_bolt.testing import TestClient
from parallelapp.api import api


class ClientTests2(TestCase):
    def test_handler_sees_the_test_transaction(self):
        Group.objects.create(name="group-2")
        with TestClient(api) as client:
            self.assertEqual(client.get("/groups").json(), ["group-2"])

    def test_runs_in_this_process(self):
        import os

        with TestClient(api) as client:
            self.assertEqual(client.get("/pid").json(), {"pid": os.getpid()})
