"""Permission matrix: every URL of the project, every method, every role, one table.

The routes come from the URL configuration (tests/security/routes.py walks `get_resolver()`),
and the API's routes must be exactly the operations of drf-spectacular's generated schema. Each
(route name, method) is called as every role on the world's objects (tests/security/world.py),
which belong to Acme and to the expert Alice: `expert` and the Acme roles act on their own
objects, `expert2` (Bob) and `owner2` (Globex) on someone else's. A route or method missing from
`MATRIX` fails the test, so a new endpoint cannot slip through without a decision.

Cells: `ok` allowed (2xx/3xx; for a write, it also changed rows) · `nop` a write answered
2xx/3xx but changed no rows: a page that refused with a message and redirected (a POST-only page
action that redirects must carry a message), or re-rendered a form, or had nothing to do · `no`
denied (401/403/404, or a page's redirect to sign-in) · a number: exactly that status, e.g.
400/409 when a write got past the permission check and was refused on its content or state.
Nothing may answer 5xx. Writes send `_bodies()[route]` (a valid body, multipart with a small
valid file for uploads, so the permission check, not validation, decides) or an empty one; a
page's POST is a form post as a browser sends it.

Rows changed are counted with PostgreSQL's pg_stat_xact_user_tables (inserts, updates and
deletes in this transaction; the requester's own session row aside). Every request runs in a
savepoint that is rolled back, so each role meets the same world and no write leaks into the
next call. A denied request (`no`) must also have written nothing.

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
from django.core.files.uploadedfile import SimpleUploadedFile
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
    ("landing", "POST"):                                 "nop nop nop nop nop nop nop nop nop nop",
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
    ("api-credentials", "POST"):                         "no  ok  ok  no  no  no  no  no  no  no",
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
    ("api-projects", "POST"):                            "no  no  no  ok  ok  no  no  no  ok  no",
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
    ("api-job-opt-in", "POST"):                          "no  ok  ok  no  no  no  no  no  no  no",
    ("api-job-apply", "POST"):                           "no  ok  ok  no  no  no  no  no  no  no",
    ("api-my-project-invitations", "GET"):               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-project-invitation-respond", "POST"):       "no  400 no  no  no  no  no  no  no  no",
    ("api-my-project-applications", "GET"):              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-project-application-withdraw", "POST"):     "no  ok  no  no  no  no  no  no  no  no",
    ("api-domain-floors", "GET"):                        "no  no  no  no  no  no  no  no  ok  no",
    ("api-domain-floors", "POST"):                       "no  no  no  no  no  no  no  no  400 no",
    ("api-domain-floor", "DELETE"):                      "no  no  no  no  no  no  no  no  ok  no",
    ("api-project-mark-funded", "POST"):                 "no  no  no  no  no  no  no  no  409 no",
    ("api-task-next", "POST"):                           "no  nop nop no  no  no  no  no  no  no",
    ("api-task", "GET"):                                 "no  ok  no  no  no  no  no  no  no  no",
    ("api-task-draft", "PUT"):                           "no  ok  no  no  no  no  no  no  no  no",
    ("api-task-release", "POST"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("api-task-submit", "POST"):                         "no  ok  no  no  no  no  no  no  no  no",
    ("api-my-annotations", "GET"):                       "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-annotation", "GET"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("api-project-imports", "GET"):                      "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-imports", "POST"):                     "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-import", "GET"):                       "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-export-jobs", "GET"):                  "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-project-export-jobs", "POST"):                 "no  no  no  400 400 400 400 no  400 no",
    ("api-project-export-job", "GET"):                   "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-project-export-job-download", "GET"):          "no  no  no  409 409 409 no  no  409 no",
    ("api-project-export-download", "GET"):              "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-review-queue", "GET"):                         "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-review-bulk-accept", "POST"):                  "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-review-annotation", "GET"):                    "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-review-accept", "POST"):                       "no  no  no  ok  ok  ok  no  no  ok  no",
    ("api-review-reject", "POST"):                       "no  no  no  ok  ok  ok  no  no  ok  no",
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
    ("api-project-quality-judges", "POST"):              "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-project-quality-judge-report", "GET"):         "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("api-project-quality-recompute", "POST"):           "no  no  no  nop nop no  no  no  nop no",
    ("api-staff-quality", "GET"):                        "no  no  no  no  no  no  no  no  ok  ok",
    ("api-project-fundings", "GET"):                     "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("api-project-fundings", "POST"):                    "no  no  no  409 409 no  no  no  409 no",
    ("api-project-bonuses", "POST"):                     "no  no  no  ok  ok  no  no  no  ok  no",
    ("api-company-spend", "GET"):                        "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-earnings", "GET"):                          "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api-my-pay-stub", "GET"):                          "no  ok  no  no  no  no  no  no  no  no",
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
    ("dashboard", "POST"):                               "no  nop nop nop nop nop nop nop nop nop",
    ("expert_home", "GET"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("expert_home", "POST"):                             "no  nop nop nop nop nop nop nop nop nop",
    ("company_home", "GET"):                             "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("company_home", "POST"):                            "no  nop nop nop nop nop nop nop nop nop",
    ("staff_home", "GET"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("staff_home", "POST"):                              "no  nop nop nop nop nop nop nop nop nop",
    ("organization_members", "GET"):                     "no  no  no  ok  ok  ok  ok  no  no  no",
    ("organization_members", "POST"):                    "no  no  no  nop nop nop nop no  no  no",
    ("invitation_accept", "GET"):                        "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("invitation_accept", "POST"):                       "nop nop nop nop nop nop nop nop nop nop",
    ("api_tokens", "GET"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("api_tokens", "POST"):                              "no  nop nop nop nop nop nop nop nop nop",
    ("api_token_revoke", "POST"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("profile", "GET"):                                  "no  ok  ok  no  no  no  no  no  no  no",
    ("profile", "POST"):                                 "no  nop nop no  no  no  no  no  no  no",
    ("profile_step", "GET"):                             "no  ok  ok  no  no  no  no  no  no  no",
    ("profile_step", "POST"):                            "no  ok  ok  no  no  no  no  no  no  no",
    ("credentials", "GET"):                              "no  ok  ok  no  no  no  no  no  no  no",
    ("credentials", "POST"):                             "no  ok  ok  no  no  no  no  no  no  no",
    ("credential_evidence", "GET"):                      "no  ok  no  no  no  no  no  no  ok  no",
    ("tests", "GET"):                                    "no  ok  ok  no  no  no  no  no  no  no",
    ("tests", "POST"):                                   "no  nop nop no  no  no  no  no  no  no",
    ("test_start", "POST"):                              "no  nop ok  no  no  no  no  no  no  no",
    ("attempt", "GET"):                                  "no  ok  no  no  no  no  no  no  no  no",
    ("attempt", "POST"):                                 "no  nop no  no  no  no  no  no  no  no",
    ("my_qualifications", "GET"):                        "no  ok  ok  no  no  no  no  no  no  no",
    ("my_qualifications", "POST"):                       "no  nop nop no  no  no  no  no  no  no",
    ("staff_queue", "GET"):                              "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_queue", "POST"):                             "no  no  no  no  no  no  no  no  nop nop",
    ("staff_review", "GET"):                             "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_review", "POST"):                            "no  no  no  no  no  no  no  no  nop no",
    ("staff_evidence", "GET"):                           "no  no  no  no  no  no  no  no  ok  no",
    ("staff_evidence", "POST"):                          "no  no  no  no  no  no  no  no  nop no",
    ("staff_qualifications", "GET"):                     "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_qualifications", "POST"):                    "no  no  no  no  no  no  no  no  nop no",
    ("staff_revoke", "GET"):                             "no  no  no  no  no  no  no  no  ok  no",
    ("staff_revoke", "POST"):                            "no  no  no  no  no  no  no  no  nop no",
    ("company_projects", "GET"):                         "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("company_projects", "POST"):                        "no  nop nop nop nop nop nop nop nop nop",
    ("project_new", "GET"):                              "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("project_new", "POST"):                             "no  nop nop nop nop nop nop nop nop nop",
    ("wizard_step", "GET"):                              "no  no  no  ok  no  no  no  no  no  no",
    ("wizard_step", "POST"):                             "no  no  no  nop no  no  no  no  no  no",
    ("company_project", "GET"):                          "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project", "POST"):                         "no  no  no  nop nop nop nop no  nop no",
    ("project_edit", "GET"):                             "no  no  no  ok  ok  no  no  no  ok  no",
    ("project_edit", "POST"):                            "no  no  no  nop nop no  no  no  nop no",
    ("company_project_transition", "POST"):              "no  no  no  ok  ok  nop nop no  ok  no",
    ("company_project_preview", "GET"):                  "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project_preview", "POST"):                 "no  no  no  nop nop nop nop no  nop no",
    ("company_project_experts", "GET"):                  "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_project_experts", "POST"):                 "no  no  no  no  no  no  no  no  no  no",
    ("company_invitation_revoke", "POST"):               "no  no  no  ok  ok  nop nop no  ok  no",
    ("company_project_applications", "GET"):             "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("company_project_applications", "POST"):            "no  no  no  no  no  no  no  no  no  no",
    ("jobs", "GET"):                                     "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("jobs", "POST"):                                    "no  nop nop nop nop nop nop nop nop nop",
    ("my_invitations", "GET"):                           "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("my_invitations", "POST"):                          "no  nop nop nop nop nop nop nop nop nop",
    ("invitation_respond", "POST"):                      "no  ok  no  no  no  no  no  no  no  no",
    ("job", "GET"):                                      "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("job", "POST"):                                     "no  nop nop nop nop nop nop nop nop nop",
    ("job_opt_in", "POST"):                              "no  ok  ok  nop nop nop nop nop nop nop",
    ("job_apply", "POST"):                               "no  ok  ok  nop nop nop nop nop nop nop",
    ("my_work", "GET"):                                  "no  ok  ok  no  no  no  no  no  no  no",
    ("my_work", "POST"):                                 "no  nop nop no  no  no  no  no  no  no",
    ("workspace_project", "GET"):                        "no  ok  ok  no  no  no  no  no  no  no",
    ("workspace_project", "POST"):                       "no  nop nop no  no  no  no  no  no  no",
    ("workspace_task", "GET"):                           "no  ok  no  no  no  no  no  no  no  no",
    ("workspace_task", "POST"):                          "no  nop no  no  no  no  no  no  no  no",
    ("company_project_imports", "GET"):                  "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_project_imports", "POST"):                 "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_import_job_row", "GET"):                   "no  no  no  ok  ok  no  no  no  ok  no",
    ("company_import_job_row", "POST"):                  "no  no  no  nop nop no  no  no  nop no",
    ("company_project_exports", "GET"):                  "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_project_exports", "POST"):                 "no  no  no  nop nop nop no  no  nop no",
    ("company_export_job_row", "GET"):                   "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_export_job_row", "POST"):                  "no  no  no  nop nop nop no  no  nop no",
    ("company_export_job_download", "GET"):              "no  no  no  ok  ok  ok  no  no  ok  no",
    ("company_export_job_download", "POST"):             "no  no  no  nop nop nop no  no  nop no",
    ("review_queue", "GET"):                             "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("review_queue", "POST"):                            "no  no  no  nop nop nop nop no  nop no",
    ("review_bulk_accept", "POST"):                      "no  no  no  ok  ok  ok  no  no  ok  no",
    ("review_accept", "POST"):                           "no  no  no  ok  ok  ok  no  no  ok  no",
    ("review_reject", "POST"):                           "no  no  no  ok  ok  ok  no  no  ok  no",
    ("staff_appeals", "GET"):                            "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_appeals", "POST"):                           "no  no  no  no  no  no  no  no  nop nop",
    ("staff_appeal", "GET"):                             "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_appeal", "POST"):                            "no  no  no  no  no  no  no  no  nop no",
    ("my_appeals", "GET"):                               "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("my_appeals", "POST"):                              "no  nop nop nop nop nop nop nop nop nop",
    ("annotation_appeal", "GET"):                        "no  ok  no  no  no  no  no  no  no  no",
    ("annotation_appeal", "POST"):                       "no  nop no  no  no  no  no  no  no  no",
    ("my_suspension", "GET"):                            "no  ok  no  no  no  no  no  no  no  no",
    ("my_suspension", "POST"):                           "no  nop no  no  no  no  no  no  no  no",
    ("webhook_endpoints", "GET"):                        "no  no  no  ok  ok  no  no  no  ok  no",
    ("webhook_endpoints", "POST"):                       "no  no  no  nop nop no  no  no  nop no",
    ("webhook_endpoint", "GET"):                         "no  no  no  ok  ok  no  no  no  ok  no",
    ("webhook_endpoint", "POST"):                        "no  no  no  nop nop no  no  no  nop no",
    ("quality_dashboard", "GET"):                        "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("quality_dashboard", "POST"):                       "no  no  no  nop nop nop nop no  nop nop",
    ("quality_judges", "GET"):                           "no  no  no  ok  ok  ok  ok  no  ok  ok",
    ("quality_judges", "POST"):                          "no  no  no  ok  ok  no  no  no  ok  no",
    ("quality_flag_review", "POST"):                     "no  no  no  ok  ok  nop nop no  ok  nop",
    ("quality_gold_retire", "POST"):                     "no  no  no  ok  ok  nop nop no  ok  nop",
    ("quality_recompute", "POST"):                       "no  no  no  nop nop no  no  no  nop no",
    ("staff_quality", "GET"):                            "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_quality", "POST"):                           "no  no  no  no  no  no  no  no  nop nop",
    ("stripe_webhook", "POST"):                          "400 400 400 400 400 400 400 400 400 400",
    ("project_funding", "GET"):                          "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("project_funding", "POST"):                         "no  no  no  nop nop nop nop no  nop no",
    ("company_spend", "GET"):                            "no  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    ("company_spend", "POST"):                           "no  nop nop nop nop nop nop nop nop nop",
    ("funding_receipt", "GET"):                          "no  no  no  ok  ok  ok  ok  no  ok  no",
    ("funding_receipt", "POST"):                         "no  no  no  nop nop nop nop no  nop no",
    ("expert_earnings", "GET"):                          "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_earnings", "POST"):                         "no  nop nop no  no  no  no  no  no  no",
    ("expert_earnings_csv", "GET"):                      "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_earnings_csv", "POST"):                     "no  nop nop no  no  no  no  no  no  no",
    ("expert_pay_stub", "GET"):                          "no  ok  no  no  no  no  no  no  no  no",
    ("expert_pay_stub", "POST"):                         "no  nop no  no  no  no  no  no  no  no",
    ("expert_connect", "POST"):                          "no  ok  ok  no  no  no  no  no  no  no",
    ("expert_pay_now", "POST"):                          "no  nop nop no  no  no  no  no  no  no",
    ("staff_pay_audit", "GET"):                          "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_pay_audit", "POST"):                         "no  no  no  no  no  no  no  no  ok  no",
    ("staff_ledger", "GET"):                             "no  no  no  no  no  no  no  no  ok  ok",
    ("staff_ledger", "POST"):                            "no  no  no  no  no  no  no  no  nop nop",
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


class RowCounter:
    """Rows inserted, updated or deleted in this transaction, over all tables. PostgreSQL keeps
    counting the work of rolled-back savepoints, so the count only grows and one reading after
    each request gives what that request wrote."""

    def __init__(self):
        self.last = self._read()

    @staticmethod
    def _read() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                # A page may still save the requester's own session (harmless).
                "FROM pg_stat_xact_user_tables WHERE relname <> 'django_session'"
            )
            return int(cursor.fetchone()[0])

    def written(self) -> int:
        """Rows written since the last call."""
        now = self._read()
        written, self.last = now - self.last, now
        return written


def _outcome(response, method: str, written: int) -> str:
    status = response.status_code
    if status >= 500:
        return str(status)
    if status in (401, 403, 404):
        return "no"
    if status in (301, 302, 303) and response.get("Location", "").startswith(LOGIN_PREFIX):
        return "no"
    if 200 <= status < 400:
        # A refused page action redirects like a performed one; only the rows tell them apart.
        return "ok" if method in SAFE or written else "nop"
    return str(status)


def _message(response) -> str:
    """The flash messages a page response stores (the cookie of Django's default storage)."""
    cookie = response.cookies.get("messages")
    return cookie.value if cookie is not None else ""


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _file(name: str, content: bytes, content_type: str) -> tuple:
    return ("file", name, content, content_type)


def _fresh(body: dict | None) -> dict:
    """The body with its files made anew (an upload is consumed by the request that reads it)."""
    return {
        key: SimpleUploadedFile(*value[1:]) if isinstance(value, tuple) else value
        for key, value in (body or {}).items()
    }


def _bodies(world) -> dict[str, dict]:
    """Valid bodies for the writes whose empty body would be refused before any permission
    check could show (a 400 for everyone proves nothing), by route name: JSON for the API
    (multipart for the routes in MULTIPART), form fields for pages."""
    from tests.marketplace.factories import project_data
    from tests.qualifications.factories import PDF_BYTES
    from tests.security.world import GOOD

    items = _file("items.jsonl", b'{"id": "new-1", "prompt": "?"}\n', "application/octet-stream")
    verdicts = json.dumps({"external_id": "main-r0", "judge": "gpt-judge", "verdict": GOOD})
    judge_upload = {"file": _file("v.jsonl", verdicts.encode(), "application/octet-stream")}
    credential = {
        "kind": "licence",
        "title": "Board certification",
        "issuer": "General Medical Council",
        "evidence": _file("licence.pdf", PDF_BYTES, "application/pdf"),
    }
    pending = world.objects["pending_annotation"]
    rejection = {"reason": "Skipped §2.", "reference_kind": "instruction", "reference_text": "§2"}
    return {
        # Pages (form posts).
        "quality_gold_retire": {"retire": "1", "reason": "Ambiguous."},
        "quality_flag_review": {"status": "dismissed", "note": "Checked."},
        "quality_judges": {**judge_upload, "source": "judge"},
        "company_project_transition": {"status": "paused", "reason": "Break."},
        "company_project_imports": {"file": items},
        "review_bulk_accept": {"annotation_ids": [pending.pk]},
        "review_reject": rejection,
        "job_apply": {"note": "I would like to help."},
        "credentials": credential,
        # API, multipart.
        "api-project-quality-judges": {**judge_upload, "source": "judge"},
        "api-project-imports": {"file": items},
        "api-credentials": credential,
        # API, JSON.
        "api-projects": {"organization_id": world.acme.pk, **project_data()},
        "api-job-apply": {"note": "I would like to help."},
        "api-organization": {"name": "Acme Renamed"},
        "api-member": {"role": "reviewer"},
        "api-invitations": {"email": "someone@acme.example", "role": "viewer"},
        "api-project-transition": {"status": "paused"},
        "api-project-validate-response": {"response": GOOD},
        "api-project-invitations": {"expert_id": world.users["expert2"].pk},
        "api-project-application-decide": {"approve": True},
        "api-task-draft": {"draft": {"response": GOOD}},
        "api-task-submit": {"response": GOOD, "active_seconds": 30},
        "api-review-reject": rejection,
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


# API routes that take multipart uploads, not JSON.
MULTIPART = {"api-project-quality-judges", "api-project-imports", "api-credentials"}


def _call(client, route, method: str, path: str, body: dict | None, rows: RowCounter):
    """One request in a rolled-back savepoint; returns (response, rows written during it)."""
    cache.clear()  # throttles and rate limits must not turn the 61st call into a 429
    with transaction.atomic():
        if route.is_api and route.name not in MULTIPART:
            data = json.dumps(body or {}).encode()
            response = client.generic(method, path, data, content_type="application/json")
        elif method == "POST":
            response = client.post(path, _fresh(body))  # multipart, as a browser's form
        else:
            response = client.generic(method, path)
        if getattr(response, "streaming", False):  # run the generator inside the savepoint
            response.streaming_content = [b"".join(response.streaming_content)]
        written = rows.written()
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
    rows = RowCounter()
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
                response, written = _call(clients[role], route, method, path, body, rows)
                outcome = _outcome(response, method, written)
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
                # A page action (POST only) that did nothing must say why; other pages may
                # redirect a POST as they redirect a GET (to a home page, the next step, ...).
                action = not route.is_api and route.methods == ("POST",)
                silent = response.status_code in (301, 302, 303) and not _message(response)
                if outcome == "nop" and action and silent:
                    failures.append(f"{where}: redirected without a word, having done nothing")
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
