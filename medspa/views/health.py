"""Probes for load balancers and orchestrators (docs/operations.md): /livez says the process answers and
asks nothing else; /readyz asks every service a request needs (medspa.health). Neither needs a sign-in,
neither touches the database unless asked to (no transaction around them), neither shows a traceback."""

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from medspa import health


@never_cache
@require_safe
@transaction.non_atomic_requests
def livez(request):
    """200 while the process serves requests: restart it when this stops answering."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
@transaction.non_atomic_requests
def readyz(request):
    """200 when PostgreSQL, the cache, the broker and storage answer; 503 naming those that do not (send
    no traffic here until it is 200 again)."""
    checks = health.readiness()
    failing = [name for name, result in checks.items() if not result["ok"]]
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
