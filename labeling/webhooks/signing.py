"""The signature scheme of outbound webhooks (modelled on Stripe's).

    Plumbline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

The receiver recomputes the HMAC over the timestamp, a dot and the raw request body with the
endpoint's secret, compares in constant time, and refuses timestamps too far from its clock.
During a secret rotation a header may carry several v1 values; any match is valid.
"""

import hashlib
import hmac
import json
import time

from django.core.serializers.json import DjangoJSONEncoder

SIGNATURE_HEADER = "Plumbline-Signature"
EVENT_ID_HEADER = "Plumbline-Event-Id"
EVENT_TYPE_HEADER = "Plumbline-Event-Type"
DELIVERY_ID_HEADER = "Plumbline-Delivery-Id"
DEFAULT_TOLERANCE = 300


def envelope(*, event_id: str, event_type: str, created_at, organization_id: int, data) -> bytes:
    """The exact bytes sent (and signed) for an event: compact, key-sorted JSON."""
    body = {
        "id": str(event_id),
        "type": event_type,
        "created_at": created_at,
        "organization": organization_id,
        "data": data,
    }
    return json.dumps(body, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")).encode()


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def verify_signature(
    *, secret: str, header: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE, now=None
) -> bool:
    """True if `header` is a valid signature of `body` made within `tolerance` seconds."""
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
