"""The GFE API routes, included under /api/v1/ by the project's URLs."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from gfe.api import views

router = SimpleRouter(use_regex_path=False)
router.register("gfe/clearances", views.ClearanceViewSet, basename="clearance")
router.register("gfe/requests", views.GfeRequestViewSet, basename="gfe-request")

urlpatterns = [*router.urls, path("gfe/gate/", views.GateView.as_view(), name="gfe-gate")]
