"""The Scheduling API routes, included under /api/v1/ by the project's URLs."""

from rest_framework.routers import SimpleRouter

from scheduling import api

router = SimpleRouter(use_regex_path=False)
router.register("locations", api.LocationViewSet, basename="location")
router.register("appointment-types", api.AppointmentTypeViewSet, basename="appointment-type")
router.register("availability-rules", api.AvailabilityRuleViewSet, basename="availability-rule")
router.register("availability-overrides", api.AvailabilityOverrideViewSet, basename="availability-override")
router.register("closures", api.ClosureViewSet, basename="closure")
router.register("appointments", api.AppointmentViewSet, basename="appointment")

urlpatterns = router.urls
