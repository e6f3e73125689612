"""The eligibility selector the marketplace codes against."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qualifications.models import ExpertLanguage
from qualifications.selectors import (
    DomainRequirement,
    Eligibility,
    Requirements,
    active_qualification_levels,
    eligibility_for_expert,
    eligibility_for_experts,
)
from tests.factories import ExpertFactory
from tests.qualifications.factories import QualificationFactory

pytestmark = pytest.mark.django_db


def _set(expert, *, country="", languages=()):
    profile = expert.expert_profile
    profile.country = country
    profile.save()
    for code in languages:
        ExpertLanguage.objects.create(profile=profile, language=code, proficiency="native")


def test_descendant_qualification_meets_ancestor_requirement_not_the_reverse(
    expert, medicine, cardiology
):
    QualificationFactory(expert=expert, domain=cardiology, level=2)
    result = eligibility_for_expert(
        expert=expert,
        requirements={
            "medicine-2": Requirements(domains=(DomainRequirement(medicine.pk, 2),)),
            "medicine-3": Requirements(domains=(DomainRequirement(medicine.pk, 3),)),
            "cardio-2": Requirements(domains=(DomainRequirement(cardiology.pk, 2),)),
        },
    )
    assert result["medicine-2"] == Eligibility(eligible=True, missing=())
    assert result["medicine-3"] == Eligibility(False, ("needs Medicine level 3",))
    assert result["cardio-2"].eligible

    other = ExpertFactory()
    QualificationFactory(expert=other, domain=medicine, level=3)
    verdict = eligibility_for_expert(
        expert=other, requirements={1: Requirements(domains=(DomainRequirement(cardiology.pk, 1),))}
    )
    assert verdict[1] == Eligibility(False, ("needs Medicine › Cardiology level 1",))


def test_revoked_and_expired_qualifications_do_not_count(expert, contract_law):
    QualificationFactory(
        expert=expert,
        domain=contract_law,
        level=3,
        revoked_at=timezone.now(),
        revoked_reason="fraud",
    )
    QualificationFactory(
        expert=expert,
        domain=contract_law,
        level=3,
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    QualificationFactory(expert=expert, domain=contract_law, level=1)
    req = Requirements(domains=(DomainRequirement(contract_law.pk, 2),))
    result = eligibility_for_expert(expert=expert, requirements={"p": req})["p"]
    assert result == Eligibility(False, ("needs Law › Contract law level 2",))
    assert active_qualification_levels(expert_ids=[expert.pk]) == {expert.pk: {contract_law.pk: 1}}


def test_languages_and_countries_are_reported_as_missing(expert):
    _set(expert, country="US", languages=["en"])
    result = eligibility_for_expert(
        expert=expert,
        requirements={
            "de": Requirements(languages=("en", "de")),
            "allow": Requirements(countries_allow=("GB", "DE")),
            "deny": Requirements(countries_deny=("US",)),
            "ok": Requirements(languages=("EN",), countries_allow=("US",)),
        },
    )
    assert result["de"].missing == ("needs language: de",)
    assert result["allow"].missing == ("not available in your country",)
    assert result["deny"].missing == ("not available in your country",)
    assert result["ok"].eligible


def test_expert_without_country_is_told_to_add_it(expert):
    result = eligibility_for_expert(
        expert=expert, requirements={1: Requirements(countries_deny=("KP",))}
    )
    assert result[1].missing == ("needs your country in your profile",)


def test_empty_requirements_are_met_by_anyone(expert):
    assert eligibility_for_expert(expert=expert, requirements={1: Requirements()})[1].eligible


def _projects(n, domains):
    return {
        i: Requirements(
            domains=(DomainRequirement(domains[i % len(domains)].pk, 1 + i % 3),),
            languages=("en",) if i % 2 else ("de",),
            countries_allow=("GB", "US") if i % 5 == 0 else (),
            countries_deny=("KP",),
        )
        for i in range(n)
    }


def test_one_expert_many_projects_runs_in_constant_queries(
    expert, cardiology, contract_law, medicine, django_assert_num_queries
):
    _set(expert, country="GB", languages=["en"])
    QualificationFactory(expert=expert, domain=cardiology, level=2)
    domains = [cardiology, contract_law, medicine]
    # domain tree + country + languages + qualification levels
    with django_assert_num_queries(4):
        small = eligibility_for_expert(expert=expert, requirements=_projects(2, domains))
    with django_assert_num_queries(4):
        big = eligibility_for_expert(expert=expert, requirements=_projects(200, domains))
    assert len(big) == 200 and len(small) == 2
    assert big[3].eligible  # cardiology level 1, en
    assert big[1].missing == ("needs Law › Contract law level 2",)
    assert not big[0].eligible


@pytest.mark.parametrize("as_queryset", [False, True])
def test_one_project_many_experts_runs_in_constant_queries(
    cardiology, medicine, django_assert_num_queries, as_queryset
):
    from accounts.models import User

    experts = ExpertFactory.create_batch(200)
    for i, expert in enumerate(experts):
        _set(expert, country="GB" if i % 2 else "FR", languages=["en"] if i % 3 else ["de"])
        if i % 4 == 0:
            QualificationFactory(expert=expert, domain=cardiology, level=2)
    req = Requirements(
        domains=(DomainRequirement(medicine.pk, 2),), languages=("en",), countries_allow=("GB",)
    )

    def pool(n):
        ids = [e.pk for e in experts[:n]]
        return User.objects.filter(pk__in=ids) if as_queryset else experts[:n]

    with django_assert_num_queries(4):
        few = eligibility_for_experts(experts=pool(2), requirements=req)
    with django_assert_num_queries(4):
        many = eligibility_for_experts(experts=pool(200), requirements=req)
    assert len(few) == 2 and len(many) == 200
    eligible = {pk for pk, e in many.items() if e.eligible}
    expected = {e.pk for i, e in enumerate(experts) if i % 4 == 0 and i % 2 and i % 3}
    assert eligible == expected
    not_gb = experts[0]
    assert "not available in your country" in many[not_gb.pk].missing


def test_active_qualification_levels_is_one_query(
    expert, other_expert, cardiology, django_assert_num_queries
):
    QualificationFactory(expert=expert, domain=cardiology, level=1)
    QualificationFactory(expert=expert, domain=cardiology, level=3)
    with django_assert_num_queries(1):
        levels = active_qualification_levels(expert_ids=[expert.pk, other_expert.pk])
    assert levels == {expert.pk: {cardiology.pk: 3}}
