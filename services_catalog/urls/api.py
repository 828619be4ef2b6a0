"""The Services / Products API routes, included under /api/v1/ by the project's URLs."""

from rest_framework.routers import SimpleRouter

from services_catalog.api import views

router = SimpleRouter(use_regex_path=False)
router.register("services", views.ServiceViewSet, basename="service")
router.register("service-groups", views.ServiceGroupViewSet, basename="service-group")
router.register("consents", views.ConsentViewSet, basename="consent")
router.register("care-messages", views.CareMessageViewSet, basename="care-message")
router.register("standing-orders", views.StandingOrderViewSet, basename="standing-order")
router.register("library-services", views.LibraryServiceViewSet, basename="library-service")
router.register("retail-products", views.RetailProductViewSet, basename="retail-product")

urlpatterns = router.urls
