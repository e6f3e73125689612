import pytest

from config.celery_app import app
from core.tasks import ping
from tests.worker import running_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_round_trips_through_a_real_worker_over_redis():
    assert app.conf.broker_url.startswith("redis://")
    with running_worker() as worker:
        result = ping.apply_async(args=["hello from the test"], queue=worker.queue)
        assert result.get(timeout=30) == "hello from the test"
        assert result.status == "SUCCESS"


def test_reliability_settings_are_in_force():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert "core.heartbeat" in conf.beat_schedule
