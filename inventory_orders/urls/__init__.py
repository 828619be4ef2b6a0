from django.urls import path

from inventory_orders import views

app_name = "inventory_orders"
urlpatterns = [
    path("", views.home, name="home"),
    path("products/<int:pk>/", views.product, name="product"),
    path("products/<int:pk>/pricing-issue/", views.product_pricing_issue, name="product_pricing_issue"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/line/", views.cart_line, name="cart_line"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/", views.order, name="order"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="cancel"),
    path("orders/<int:pk>/again/", views.order_again, name="order_again"),
    path("orders/<int:pk>/pricing-issue/", views.order_pricing_issue, name="pricing_issue"),
]
