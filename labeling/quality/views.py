"""Quality pages: the company's project quality dashboard, the judge-calibration report, and
the staff overview across projects. They read the latest snapshot only (a constant number of
queries) and render charts as server-side SVG (labeling.quality.charts)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from labeling.models import JudgeUpload, QualityFlag
from labeling.quality import charts, selectors, services
from labeling.quality.api import overview_row
from marketplace.views.common import page_errors

MAX_EXPERT_ROWS = 30


# --- formatting -----------------------------------------------------------------------------


def fmt_est(e: dict | None, pct: bool = False) -> str:
    """'0.71 [0.64, 0.77]' or 'not enough data (4 of 10 items)'."""
    if not e:
        return "—"
    if "not_enough" in e:
        return f"not enough data ({e['n_items']} of {e['required']} items)"
    f = (lambda v: f"{v:.0%}") if pct else (lambda v: f"{v:.2f}")
    if e.get("ci_low") is None or e.get("ci_high") is None:
        return f(e["value"])
    return f"{f(e['value'])} [{f(e['ci_low'])}, {f(e['ci_high'])}]"


def _value(e: dict | None) -> float | None:
    return e.get("value") if e and "not_enough" not in e else None


def _ci(e: dict | None) -> tuple[float | None, float | None]:
    if not e or "not_enough" in e:
        return None, None
    return e.get("ci_low"), e.get("ci_high")


def _evidence_rows(evidence: dict) -> list[tuple[str, str]]:
    rows = []
    for key, value in evidence.items():
        label = key.replace("_", " ")
        if key.startswith("p_") and isinstance(value, float | int) and value < 0.0001:
            shown = "< 0.0001"
        elif isinstance(value, float):
            shown = (
                f"{value:.0%}"
                if ("share" in key or "rate" in key or "accuracy" in key or key == "expected")
                else f"{value:.3g}"
            )
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value[:8])
        else:
            shown = str(value)
        rows.append((label, shown))
    return rows


# --- dashboard ------------------------------------------------------------------------------


def dashboard_context(project, snapshot, flags) -> dict:
    data = snapshot.data if snapshot else {}
    criteria = data.get("criteria", [])
    primary = criteria[0] if criteria else None
    context: dict = {"snapshot": snapshot, "data": data, "totals": data.get("totals", {})}
    if primary:
        tl = primary.get("timeline", [])
        context["agreement_chart"] = charts.line_chart(
            [
                ("Krippendorff's alpha", [p["alpha"] for p in tl]),
                ("Percent agreement", [p["percent"] for p in tl]),
            ],
            [p["period"] for p in tl],
            title=f"Agreement over time: {primary['label']}",
            desc="Krippendorff's alpha and raw percent agreement among the items completed "
            "in each period.",
            y_min=min([0.0] + [p["alpha"] for p in tl if p["alpha"] is not None]),
            y_max=1.0,
            reference=("good (0.8)", 0.8),
        )
    context["criteria_rows"] = [
        {
            "label": c["label"],
            "level": c["level"],
            "alpha": fmt_est(c["alpha"]),
            "percent": fmt_est(c["percent"], pct=True),
            "fleiss": fmt_est(c.get("fleiss")) if c.get("fleiss") else "—",
            "pairs": c["pairwise_kappa"],
            "pairs_median": (
                f"{c['pairwise_kappa']['median']:.2f}"
                if c["pairwise_kappa"].get("median") is not None
                else "—"
            ),
            "n": c["alpha"].get("n_items"),
        }
        for c in criteria
    ]
    if criteria:
        context["criteria_chart"] = charts.error_bars(
            [(c["label"], _value(c["alpha"]), *_ci(c["alpha"])) for c in criteria],
            title="Krippendorff's alpha per criterion",
            desc="Each criterion's alpha with its 95% bootstrap interval.",
            x_min=0.0,
            x_max=1.0,
        )
    gold = data.get("gold", {})
    hist = gold.get("histogram")
    context["gold"] = gold
    context["gold_chart"] = charts.histogram(
        hist["edges"] if hist else [],
        hist["counts"] if hist else [],
        title="Gold accuracy of experts",
        desc="How many experts (with enough gold answers) fall in each accuracy band; bands "
        "below the project's threshold are highlighted.",
        x_label="accuracy on gold items",
        highlight_below=gold.get("threshold"),
    )
    experts = data.get("experts", [])
    ranked = sorted(
        (e for e in experts if _value(e.get("kappa")) is not None),
        key=lambda e: _value(e["kappa"]),
    )
    shown = ranked[:MAX_EXPERT_ROWS]
    context["expert_chart"] = charts.error_bars(
        [(e["name"], _value(e["kappa"]), *_ci(e["kappa"])) for e in shown],
        title="Each expert against the consensus of the others",
        desc="Cohen's kappa of each expert's answers against the other experts' majority on "
        "the same items, lowest first; flagged experts highlighted.",
        highlight=[bool(e["flags"]) for e in shown],
        width=1100,
        reference=("experts' median", primary["pairwise_kappa"]["median"])
        if primary and primary["pairwise_kappa"].get("median") is not None
        else None,
    )
    context["experts_hidden"] = max(0, len(ranked) - len(shown))
    context["expert_rows"] = [
        {
            "name": e["name"],
            "n": e["n_annotations"],
            "median_seconds": f"{e['median_seconds']:.0f} s"
            if e.get("median_seconds") is not None
            else "—",
            "agreement": fmt_est(e.get("agreement"), pct=True),
            "kappa": fmt_est(e.get("kappa")),
            "gold": fmt_est(e.get("gold"), pct=True),
            "flags": e["flags"],
        }
        for e in sorted(experts, key=lambda e: (not e["flags"], -e["n_annotations"]))[:50]
    ]
    context["ranking_charts"] = [
        {
            "group": r["group"],
            "n": r["n_comparisons"],
            "chart": charts.error_bars(
                [(x["name"], x["score"], x["ci_low"], x["ci_high"]) for x in r["entities"]],
                title=f"Bradley–Terry ranking: {r['group']}",
                desc="Log-strength of each compared model or response with its 95% interval, "
                "strongest first.",
                width=1100,
            ),
        }
        for r in data.get("ranking", [])
    ]
    context["flags"] = [
        {
            "flag": f,
            "evidence": _evidence_rows(f.evidence),
            "expert": getattr(getattr(f.expert, "expert_profile", None), "pseudonym", None)
            or f"Expert #{f.expert_id}",
        }
        for f in flags
    ]
    context["judges"] = [
        {
            "name": j["name"],
            "source": j["source"],
            "n": j["n_verdicts"],
            "usable_on": j["usable_on"],
            "criteria": [(c["label"], fmt_est(c["kappa"]), c["usable"]) for c in j["criteria"]],
        }
        for j in data.get("judges", [])
    ]
    return context


@login_required
@page_errors
def project_quality(request, project_id: int):
    project = selectors.quality_project_get(user=request.user, project_id=project_id)
    snapshot = selectors.quality_snapshot_latest(project=project)
    flags = list(
        selectors.quality_flags_for_project(project=project, status=QualityFlag.Status.OPEN)[:50]
    )
    context = dashboard_context(project, snapshot, flags)
    context.update(
        project=project, can_manage=selectors.quality_can_manage(user=request.user, project=project)
    )
    return render(request, "labeling/quality_dashboard.html", context)


# --- judge report ---------------------------------------------------------------------------


def judge_context(data: dict) -> list[dict]:
    judges = []
    for j in data.get("judges", []):
        criteria = []
        for c in j["criteria"]:
            alt = c["alt_test"]
            swap = c.get("swap")
            criteria.append(
                {
                    "label": c["label"],
                    "verdict": c["verdict"],
                    "usable": c["usable"],
                    "reasons": c["reasons"],
                    "kappa": fmt_est(c["kappa"]),
                    "agreement": fmt_est(c["agreement"], pct=True),
                    "ceiling": f"{c['expert_ceiling']:.2f}"
                    if c["expert_ceiling"] is not None
                    else "no expert pair shares enough items",
                    "n_pairs": c["n_expert_pairs"],
                    "alt": alt,
                    "alt_text": (
                        f"{alt['winning_rate']:.0%} of {alt['n_experts']} experts "
                        f"({'passes' if alt['passed'] else 'fails'}; "
                        f"ε={alt['epsilon']})"
                    )
                    if "winning_rate" in alt
                    else fmt_est(alt),
                    "swap": swap,
                    "swap_text": (
                        f"{fmt_est(swap['position_bias_rate'], pct=True)} of "
                        f"{swap['n_pairs']} swapped pairs kept the same position"
                        + (f" (biased to the {swap['direction']})" if swap["biased"] else "")
                    )
                    if swap
                    else "no swapped verdicts",
                    "consistency": fmt_est(swap["consistency"], pct=True) if swap else "—",
                    "heatmap": charts.heatmap(
                        c["confusion"],
                        c["classes"],
                        c["classes"],
                        title=f"{j['name']} vs expert consensus: {c['label']}",
                        desc="Rows: the judge's verdict; columns: the experts' consensus; the "
                        "diagonal is agreement.",
                        row_title="judge",
                        col_title="expert consensus",
                    ),
                }
            )
        chart = charts.error_bars(
            [(c["label"], _value(c["kappa"]), *_ci(c["kappa"])) for c in j["criteria"]],
            title=f"{j['name']}: kappa against the expert consensus",
            desc="Cohen's kappa per criterion with its 95% bootstrap interval; orange rows "
            "fall below the experts' own agreement.",
            x_min=0.0,
            x_max=1.0,
            highlight=[not c["usable"] for c in j["criteria"]],
            width=1100,
        )
        judges.append(
            {
                "name": j["name"],
                "source": j["source"],
                "n": j["n_verdicts"],
                "usable_on": j["usable_on"],
                "criteria": criteria,
                "chart": chart,
            }
        )
    return judges


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def judge_report(request, project_id: int):
    project = selectors.quality_project_get(user=request.user, project_id=project_id)
    can_manage = selectors.quality_can_manage(user=request.user, project=project)
    upload_errors = None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("This needs the manager role or higher.")
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise services.ValidationFailed("Choose a JSONL file.")
            result = services.judge_verdicts_import(
                project=project,
                user=request.user,
                content=upload.read(),
                filename=upload.name or "",
                source=request.POST.get("source", "judge"),
                request=request,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            upload_errors = sorted(exc.fields.items(), key=lambda kv: _line_no(kv[0]))
        else:
            messages.success(
                request,
                f"{result.n_verdicts} verdicts imported; the report "
                "updates when the recomputation finishes.",
            )
            return redirect("quality_judges", project_id=project.pk)
    snapshot = selectors.quality_snapshot_latest(project=project)
    data = snapshot.data if snapshot else {}
    return render(
        request,
        "labeling/quality_judges.html",
        {
            "project": project,
            "snapshot": snapshot,
            "judges": judge_context(data),
            "can_manage": can_manage,
            "upload_errors": upload_errors,
            "uploads": list(selectors.judge_uploads_for_project(project=project)[:10]),
            "sources": JudgeUpload.Source.choices,
        },
    )


def _line_no(key: str) -> int:
    try:
        return int(key.split()[-1])
    except (ValueError, IndexError):
        return 0


# --- actions --------------------------------------------------------------------------------


@login_required
@page_errors
@require_POST
def flag_review(request, project_id: int, flag_id: int):
    project = selectors.quality_project_get(user=request.user, project_id=project_id)
    try:
        services.quality_flag_review(
            flag_id=flag_id,
            project=project,
            user=request.user,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
            request=request,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Flag closed.")
    return redirect("quality_dashboard", project_id=project.pk)


@login_required
@page_errors
@require_POST
def gold_retire(request, project_id: int, item_id: int):
    project = selectors.quality_project_get(user=request.user, project_id=project_id)
    try:
        item = services.gold_item_retire(
            project=project,
            item_id=item_id,
            user=request.user,
            retire=request.POST.get("retire", "1") == "1",
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Gold item {item.external_id} "
            f"{'retired' if item.gold_retired else 'restored'}; gold "
            "records were rescored.",
        )
    return redirect("quality_dashboard", project_id=project.pk)


@login_required
@page_errors
@require_POST
def recompute(request, project_id: int):
    project = selectors.quality_project_get(user=request.user, project_id=project_id)
    if not selectors.quality_can_manage(user=request.user, project=project):
        raise PermissionDenied("This needs the manager role or higher.")
    services.quality_snapshot_enqueue(project_id=project.pk)
    messages.success(request, "Recomputation queued; refresh in a minute.")
    return redirect("quality_dashboard", project_id=project.pk)


# --- staff ----------------------------------------------------------------------------------


@login_required
@page_errors
def staff_overview(request):
    rows = selectors.quality_overview_for_staff(user=request.user)
    table = [overview_row(r) for r in rows]
    for r in table:
        r["alpha_text"] = fmt_est(r["alpha"])
        r["gold_text"] = (
            f"{r['gold_mean_accuracy']:.0%}" if r["gold_mean_accuracy"] is not None else "—"
        )
    chart = charts.error_bars(
        [(f"{r['title'][:28]}", _value(r["alpha"]), *_ci(r["alpha"])) for r in table],
        title="Agreement across projects",
        desc="Krippendorff's alpha on each project's main criterion, with 95% intervals.",
        x_min=0.0,
        x_max=1.0,
        highlight=[r["open_flags"] > 0 for r in table],
        width=1100,
    )
    return render(request, "labeling/quality_staff.html", {"rows": table, "chart": chart})
