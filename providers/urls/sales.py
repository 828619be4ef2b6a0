from django.urls import path

from providers.views import sales as views_sales

urlpatterns = [
    path("provider/checkout/", views_sales.retail_new, name="retail_new"),
    path("provider/sales/", views_sales.sales, name="sales"),
    path("provider/sales/<int:pk>/", views_sales.sale_detail, name="sale_detail"),
    path("provider/sales/<int:pk>/lines/", views_sales.sale_line, name="sale_line"),
    path("provider/sales/<int:pk>/total/", views_sales.sale_total, name="sale_total"),
    path("provider/sales/<int:pk>/void/", views_sales.sale_void, name="sale_void"),
    path("provider/sales/<int:pk>/refund/", views_sales.sale_refund, name="sale_refund"),
    path("dashboard/sales/<int:pk>/", views_sales.admin_sale_detail, name="admin_sale_detail"),
    path("dashboard/sales/<int:pk>/refund/", views_sales.admin_sale_refund, name="admin_sale_refund"),
]
