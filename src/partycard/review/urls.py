"""The review pages."""

from django.urls import URLPattern

app_name = "review"
urlpatterns: list[URLPattern] = []

# The volunteers' assignments (issue 17, H4): their own module, so the review pages and these merge apart.
from partycard.review.assignments_urls import urlpatterns as _assignment_urls  # noqa: E402

urlpatterns += _assignment_urls
