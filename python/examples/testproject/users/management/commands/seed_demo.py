from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand

from users.seeding import seed_accounts, seed_users


class Command(BaseCommand):
    help = "Create the demo rows and login accounts of the example project (idempotent)."

    def handle(self, *args, **options):
        total = async_to_sync(seed_users)()
        seed_accounts()
        self.stdout.write(f"{total} demo users; accounts admin/admin, staff/staff, demo/demo")
