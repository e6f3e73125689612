from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        # Audit-only receivers for allauth's MFA signals (no business logic there).
        from accounts import receivers  # noqa: F401
