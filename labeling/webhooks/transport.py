"""The one module that sends outbound webhook requests (httpx), and the SSRF guard."""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from core.exceptions import ValidationFailed

USER_AGENT = "Plumbline-Webhooks/1.0"


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationFailed(
            f"Cannot resolve {host}.", fields={"url": [f"Cannot resolve {host}."]}
        ) from exc
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url_allowed(url: str) -> None:
    """Only http(s) URLs with a host; unless PLUMBLINE_WEBHOOKS_ALLOW_PRIVATE, every address the
    host resolves to must be public (no loopback, private, link-local, reserved ranges: SSRF).
    Checked when an endpoint is saved and again before every attempt (DNS can change)."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(fields={"url": ["Use an http:// or https:// URL with a host."]})
    if parts.username or parts.password:
        raise ValidationFailed(fields={"url": ["Credentials in the URL are not allowed."]})
    if settings.PLUMBLINE_WEBHOOKS_ALLOW_PRIVATE:
        return
    for address in _addresses(parts.hostname):
        mapped = getattr(address, "ipv4_mapped", None) or address
        if not mapped.is_global or mapped.is_multicast:
            raise ValidationFailed(
                fields={"url": ["This address is private or reserved; use a public URL."]}
            )


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    duration_ms: int
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(*, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST once: no redirects (a 3xx is a failure), a hard timeout, never raises."""
    started = time.monotonic()
    try:
        check_url_allowed(url)
        with httpx.Client(
            timeout=settings.PLUMBLINE_WEBHOOK_TIMEOUT, follow_redirects=False, trust_env=False
        ) as client:
            response = client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
    except ValidationFailed as exc:
        error = "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
        return AttemptResult(None, _ms(started), f"refused: {error}")
    except httpx.HTTPError as exc:
        return AttemptResult(None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    if error and response.text:
        error += f": {response.text[:200]}"
    return AttemptResult(response.status_code, _ms(started), error)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
