"""Demo data shared by the /users/seed route and the seed_demo command."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from .models import User

SEED_COUNT = 1000
SEED_PREFIX = "demo"


async def seed_users() -> int:
    """Create the demo rows once; safe to call again (returns the total)."""
    existing = await User.objects.filter(username__startswith=SEED_PREFIX).acount()
    if existing < SEED_COUNT:
        # ignore_conflicts keeps this idempotent when a previous seed was partial
        # or two requests race: the unique username rejects duplicates.
        await User.objects.abulk_create(
            [
                User(
                    username=f"{SEED_PREFIX}{i:04d}",
                    email=f"{SEED_PREFIX}{i:04d}@example.com",
                    first_name="Demo",
                    last_name=f"User {i}",
                    is_staff=i % 50 == 0,
                    bio=f"Demo account number {i}.",
                )
                for i in range(SEED_COUNT)
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
    return await User.objects.acount()


def seed_accounts() -> None:
    """Login accounts for the auth examples: admin/admin, staff/staff, demo/demo."""
    accounts = get_user_model()
    if not accounts.objects.filter(username="admin").exists():
        accounts.objects.create_superuser("admin", "admin@example.com", "admin")
    if not accounts.objects.filter(username="staff").exists():
        accounts.objects.create_user("staff", "staff@example.com", "staff", is_staff=True)
    if not accounts.objects.filter(username="demo").exists():
        demo = accounts.objects.create_user("demo", "demo@example.com", "demo")
        demo.user_permissions.add(Permission.objects.get(codename="view_user", content_type__app_label="users"))
