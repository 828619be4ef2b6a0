"""The core of the product: tenants (medspas), users and roles, patients, the audit trail, and the wiring of
the project (settings, URLs, Celery)."""

from medspa.celery import app as celery_app

__all__ = ["celery_app"]
