"""Public GFE routes, included at the site root without a namespace: the external clearer's secure link
(no sign-in; the token is the only key, it expires and works once)."""

from django.urls import path

from gfe import views_review

urlpatterns = [
    path("gfe/review/<str:token>/", views_review.review, name="gfe_review"),
]
