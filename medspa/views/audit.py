"""Portrait staff's check of the audit trail's hash chains (/audit/chains/): each chain of the patient
access log and the masquerade log, recomputed now, and the first row that breaks it."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from medspa.audit_chain import audit_chains_verify
from medspa.permissions import staff_required


@require_GET
@staff_required
def audit_chains(request):
    reports = audit_chains_verify()
    return render(
        request,
        "medspa/audit_chains.html",
        {"reports": reports, "broken": [report for report in reports if not report.intact]},
    )
