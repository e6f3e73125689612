"""Permission matrix: every URL of the project, every method, every role, one table.

The routes come from the URL configuration (tests/security/routes.py walks `get_resolver()`),
and the API's routes must be exactly the operations of drf-spectacular's generated schema. Each
(route name, method) is called as every role on the world's objects (tests/security/world.py),
which belong to Acme and to the expert Alice: `expert` and the Acme roles act on their own
objects, `expert2` (Bob) and `owner2` (Globex) on someone else's. A route or method missing from
`MATRIX` fails the test, so a new endpoint cannot slip through without a decision.

Cells: `ok` allowed (2xx/3xx) · `no` denied (401/403/404, or a page's redirect to sign-in) · a
number: exactly that status, e.g. 400/409 when a write got past the permission check and was
refused on its content or state. Nothing may answer 5xx. Writes send `BODIES[route]` (a valid
body, so the permission check, not validation, decides) or an empty one.

Every request runs in a savepoint that is rolled back, so each role meets the same world and
no write leaks into the next call. A denied request must also have written nothing: the
row counters of PostgreSQL's pg_stat_xact_user_tables must not move during it.

Bodies of allowed responses are grepped for the world's secrets: no expert and nobody from
Globex sees Acme's draft or a gold answer (the suspension notice shows Alice her own missed
gold items, on purpose), and nobody but Alice and Acme sees Alice's private text.

To print the observed table (when adding routes), run with PLUMBLINE_MATRIX_PRINT=1 and -s.
"""

from __future__ import annotations

import json
import logging
import os

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from tests.security.routes import project_routes, schema_operations
from tests.security.world import ALICE_SENTINEL, DRAFT_SENTINEL, GOLD_SENTINEL, ROLES, url_kwargs

pytestmark = pytest.mark.django_db

# fmt: off
# Roles, in column order: anon, expert (Alice), expert2 (Bob), owner, manager, reviewer, viewer
# (Acme), owner2 (Globex), staff, auditor.
MATRIX: dict[tuple[str, str], str] = {
    #                                                     an  ex  ex2 own mgr rev vw  ow2 stf aud
    ("landing", "GET"):                                  "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("landing", "POST"):                                 "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("healthz", "GET"):                                  "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-me", "GET"):                                   "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-tokens", "GET"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-tokens", "POST"):                              "no  400 400 400 400 400 400 400 400 400",
    ("api-token-revoke", "DELETE"):                      "no  ok  no  no  no  no  no  no  no  no",
    ("api-organizations", "GET"):                        "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-organization", "GET"):                         "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-organization", "PATCH"):                       "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-members", "GET"):                              "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-member", "PATCH"):                             "no  no  no  ok  no  no  no  no  ok  no",
    ("api-member", "DELETE"):                            "no  no  no  ok  no  no  no  no  ok  no",
    ("api-invitations", "GET"):                          "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-invitations", "POST"):                         "no  no  no  ok  no  no  no  no  ok  no",
    ("api-invitation-accept", "POST"):                   "no  no  no  no  no  no  no  no  no  no",
    ("api-audit-events", "GET"):                         "no  no  no  no  no  no  no  no  ok  ok",
    ("api-domains", "GET"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-profile", "GET"):                              "no  ok  ok  no  no  no  no  no  no  no",
    ("api-profile", "PATCH"):                            "no  ok  ok  no  no  no  no  no  no  no",
    ("api-credentials", "GET"):                          "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-credentials", "POST"):                         "no  415 415 415 415 415 415 415 415 415",
    ("api-credential-evidence", "GET"):                  "no  ok  no  no  no  no  no  no  ok  no",
    ("api-qualification-tests", "GET"):                  "no  ok  ok  no  no  no  no  no  no  no",
    ("api-attempt-start", "POST"):                       "no  409 ok  no  no  no  no  no  no  no",
    ("api-attempt", "GET"):                              "no  ok  no  no  no  no  no  no  no  no",
    ("api-attempt-answer", "POST"):                      "no  400 no  no  no  no  no  no  no  no",
    ("api-attempt-submit", "POST"):                      "no  ok  no  no  no  no  no  no  no  no",
    ("api-qualifications", "GET"):                       "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-staff-credentials", "GET"):                    "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-credential-decision", "POST"):           "no  no  no  no  no  no  no  no  400 no",
    ("api-staff-qualifications", "GET"):                 "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-qualifications", "POST"):                "no  no  no  no  no  no  no  no  400 no",
    ("api-staff-qualification-revoke", "POST"):          "no  no  no  no  no  no  no  no  400 no",
    ("api-staff-qualification-tests", "GET"):            "no  no  no  no  no  no  no  no  ok  no",
    ("api-staff-qualification-tests", "POST"):           "no  no  no  no  no  no  no  no  400 no",
    ("api-staff-questions", "POST"):                     "no  no  no  no  no  no  no  no  400 no",
    ("api-projects", "GET"):                             "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-projects", "POST"):                            "no  400 400 400 400 400 400 400 400 400",
    ("api-project", "GET"):                              "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project", "PATCH"):                            "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-transition", "POST"):                  "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-response-schema", "GET"):              "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project-validate-response", "POST"):           "no  no  no  400 400 400 400 no  400 no",
    ("api-project-budget", "GET"):                       "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project-requirements", "GET"):                 "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project-requirements", "PUT"):                 "no  no  no  409 409 no  no  no  409 no",
    ("api-project-eligible-experts", "GET"):             "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-invitations", "GET"):                  "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project-invitations", "POST"):                 "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-invitation-revoke", "POST"):           "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-applications", "GET"):                 "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project-application-decide", "POST"):          "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-task-types", "GET"):                           "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-pay-floor", "GET"):                            "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-jobs", "GET"):                                 "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-jobs-within-reach", "GET"):                    "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-job", "GET"):                                  "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-job-opt-in", "POST"):                          "no  409 409 no  no  no  no  no  no  no",
    ("api-job-apply", "POST"):                           "no  409 409 no  no  no  no  no  no  no",
    ("api-my-project-invitations", "GET"):               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-project-invitation-respond", "POST"):       "no  400 no  no  no  no  no  no  no  no",
    ("api-my-project-applications", "GET"):              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-project-application-withdraw", "POST"):     "no  ok  no  no  no  no  no  no  no  no",
    ("api-domain-floors", "GET"):                        "no  no  no  no  no  no  no  no  ok  no",
    ("api-domain-floors", "POST"):                       "no  no  no  no  no  no  no  no  400 no",
    ("api-domain-floor", "DELETE"):                      "no  no  no  no  no  no  no  no  ok  no",
    ("api-project-mark-funded", "POST"):                 "no  no  no  no  no  no  no  no  409 no",
    ("api-task-next", "POST"):                           "no  ok  ok  no  no  no  no  no  no  no",
    ("api-task", "GET"):                                 "no  ok  no  no  no  no  no  no  no  no",
    ("api-task-draft", "PUT"):                           "no  ok  no  no  no  no  no  no  no  no",
    ("api-task-release", "POST"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("api-task-submit", "POST"):                         "no  ok  no  no  no  no  no  no  no  no",
    ("api-my-annotations", "GET"):                       "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-annotation", "GET"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("api-project-imports", "GET"):                      "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-imports", "POST"):                     "no  no  no  415 415 415 415 no  415 no",
    ("api-project-import", "GET"):                       "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-export-jobs", "GET"):                  "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-project-export-jobs", "POST"):                 "no  no  no  400 400 400 400 no  400 no",
    ("api-project-export-job", "GET"):                   "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-project-export-job-download", "GET"):          "no  no  no  409 409 409 no  no  409 no",
    ("api-project-export-download", "GET"):              "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-review-queue", "GET"):                         "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-review-bulk-accept", "POST"):                  "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-review-annotation", "GET"):                    "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-review-accept", "POST"):                       "no  no  no  409 409 409 no  no  409 no",
    ("api-review-reject", "POST"):                       "no  no  no  409 409 409 no  no  409 no",
    ("api-my-annotation-review", "GET"):                 "no  ok  no  no  no  no  no  no  no  no",
    ("api-my-suspension", "GET"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("api-my-appeals", "GET"):                           "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-appeals", "POST"):                          "no  409 no  no  no  no  no  no  no  no",
    ("api-my-appeal", "GET"):                            "no  ok  no  no  no  no  no  no  no  no",
    ("api-staff-appeals", "GET"):                        "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-appeal", "GET"):                         "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-appeal-decide", "POST"):                 "no  no  no  no  no  no  no  no  ok  no",
    ("api-webhook-event-types", "GET"):                  "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-webhook-endpoints", "GET"):                    "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-webhook-endpoints", "POST"):                   "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-webhook-endpoint", "GET"):                     "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-webhook-endpoint", "PATCH"):                   "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-webhook-endpoint-rotate", "POST"):             "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-webhook-endpoint-deactivate", "POST"):         "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-webhook-deliveries", "GET"):                   "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-webhook-delivery-replay", "POST"):             "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-quality", "GET"):                      "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("api-project-quality-experts", "GET"):              "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("api-project-quality-gold", "GET"):                 "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("api-project-quality-gold-retire", "POST"):         "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-quality-flags", "GET"):                "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("api-project-quality-flag-review", "POST"):         "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-quality-judges", "GET"):               "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("api-project-quality-judges", "POST"):              "no  no  no  415 415 415 415 no  415 415",
    ("api-project-quality-judge-report", "GET"):         "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("api-project-quality-recompute", "POST"):           "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-staff-quality", "GET"):                        "no  no  no  no  no  no  no  no  ok  ok",
    ("api-project-fundings", "GET"):                     "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project-fundings", "POST"):                    "no  no  no  409 409 no  no  no  409 no",
    ("api-project-bonuses", "POST"):                     "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-company-spend", "GET"):                        "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-earnings", "GET"):                          "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-pay-stub", "GET"):                          "no  no  no  no  no  no  no  no  no  no",
    ("api-my-payouts", "GET"):                           "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-payouts", "POST"):                          "no  409 409 409 409 409 409 409 409 409",
    ("api-my-payout", "GET"):                            "no  ok  no  no  no  no  no  no  no  no",
    ("api-my-payout-account-link", "POST"):              "no  ok  ok  no  no  no  no  no  no  no",
    ("api-staff-fair-pay-audits", "GET"):                "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-payouts", "GET"):                        "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-reconciliation", "GET"):                 "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-reconciliation", "POST"):                "no  no  no  no  no  no  no  no  ok  no",
    ("api-staff-ledger", "GET"):                         "no  no  no  no  no  no  no  no  ok  ok",
    ("api-staff-adjustments", "POST"):                   "no  no  no  no  no  no  no  no  ok  no",
    ("api-schema", "GET"):                               "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-docs", "GET"):                                 "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("dashboard", "GET"):                                "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("dashboard", "POST"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("expert_home", "GET"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("expert_home", "POST"):                             "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("company_home", "GET"):                             "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("company_home", "POST"):                            "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("staff_home", "GET"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("staff_home", "POST"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("organization_members", "GET"):                     "no  no  no  ok  ok  ok  ok  no  no  no",
    ("organization_members", "POST"):                    "no  no  no  ok  ok  ok  ok  no  no  no",
    ("invitation_accept", "GET"):                        "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("invitation_accept", "POST"):                       "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api_tokens", "GET"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api_tokens", "POST"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api_token_revoke", "POST"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("profile", "GET"):                                  "no  ok  ok  no  no  no  no  no  no  no",
    ("profile", "POST"):                                 "no  ok  ok  no  no  no  no  no  no  no",
    ("profile_step", "GET"):                             "no  ok  ok  no  no  no  no  no  no  no",
    ("profile_step", "POST"):                            "no  ok  ok  no  no  no  no  no  no  no",
    ("credentials", "GET"):                              "no  ok  ok  no  no  no  no  no  no  no",
    ("credentials", "POST"):                             "no  ok  ok  no  no  no  no  no  no  no",
    ("credential_evidence", "GET"):                      "no  ok  no  no  no  no  no  no  ok  no",
    ("tests", "GET"):                                    "no  ok  ok  no  no  no  no  no  no  no",
    ("tests", "POST"):                                   "no  ok  ok  no  no  no  no  no  no  no",
    ("test_start", "POST"):                              "no  ok  ok  no  no  no  no  no  no  no",
    ("attempt", "GET"):                                  "no  ok  no  no  no  no  no  no  no  no",
    ("attempt", "POST"):                                 "no  ok  no  no  no  no  no  no  no  no",
    ("my_qualifications", "GET"):                        "no  ok  ok  no  no  no  no  no  no  no",
    ("my_qualifications", "POST"):                       "no  ok  ok  no  no  no  no  no  no  no",
    ("staff_queue", "GET"):                              "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_queue", "POST"):                             "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_review", "GET"):                             "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_review", "POST"):                            "no  no  no  no  no  no  no  no  ok  no",
    ("staff_evidence", "GET"):                           "no  no  no  no  no  no  no  no  ok  no",
    ("staff_evidence", "POST"):                          "no  no  no  no  no  no  no  no  ok  no",
    ("staff_qualifications", "GET"):                     "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_qualifications", "POST"):                    "no  no  no  no  no  no  no  no  ok  no",
    ("staff_revoke", "GET"):                             "no  no  no  no  no  no  no  no  ok  no",
    ("staff_revoke", "POST"):                            "no  no  no  no  no  no  no  no  ok  no",
    ("company_projects", "GET"):                         "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("company_projects", "POST"):                        "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("project_new", "GET"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("project_new", "POST"):                             "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("wizard_step", "GET"):                              "no  no  no  ok  no  no  no  no  no  no",
    ("wizard_step", "POST"):                             "no  no  no  ok  no  no  no  no  no  no",
    ("company_project", "GET"):                          "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project", "POST"):                         "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("project_edit", "GET"):                             "no  no  no  ok  ok  no  no  no  ok  no",
    ("project_edit", "POST"):                            "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_project_transition", "POST"):              "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project_preview", "GET"):                  "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project_preview", "POST"):                 "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project_experts", "GET"):                  "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_project_experts", "POST"):                 "no  no  no  no  no  no  no  no  no  no",
    ("company_invitation_revoke", "POST"):               "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project_applications", "GET"):             "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project_applications", "POST"):            "no  no  no  no  no  no  no  no  no  no",
    ("jobs", "GET"):                                     "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("jobs", "POST"):                                    "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("my_invitations", "GET"):                           "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("my_invitations", "POST"):                          "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("invitation_respond", "POST"):                      "no  ok  no  no  no  no  no  no  no  no",
    ("job", "GET"):                                      "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("job", "POST"):                                     "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("job_opt_in", "POST"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("job_apply", "POST"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("my_work", "GET"):                                  "no  ok  ok  no  no  no  no  no  no  no",
    ("my_work", "POST"):                                 "no  ok  ok  no  no  no  no  no  no  no",
    ("workspace_project", "GET"):                        "no  ok  ok  no  no  no  no  no  no  no",
    ("workspace_project", "POST"):                       "no  ok  ok  no  no  no  no  no  no  no",
    ("workspace_task", "GET"):                           "no  ok  no  no  no  no  no  no  no  no",
    ("workspace_task", "POST"):                          "no  ok  no  no  no  no  no  no  no  no",
    ("company_project_imports", "GET"):                  "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_project_imports", "POST"):                 "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_import_job_row", "GET"):                   "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_import_job_row", "POST"):                  "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_project_exports", "GET"):                  "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_project_exports", "POST"):                 "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_export_job_row", "GET"):                   "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_export_job_row", "POST"):                  "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_export_job_download", "GET"):              "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_export_job_download", "POST"):             "no  no  no  ok  ok  ok  no  no  ok  no",
    ("review_queue", "GET"):                             "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("review_queue", "POST"):                            "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("review_bulk_accept", "POST"):                      "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("review_accept", "POST"):                           "no  no  no  ok  ok  ok  no  no  ok  no",
    ("review_reject", "POST"):                           "no  no  no  ok  ok  ok  no  no  ok  no",
    ("staff_appeals", "GET"):                            "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_appeals", "POST"):                           "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_appeal", "GET"):                             "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_appeal", "POST"):                            "no  no  no  no  no  no  no  no  ok  no",
    ("my_appeals", "GET"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("my_appeals", "POST"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("annotation_appeal", "GET"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("annotation_appeal", "POST"):                       "no  ok  no  no  no  no  no  no  no  no",
    ("my_suspension", "GET"):                            "no  ok  no  no  no  no  no  no  no  no",
    ("my_suspension", "POST"):                           "no  ok  no  no  no  no  no  no  no  no",
    ("webhook_endpoints", "GET"):                        "no  no  no  ok  ok  no  no  no  ok  no",
    ("webhook_endpoints", "POST"):                       "no  no  no  ok  ok  no  no  no  ok  no",
    ("webhook_endpoint", "GET"):                         "no  no  no  ok  ok  no  no  no  ok  no",
    ("webhook_endpoint", "POST"):                        "no  no  no  ok  ok  no  no  no  ok  no",
    ("quality_dashboard", "GET"):                        "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("quality_dashboard", "POST"):                       "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("quality_judges", "GET"):                           "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("quality_judges", "POST"):                          "no  no  no  ok  ok  no  no  no  ok  no",
    ("quality_flag_review", "POST"):                     "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("quality_gold_retire", "POST"):                     "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("quality_recompute", "POST"):                       "no  no  no  ok  ok  no  no  no  ok  no",
    ("staff_quality", "GET"):                            "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_quality", "POST"):                           "no  no  no  no  no  no  no  no  ok  ok",
    ("stripe_webhook", "POST"):                          "400 400 400 400 400 400 400 400 400 400",
    ("project_funding", "GET"):                          "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("project_funding", "POST"):                         "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_spend", "GET"):                            "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("company_spend", "POST"):                           "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("funding_receipt", "GET"):                          "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("funding_receipt", "POST"):                         "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("expert_earnings", "GET"):                          "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_earnings", "POST"):                         "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_earnings_csv", "GET"):                      "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_earnings_csv", "POST"):                     "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_pay_stub", "GET"):                          "no  no  no  no  no  no  no  no  no  no",
    ("expert_pay_stub", "POST"):                         "no  no  no  no  no  no  no  no  no  no",
    ("expert_connect", "POST"):                          "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_pay_now", "POST"):                          "no  ok  ok  no  no  no  no  no  no  no",
    ("staff_pay_audit", "GET"):                          "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_pay_audit", "POST"):                         "no  no  no  no  no  no  no  no  ok  no",
    ("staff_ledger", "GET"):                             "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_ledger", "POST"):                            "no  no  no  no  no  no  no  no  ok  ok",
}
# fmt: on

SAFE = ("GET", "HEAD", "OPTIONS")
LOGIN_PREFIX = "/accounts/login/"
# Where a role may legitimately read a secret the leak check looks for.
SECRET_EXCEPTIONS = {
    # The suspension notice shows the suspended expert the gold items she missed, with answers.
    (GOLD_SENTINEL, "expert", "api-my-suspension"),
    (GOLD_SENTINEL, "expert", "my_suspension"),
}
SECRETS_BY_ROLE = {
    "anon": (GOLD_SENTINEL, DRAFT_SENTINEL, ALICE_SENTINEL),
    "expert": (GOLD_SENTINEL, DRAFT_SENTINEL),
    "expert2": (GOLD_SENTINEL, DRAFT_SENTINEL, ALICE_SENTINEL),
    "owner2": (GOLD_SENTINEL, DRAFT_SENTINEL, ALICE_SENTINEL),
}


def _rows_written() -> int:
    """Rows inserted, updated or deleted so far in this transaction, over all tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
            # A denied page may still save the requester's own session (harmless).
            "FROM pg_stat_xact_user_tables WHERE relname <> 'django_session'"
        )
        return int(cursor.fetchone()[0])


def _outcome(response, method: str) -> str:
    status = response.status_code
    if status >= 500:
        return str(status)
    if status in (401, 403, 404):
        return "no"
    if status in (301, 302, 303) and response.get("Location", "").startswith(LOGIN_PREFIX):
        return "no"
    if 200 <= status < 400:
        return "ok"
    return str(status)


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _bodies(world) -> dict[str, dict]:
    """Valid JSON bodies for the writes whose empty body would be refused before any
    permission check could show (a 400 for everyone proves nothing)."""
    from tests.security.world import GOOD

    return {
        "api-organization": {"name": "Acme Renamed"},
        "api-member": {"role": "reviewer"},
        "api-invitations": {"email": "someone@acme.example", "role": "viewer"},
        "api-project-transition": {"status": "paused"},
        "api-project-validate-response": {"response": GOOD},
        "api-project-invitations": {"expert_id": world.users["expert2"].pk},
        "api-project-application-decide": {"approve": True},
        "api-task-draft": {"draft": {"response": GOOD}},
        "api-task-submit": {"response": GOOD, "active_seconds": 30},
        "api-review-reject": {"reason": "Does not follow the instructions."},
        "api-review-bulk-accept": {"annotation_ids": [world.annotation.pk]},
        "api-my-appeals": {"project": world.suspended_project.pk, "note": "Please look."},
        "api-staff-appeal-decide": {"decision": "uphold", "text": "The decision stands."},
        "api-webhook-endpoints": {
            "url": "https://hooks.example.com/x",
            "events": ["annotation.accepted"],
        },
        "api-project-quality-flag-review": {"status": "dismissed"},
        "api-project-bonuses": {"expert": world.users["expert"].pk, "amount": 100, "note": "x"},
        "api-staff-adjustments": {
            "expert": world.users["expert"].pk,
            "amount": 100,
            "reason": "Correction.",
        },
    }


def _call(client, route, method: str, path: str, body: dict | None = None):
    """One request in a rolled-back savepoint; returns (response, rows written during it)."""
    cache.clear()  # throttles and rate limits must not turn the 61st call into a 429
    with transaction.atomic():
        before = _rows_written()
        if route.is_api:
            data = json.dumps(body or {}).encode()
            response = client.generic(method, path, data, content_type="application/json")
        elif method == "POST":
            response = client.post(path, {})
        else:
            response = client.generic(method, path)
        written = _rows_written() - before
        transaction.set_rollback(True)
    return response, written


@pytest.fixture
def quiet_request_log():
    """Thousands of expected 4xx warnings (and their tracebacks) would cost more than the calls."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture
def wizard_token(world, clients):
    """The owner's project wizard lives in their session: start one and keep its token."""
    response = clients["owner"].get("/company/projects/new/")
    assert response.status_code == 302, response.status_code
    token = response["Location"].split("/edit/")[1].split("/")[0]
    world.objects["wizard_token"] = token
    return token


def test_api_routes_are_exactly_the_openapi_operations():
    routes = project_routes()
    from_urls = {(r.openapi_path, m) for r in routes if r.is_api for m in r.methods}
    # The schema and its Swagger page are not operations of the API itself.
    from_urls -= {("/api/schema/", "GET"), ("/api/docs/", "GET")}
    from_schema = schema_operations()
    assert from_schema - from_urls == set(), "in the schema but not routed"
    assert from_urls - from_schema == set(), "routed but missing from the OpenAPI schema"


def test_every_route_method_and_role_matches_the_matrix(
    world, clients, wizard_token, stripe_local, quiet_request_log
):
    routes = project_routes()
    keys = {(r.name, m) for r in routes for m in r.methods}
    printing = os.environ.get("PLUMBLINE_MATRIX_PRINT") == "1"
    missing = sorted(keys - MATRIX.keys())
    stale = sorted(MATRIX.keys() - keys)
    if not printing:
        assert not missing, (
            f"routes/methods missing from MATRIX (decide who may call them): {missing}"
        )
        assert not stale, f"MATRIX rows for routes/methods that no longer exist: {stale}"

    failures, observed = [], {}
    bodies = _bodies(world)
    for route in routes:
        kwargs = url_kwargs(world, route.name, list(route.kwargs))
        path = "/" + route.route
        for name, value in kwargs.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<str:{name}>", str(value))
            path = path.replace(f"<slug:{name}>", str(value)).replace(f"<{name}>", str(value))
        for method in route.methods:
            expected = MATRIX.get((route.name, method), "").split()
            cells = []
            for i, role in enumerate(ROLES):
                body = bodies.get(route.name) if method not in SAFE else None
                response, written = _call(clients[role], route, method, path, body)
                outcome = _outcome(response, method)
                cells.append(outcome)
                where = f"{method} {path} ({route.name}) as {role}"
                if outcome.startswith("5"):
                    failures.append(f"{where}: {response.status_code}")
                elif expected and outcome != expected[i]:
                    failures.append(
                        f"{where}: expected {expected[i]}, got {outcome} ({response.status_code})"
                    )
                if outcome == "no" and written:
                    failures.append(f"{where}: denied but wrote {written} rows")
                if outcome == "ok" and role in SECRETS_BY_ROLE:
                    content = _body(response)
                    for secret in SECRETS_BY_ROLE[role]:
                        if secret.encode() in content and (secret, role, route.name) not in (
                            SECRET_EXCEPTIONS
                        ):
                            failures.append(f"{where}: response contains {secret}")
            observed[(route.name, method)] = cells
    if printing:
        for (name, method), cells in observed.items():
            key = f'("{name}", "{method}"):'
            print(f'    {key:52s} "{" ".join(f"{c:3s}" for c in cells).rstrip()}",')
    assert not failures, "\n".join(failures)
