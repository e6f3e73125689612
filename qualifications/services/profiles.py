from django.db import transaction
from django.http import HttpRequest

from accounts.models import ExpertProfile, User
from core.exceptions import ValidationFailed
from qualifications.models import Domain, ExpertDomain, ExpertLanguage
from qualifications.services.common import check_expert

PROFILE_FIELDS = ("headline", "bio", "country", "timezone", "weekly_availability_hours")


def check_profile_fields(fields: dict) -> dict:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: ["Not editable."] for name in unknown})
    cleaned = dict(fields)
    if "country" in cleaned:
        country = (cleaned["country"] or "").strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise ValidationFailed(fields={"country": ["Use a two-letter ISO 3166-1 code."]})
        cleaned["country"] = country
    if "timezone" in cleaned and cleaned["timezone"]:
        import zoneinfo

        if cleaned["timezone"] not in zoneinfo.available_timezones():
            raise ValidationFailed(fields={"timezone": ["Unknown time zone."]})
    hours = cleaned.get("weekly_availability_hours")
    if hours is not None and not 0 <= int(hours) <= 80:
        raise ValidationFailed(fields={"weekly_availability_hours": ["Between 0 and 80 hours."]})
    return cleaned


@transaction.atomic
def profile_update(
    *, expert: User, fields: dict, request: HttpRequest | None = None
) -> ExpertProfile:
    """Experts edit their own profile only: the profile is always looked up from `expert`."""
    profile = check_expert(expert)
    cleaned = check_profile_fields(fields)
    for name, value in cleaned.items():
        setattr(profile, name, value)
    profile.save(update_fields=[*cleaned, "updated_at"])
    return profile


@transaction.atomic
def profile_set_domains(*, expert: User, domains: list[tuple[int, int]]) -> ExpertProfile:
    """Replace the expert's domains with [(domain id, years of experience)]."""
    profile = check_expert(expert)
    ids = [domain_id for domain_id, _ in domains]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(fields={"domains": ["Each domain once."]})
    known = set(Domain.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if set(ids) - known:
        raise ValidationFailed(fields={"domains": ["Unknown domain."]})
    if any(not 0 <= years <= 70 for _, years in domains):
        raise ValidationFailed(fields={"domains": ["Years of experience between 0 and 70."]})
    ExpertDomain.objects.filter(profile=profile).delete()
    ExpertDomain.objects.bulk_create(
        ExpertDomain(profile=profile, domain_id=d, years_experience=y) for d, y in domains
    )
    return profile


@transaction.atomic
def profile_set_languages(*, expert: User, languages: list[tuple[str, str]]) -> ExpertProfile:
    """Replace the expert's languages with [(ISO 639-1 code, proficiency)]."""
    profile = check_expert(expert)
    codes = [code.strip().lower() for code, _ in languages]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(fields={"languages": ["Each language once."]})
    if any(len(c) != 2 or not c.isalpha() or not c.isascii() for c in codes):
        raise ValidationFailed(fields={"languages": ["Use two-letter ISO 639-1 codes."]})
    if any(p not in ExpertLanguage.Proficiency.values for _, p in languages):
        raise ValidationFailed(fields={"languages": ["Unknown proficiency."]})
    ExpertLanguage.objects.filter(profile=profile).delete()
    ExpertLanguage.objects.bulk_create(
        ExpertLanguage(profile=profile, language=c, proficiency=p)
        for c, (_, p) in zip(codes, languages, strict=True)
    )
    return profile


@transaction.atomic
def profile_edit(
    *,
    expert: User,
    fields: dict,
    domains: list[tuple[int, int]] | None = None,
    languages: list[tuple[str, str]] | None = None,
    request: HttpRequest | None = None,
) -> ExpertProfile:
    """One edit of the profile wizard/API: basics, and optionally the domain and language lists."""
    profile = profile_update(expert=expert, fields=fields, request=request)
    if domains is not None:
        profile_set_domains(expert=expert, domains=domains)
    if languages is not None:
        profile_set_languages(expert=expert, languages=languages)
    return profile
