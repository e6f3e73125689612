import pytest

from tests.factories import ExpertFactory
from tests.marketplace.factories import qualify, speak


@pytest.fixture
def cardiologist(db):
    """Dr Ada: cardiology level 2, speaks English, lives in the UK."""
    expert = ExpertFactory(email="ada.cardio@example.com")
    expert.expert_profile.country = "GB"
    expert.expert_profile.save()
    qualify(expert, "cardiology", 2)
    speak(expert, "en")
    return expert


@pytest.fixture
def lawyer(db):
    """Lena: contract law level 1 only."""
    expert = ExpertFactory(email="lena.law@example.com")
    expert.expert_profile.country = "US"
    expert.expert_profile.save()
    qualify(expert, "contract-law", 1)
    speak(expert, "en")
    return expert
