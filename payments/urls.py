from django.urls import path

from payments import pages, views

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path(
        "company/projects/<int:project_id>/funding/",
        views.project_funding,
        name="project_funding",
    ),
    path("company/spend/", pages.company_spend, name="company_spend"),
    path("company/receipts/<int:funding_id>/", pages.funding_receipt, name="funding_receipt"),
    path("expert/earnings/", pages.expert_earnings, name="expert_earnings"),
    path("expert/earnings.csv", pages.expert_earnings_csv, name="expert_earnings_csv"),
    path(
        "expert/earnings/projects/<int:project_id>/",
        pages.expert_pay_stub,
        name="expert_pay_stub",
    ),
    path("expert/earnings/connect/", pages.expert_connect, name="expert_connect"),
    path("expert/earnings/pay-now/", pages.expert_pay_now, name="expert_pay_now"),
    path("staff/pay-audit/", pages.staff_pay_audit, name="staff_pay_audit"),
    path("staff/pay-audit/ledger/", pages.staff_ledger, name="staff_ledger"),
]
