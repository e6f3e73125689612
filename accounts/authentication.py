from functools import cache

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import API_TOKEN_PREFIX, ApiToken, User, hash_token
from core.rawsql import Columns, hot_cursor


@cache
def _token_lookup() -> tuple[str, Columns, Columns]:
    """One statement for the token and its user. Every API request authenticates, and building
    the same select_related query through the ORM cost more CPU than running it."""
    token, user = Columns(ApiToken, "t"), Columns(User, "u")
    # Column lists come from the models, never from input.
    sql = (
        f"SELECT {token.sql}, {user.sql} FROM {ApiToken._meta.db_table} t "  # noqa: S608
        f"JOIN {User._meta.db_table} u ON u.id = t.user_id WHERE t.key_hash = %s"
    )
    return sql, token, user


def token_with_user(raw: str) -> ApiToken | None:
    """The token whose hash matches `raw`, its user loaded, or None."""
    sql, token_columns, user_columns = _token_lookup()
    with hot_cursor() as cursor:
        cursor.execute(sql, [hash_token(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(token_columns.names)
    token = token_columns.build(row[:n])
    token.user = user_columns.build(row[n:])
    return token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer plb_...` with a personal API token (stored hashed)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2 or not header[1].startswith(API_TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Malformed API token header.")
        token = token_with_user(header[1])
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        now = timezone.now()
        # Write last-use at most once a minute: tokens are used on hot paths.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Personal API token (plb_...)"}
