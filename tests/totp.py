"""Authenticator-app codes for tests, computed the way allauth checks them."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value


def totp_code(secret: str, steps_ago: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ago` 30-second steps back), read early
    enough in its step that the server still sees the same step when the request arrives."""
    period = app_settings.TOTP_PERIOD
    if period - time.time() % period < 5:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period - steps_ago))
