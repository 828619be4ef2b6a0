"""The Services / Products API routes, included under /api/v1/ by the project's URLs."""

from rest_framework.routers import SimpleRouter

from services_catalog import api

router = SimpleRouter(use_regex_path=False)
router.register("services", api.ServiceViewSet, basename="service")
router.register("service-groups", api.ServiceGroupViewSet, basename="service-group")
router.register("consents", api.ConsentViewSet, basename="consent")
router.register("care-messages", api.CareMessageViewSet, basename="care-message")
router.register("standing-orders", api.StandingOrderViewSet, basename="standing-order")
router.register("library-services", api.LibraryServiceViewSet, basename="library-service")
router.register("retail-products", api.RetailProductViewSet, basename="retail-product")

urlpatterns = router.urls
