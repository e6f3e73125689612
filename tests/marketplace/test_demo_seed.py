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

    # Ada also works on the payments demo's free-text project (her pay stub shows a top-up).
    assert board("dr.ada@experts.example") >= {"pairwise", "classification"}
    assert board("lena.law@experts.example") == {"rubric"}
    assert board("pat.python@experts.example") == {"trajectory", "ranking"}
    assert board("nia.newcomer@experts.example") == set()
