"""factory_boy factories shared by every test module."""

import factory
from django.utils import timezone

from accounts.models import ExpertProfile, Membership, Organization, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    kind = User.Kind.EXPERT
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """Mark the email verified (allauth's EmailAddress) unless verified=False is passed."""
        if not create:
            return
        obj.save()
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(
            user=obj,
            email=obj.email,
            defaults={"verified": extracted is not False, "primary": True},
        )


class ExpertFactory(UserFactory):
    kind = User.Kind.EXPERT

    @factory.post_generation
    def profile(obj, create, extracted, **kwargs):
        if create:
            ExpertProfile.objects.get_or_create(
                user=obj, defaults={"pseudonym": f"ex-{obj.pk:08x}"}
            )


class CompanyUserFactory(UserFactory):
    kind = User.Kind.COMPANY


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(CompanyUserFactory)
    role = Role.OWNER
    created_at = factory.LazyFunction(timezone.now)


class StaffFactory(UserFactory):
    kind = User.Kind.STAFF
    is_staff = True
