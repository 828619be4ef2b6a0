"""Public GFE routes, included at the site root without a namespace: the external clearer's secure link
(no sign-in; the token is the only key, it expires and works once)."""

from django.urls import path

from gfe.views import review

urlpatterns = [
    path("gfe/review/<str:token>/", review.review, name="gfe_review"),
]
