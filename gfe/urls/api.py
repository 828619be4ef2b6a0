"""The GFE API routes, included under /api/v1/ by the project's URLs."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from gfe import api

router = SimpleRouter(use_regex_path=False)
router.register("gfe/clearances", api.ClearanceViewSet, basename="clearance")
router.register("gfe/requests", api.GfeRequestViewSet, basename="gfe-request")

urlpatterns = [*router.urls, path("gfe/gate/", api.GateView.as_view(), name="gfe-gate")]
