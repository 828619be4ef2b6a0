"""The admin's own API tokens (/dashboard/settings/api-tokens/): what each is for, when it expires and was
last used, and revoking one. Tokens are made in Django admin, where the token is shown once."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.selectors import accounts as account_selectors
from medspa.services import accounts as account_services


@dashboard_area(dashboards.ADMIN)
def api_token_list(request):
    return render(
        request, "medspa/api_tokens.html", {"tokens": account_selectors.api_tokens_of(request.user)}
    )


@require_POST
@dashboard_area(dashboards.ADMIN)
def api_token_revoke(request, digest: str):
    """Only the admin's own token is found: anyone else's answers 404, as if it did not exist."""
    token = get_object_or_404(account_selectors.api_tokens_of(request.user), digest=digest)
    account_services.api_token_revoke(token=token)
    messages.success(request, f"The token {token.token_key}… is revoked: it no longer opens the API.")
    return redirect("api_token_list")
