from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.models import ExpertProfile, Membership, Organization, Role, User

DEMO_PASSWORD = "plumbline-demo"

COMPANIES = {
    "acme-ai": (
        "Acme AI",
        [
            ("owner@acme.example", "Olivia Owner", Role.OWNER),
            ("manager@acme.example", "Max Manager", Role.MANAGER),
            ("reviewer@acme.example", "Rita Reviewer", Role.REVIEWER),
            ("viewer@acme.example", "Victor Viewer", Role.VIEWER),
        ],
    ),
    "globex-labs": (
        "Globex Labs",
        [
            ("owner@globex.example", "Gina Owner", Role.OWNER),
        ],
    ),
}

EXPERTS = [
    ("dr.ada@experts.example", "Dr Ada Byron", "Cardiologist, 12 years of practice", "GB"),
    ("lena.law@experts.example", "Lena Law", "Contract lawyer (NY bar)", "US"),
    ("pat.python@experts.example", "Pat Python", "Senior Python engineer", "DE"),
    ("nia.newcomer@experts.example", "Nia Newcomer", "Chemist, applying", "KE"),
]


def demo_user(email: str, name: str, kind: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"name": name, "kind": kind, **extra}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed() -> list[tuple[str, str, str]]:
    logins = []
    for slug, (org_name, members) in COMPANIES.items():
        org, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": org_name})
        for email, name, role in members:
            user = demo_user(email, name, User.Kind.COMPANY)
            Membership.objects.get_or_create(organization=org, user=user, defaults={"role": role})
            logins.append((f"{org_name} {role}", email, DEMO_PASSWORD))
    for i, (email, name, headline, country) in enumerate(EXPERTS):
        user = demo_user(email, name, User.Kind.EXPERT)
        ExpertProfile.objects.get_or_create(
            user=user,
            defaults={"pseudonym": f"ex-demo{i:03d}", "headline": headline, "country": country},
        )
        logins.append(("Expert", email, DEMO_PASSWORD))
    # Staff must enrol TOTP at first sign-in (the MFA-required middleware sends them there).
    demo_user(
        "staff@plumbline.example", "Sam Staff", User.Kind.STAFF, is_staff=True, is_superuser=True
    )
    logins.append(("Staff (admin; sets up TOTP)", "staff@plumbline.example", DEMO_PASSWORD))
    auditor = demo_user("auditor@plumbline.example", "Audrey Auditor", User.Kind.STAFF)
    auditor.groups.add(Group.objects.get_or_create(name="auditor")[0])
    logins.append(("Auditor", "auditor@plumbline.example", DEMO_PASSWORD))
    return logins
