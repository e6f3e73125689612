"""Demo seeders, run in dependency order. Each returns the logins it wants printed as
(role description, email, password) and must be idempotent (get_or_create by natural keys)."""

from demo.seed import accounts

SEEDERS = [
    ("accounts", accounts.seed),
]
