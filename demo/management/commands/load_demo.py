"""Load the demo data set. Idempotent: running it twice changes nothing the second time."""

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.seed import SEEDERS


class Command(BaseCommand):
    help = "Load Plumbline's demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        logins: list[tuple[str, str, str]] = []
        for name, seeder in SEEDERS:
            with transaction.atomic():
                logins.extend(seeder() or [])
            self.stdout.write(f"  seeded {name}")
        self.stdout.write(self.style.SUCCESS("\nDemo logins (password for all: see below)"))
        width = max(len(email) for _, email, _ in logins) if logins else 20
        for role, email, password in logins:
            self.stdout.write(f"  {role:<28} {email:<{width}}  {password}")
