import pytest

from accounts.models import User
from demo.seed import SEEDERS
from marketplace import selectors
from marketplace.models import Project, TaskType

pytestmark = pytest.mark.django_db


def test_demo_has_a_live_project_of_every_task_type_and_experts_who_qualify_for_some():
    for _, seeder in SEEDERS:
        seeder()
    for _, seeder in SEEDERS:  # idempotent
        seeder()
    live = Project.objects.filter(status="live")
    assert set(live.values_list("task_type", flat=True)) == set(TaskType.values)
    assert set(live.values_list("organization__slug", flat=True)) == {"acme-ai", "globex-labs"}

    def board(email):
        expert = User.objects.get(email=email)
        facts = selectors.expert_facts(expert=expert)
        return set(selectors.job_board_queryset(facts=facts).values_list("task_type", flat=True))

    # The payments demo adds a free-text project open to everyone (its pay stubs show top-ups),
    # so compare the specialist projects only.
    specialist = {"pairwise", "classification", "rubric", "trajectory", "ranking"}
    assert board("dr.ada@experts.example") & specialist == {"pairwise", "classification"}
    assert board("lena.law@experts.example") & specialist == {"rubric"}
    assert board("pat.python@experts.example") & specialist == {"trajectory", "ranking"}
    assert board("nia.newcomer@experts.example") & specialist == set()
