"""Gold items are served only while real work is also available to the expert: once the expert
has no regular item left, every claim answers "no task". Otherwise a task that arrives after a
"no task" answer would be known to be gold."""

import pytest

from labeling import services
from labeling.exceptions import NoTaskAvailable
from tests.factories import ExpertFactory
from tests.labeling.factories import add_items, live_project

GOOD = {"choice": "a", "strength": 2}


@pytest.mark.django_db
def test_no_gold_is_served_once_the_expert_has_no_regular_work_left(organization):
    project = live_project(organization, overlap=1, gold_ratio_bps=5000)
    add_items(project, 3, gold=20)
    expert = ExpertFactory()
    regular_done = 0
    for _ in range(200):
        try:
            lease = services.task_claim(project=project, expert=expert)
        except NoTaskAvailable:
            break
        regular_done += not lease.is_gold
        services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=30
        )
    assert regular_done == 3, "every regular item is served before work runs out"
    for _ in range(40):  # at a 50% gold ratio, a leak would show within a few claims
        with pytest.raises(NoTaskAvailable):
            services.task_claim(project=project, expert=expert)
