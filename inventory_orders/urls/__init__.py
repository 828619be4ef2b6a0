from django.urls import path

from inventory_orders.views import dashboard

app_name = "inventory_orders"
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("products/<int:pk>/", dashboard.product, name="product"),
    path("products/<int:pk>/pricing-issue/", dashboard.product_pricing_issue, name="product_pricing_issue"),
    path("cart/", dashboard.cart, name="cart"),
    path("cart/add/", dashboard.cart_add, name="cart_add"),
    path("cart/line/", dashboard.cart_line, name="cart_line"),
    path("checkout/", dashboard.checkout, name="checkout"),
    path("orders/", dashboard.orders, name="orders"),
    path("orders/<int:pk>/", dashboard.order, name="order"),
    path("orders/<int:pk>/cancel/", dashboard.order_cancel, name="cancel"),
    path("orders/<int:pk>/again/", dashboard.order_again, name="order_again"),
    path("orders/<int:pk>/pricing-issue/", dashboard.order_pricing_issue, name="pricing_issue"),
]
