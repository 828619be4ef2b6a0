"""The API's exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]): a domain error raised by a service
answers its status and body here, once, instead of in each view."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from medspa.errors import DomainError


def exception_handler(exc, context):
    """DRF's handler, plus: a DomainError answers `exc.status_code` with `exc.api_data()`, and the request's
    transaction is rolled back as for DRF's own errors (a refused request changes nothing)."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(exc.api_data(), status=exc.status_code)
    return drf_exception_handler(exc, context)
