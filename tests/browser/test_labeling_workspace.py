"""The labeling workspace in a browser: an expert works through pairwise tasks with the keyboard;
a reviewer rejects one with a reason; the expert sees it on "My work" and appeals."""

import re

import pytest
from playwright.sync_api import expect

from labeling.models import Annotation, Assignment
from tests.browser.test_accounts import sign_in
from tests.conftest import PASSWORD
from tests.factories import ExpertFactory
from tests.labeling.factories import add_items, live_project

pytestmark = pytest.mark.browser

SHOTS = "var/screenshots"
TASK_URL = re.compile(r"/work/tasks/(\d+)/$")


def unexpected(console_errors) -> list[str]:
    """Console errors, less the browser's log lines for the 4xx answers the test provokes."""
    expected = re.compile(
        r"status of (400|404|409) .*/api/v1/(tasks/\d+/submit|projects/\d+/tasks/next)/"
    )
    return [e for e in console_errors if not expected.search(e)]


def task_id(page) -> int:
    match = TASK_URL.search(page.url)
    assert match, page.url
    return int(match.group(1))


def wait_for_next_task(page, previous: int) -> int:
    page.wait_for_url(lambda url: bool(TASK_URL.search(url)) and not url.endswith(f"/{previous}/"))
    expect(page.locator("[data-lease-timer-value]")).not_to_have_text("--:--")
    return task_id(page)


def work_three_tasks(page, project) -> list[int]:
    """Claim and answer three pairwise tasks with the keyboard only."""
    page.goto(f"/work/projects/{project.pk}/")
    page.wait_for_url(TASK_URL)
    expect(page.get_by_test_id("instructions")).to_contain_text("Choose the safer answer")
    expect(page.locator("[data-lease-timer-value]")).to_have_text(re.compile(r"^(30:00|29:\d\d)$"))
    first = task_id(page)

    # Enter with nothing chosen: the API's field errors show next to the inputs.
    page.keyboard.press("Enter")
    expect(page.locator('[data-error-for="/choice"]')).to_have_text("This field is required.")
    expect(page.locator('[data-error-for="/strength"]')).to_be_visible()
    assert not Annotation.objects.exists()

    # 1 = A; the strength question becomes current; the draft is autosaved and survives a reload.
    page.keyboard.press("1")
    expect(page.locator('input[data-path="/choice"][value="a"]')).to_be_checked()
    expect(page.locator('[data-field="/strength"]')).to_have_class(re.compile("ws-current"))
    expect(page.locator("[data-save-status]")).to_contain_text("Draft saved")
    page.screenshot(path=f"{SHOTS}/labeling_workspace_pairwise.png")
    page.reload()
    expect(page.locator('input[data-path="/choice"][value="a"]')).to_be_checked()
    expect(page.locator("[data-save-status]")).to_have_text("Draft restored")
    assert task_id(page) == first

    page.keyboard.press("3")  # strength 3
    expect(page.locator('input[data-path="/strength"][value="3"]')).to_be_checked()
    # Read for a moment: the workspace counts active time in whole seconds, and against a fast
    # server the whole task could otherwise take less than one.
    page.wait_for_timeout(1500)
    page.keyboard.press("Enter")
    second = wait_for_next_task(page, first)

    page.keyboard.press("2")  # B
    page.keyboard.press("1")  # slightly
    page.get_by_label("Rationale").fill("B cites the guideline; A does not.")
    page.keyboard.press("Control+Enter")
    third = wait_for_next_task(page, second)

    page.keyboard.press("3")  # tie
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    wait_for_next_task(page, third)
    return [first, second, third]


@pytest.fixture
def project(organization):
    project = live_project(
        organization,
        overlap=1,
        task_config={"allow_tie": True, "strength": True, "rationale": "optional"},
        instructions="# Read carefully\n\nChoose the safer answer.",
    )
    add_items(project, 4)
    return project


def test_expert_answers_three_pairwise_tasks_with_the_keyboard(
    page, live_server, console_errors, project
):
    expert = ExpertFactory(email="kim.keys@example.com")
    sign_in(page, expert.email, PASSWORD)
    tasks = work_three_tasks(page, project)

    answers = {a.assignment_id: a for a in Annotation.objects.filter(expert=expert)}
    assert set(answers) == set(tasks)
    assert answers[tasks[0]].response == {"choice": "a", "strength": 3}
    assert answers[tasks[1]].response == {
        "choice": "b",
        "strength": 1,
        "rationale": "B cites the guideline; A does not.",
    }
    assert answers[tasks[2]].response == {"choice": "tie", "strength": 2}
    assert answers[tasks[0]].active_seconds >= 1
    assert Assignment.objects.filter(expert=expert, status="leased").count() == 1

    # The fourth (last) item: skipping it leaves nothing, said in place.
    page.get_by_role("button", name="Skip").click()
    expect(page.get_by_text("No more tasks right now")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/labeling_workspace_done.png", full_page=True)
    page.goto("/work/")
    expect(page.get_by_test_id("annotation")).to_have_count(3)
    assert not unexpected(console_errors), console_errors


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))


def test_reviewer_rejects_one_with_a_reason_and_the_expert_appeals(
    page, live_server, console_errors, project, reviewer
):
    expert = ExpertFactory(email="ada.appeal@example.com")
    sign_in(page, expert.email, PASSWORD)
    tasks = work_three_tasks(page, project)
    rejected = Annotation.objects.get(assignment_id=tasks[1])
    sign_out(page)

    # The reviewer rejects the second answer, citing a reason.
    sign_in(page, reviewer.email, PASSWORD)
    page.goto(f"/company/projects/{project.pk}/review/")
    card = page.locator(f"#annotation-{rejected.pk}")
    card.get_by_text("Reject…").click()
    card.get_by_label("Reason (the expert reads it)").fill(
        "The rationale cites a guideline that does not exist."
    )
    card.get_by_role("button", name="Reject").click()
    expect(page.locator(f"#annotation-{rejected.pk}")).to_have_count(0)
    rejected.refresh_from_db()
    assert rejected.review_status == "rejected"
    sign_out(page)

    # The expert sees it rejected with the reason on "My work" and appeals.
    sign_in(page, expert.email, PASSWORD)
    page.goto("/work/")
    row = page.locator(f'[data-annotation-id="{rejected.pk}"]')
    expect(row).to_have_attribute("data-status", "rejected")
    expect(row.get_by_test_id("rejection-reason")).to_have_text(
        "The rationale cites a guideline that does not exist."
    )
    expect(page.locator('[data-status="rejected"]')).to_have_count(1)
    row.get_by_test_id("appeal-link").click()
    page.get_by_label("Why the rejection is wrong").fill(
        "Guideline ESC 2023 section 4.2 says exactly this; link in my rationale."
    )
    page.get_by_role("button", name="Send appeal").click()
    page.goto("/work/")
    row = page.locator(f'[data-annotation-id="{rejected.pk}"]')
    expect(row.get_by_test_id("appeal-status")).to_have_text("Appeal: open")
    expect(row.get_by_test_id("appeal-link")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/labeling_my_work_appeal.png", full_page=True)
    assert rejected.appeals.get().status == "open"
    assert not unexpected(console_errors), console_errors
