"""Private storage for credential evidence: outside MEDIA_ROOT, never given a public URL."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage rooted at settings.PRIVATE_STORAGE_ROOT (read on every access, so tests
    can point it elsewhere). Files are served only through permission-checked views."""

    @property
    def base_location(self):
        return settings.PRIVATE_STORAGE_ROOT

    @property
    def location(self):
        import os

        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL; use the permission-checked view.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
