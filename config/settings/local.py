"""Zero-setup defaults for `make demo`: SQLite and a broker that needs no server."""

import os
from pathlib import Path

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "local-demo-secret-key-not-for-production-use-0123456789"
)
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("EMAIL_URL", "filemail://")

from .base import *  # noqa: E402

# kombu's filesystem transport: a real broker made of files, so the demo needs no Redis.
_broker_dir = Path(env("PLUMBLINE_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
EMAIL_FILE_PATH.mkdir(parents=True, exist_ok=True) if hasattr(EMAIL_FILE_PATH, "mkdir") else None
PLUMBLINE_WEBHOOKS_ALLOW_PRIVATE = True  # labeling webhooks: local receivers in the demo
