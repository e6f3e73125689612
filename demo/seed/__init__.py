"""Demo seeders, run in dependency order. Each returns the logins it wants printed as
(role description, email, password) and must be idempotent (get_or_create by natural keys)."""

from demo.seed import accounts
from demo.seed import labeling as labeling_seed
from demo.seed import marketplace as marketplace_seed
from demo.seed import payments as payments_seed
from demo.seed import qualifications as qualifications_seed

SEEDERS = [
    ("accounts", accounts.seed),
    ("qualifications", qualifications_seed.seed),
    ("marketplace", marketplace_seed.seed),
    ("labeling", labeling_seed.seed),
    ("payments", payments_seed.seed),
    ("quality snapshots", labeling_seed.seed_snapshots),
]
