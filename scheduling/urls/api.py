"""The Scheduling API routes, included under /api/v1/ by the project's URLs."""

from rest_framework.routers import SimpleRouter

from scheduling.api import views

router = SimpleRouter(use_regex_path=False)
router.register("locations", views.LocationViewSet, basename="location")
router.register("appointment-types", views.AppointmentTypeViewSet, basename="appointment-type")
router.register("availability-rules", views.AvailabilityRuleViewSet, basename="availability-rule")
router.register("availability-overrides", views.AvailabilityOverrideViewSet, basename="availability-override")
router.register("closures", views.ClosureViewSet, basename="closure")
router.register("appointments", views.AppointmentViewSet, basename="appointment")

urlpatterns = router.urls
