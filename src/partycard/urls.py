"""URL map: the web pages, the admin (in Vietnamese) and, later, the API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from partycard.api import v1 as api_v1
from partycard.core.redirects import moved
from partycard.reports import views as reports_views

admin.site.site_header = _("Party card system · Administration")
admin.site.site_title = _("Party card system")
admin.site.index_title = _("Administration of the party card system")

urlpatterns = [
    path("", reports_views.home, name="home"),  # an officer's progress overview; others, the registry's
    # Browsers ask for /favicon.ico whatever the page says (the PDFs, the JSON, the admin's own pages).
    path("favicon.ico", RedirectView.as_view(url=static("partycard/favicon.ico"), permanent=True)),
    path("dang-nhap/", auth_views.LoginView.as_view(), name="login"),
    path("dang-nhap/", include("partycard.accounts.urls")),  # the TOTP steps after the password
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("partycard.registry.urls")),  # /to-chuc/, /dang-vien/, /nhap-du-lieu/
    # The registry's English paths of issue 2, moved to Vietnamese ones: bookmarks still work.
    moved(r"registry/organisations/", "/to-chuc/"),
    moved(r"registry/organisations/(?P<code>[^/]+)/children/", "/to-chuc/{code}/cap-duoi/"),
    moved(r"registry/members/", "/dang-vien/"),
    moved(r"registry/members/new/", "/dang-vien/them/"),
    moved(r"registry/members/export/", "/dang-vien/xuat/"),
    moved(r"registry/members/(?P<pk>[0-9]+)/", "/dang-vien/{pk}/"),
    moved(r"registry/members/(?P<pk>[0-9]+)/edit/", "/dang-vien/{pk}/sua/"),
    moved(r"registry/import/", "/nhap-du-lieu/"),
    path("doi-the/", include("partycard.exchange.urls")),
    path("the-dang-vien/", include("partycard.cards.urls")),  # a party membership card and its history
    path("tac-vu/", include("partycard.jobs.urls")),
    path("san-xuat/", include("partycard.production.urls")),  # card production with the manufacturer
    path("phan-phoi/", include("partycard.distribution.urls")),  # cards down the tree, hand-over, destruction
    path("uy-ban-kiem-tra/", include("partycard.inspections.urls")),  # the Inspection Commission
    path("the-dien-tu/", include("partycard.credentials.urls")),  # the member's own e-card
    path("kiem-tra/", include("partycard.credentials.verifier_urls")),  # the offline verifier (PWA)
    # The admin's own password change (Django's form, unaudited) is the audited page's.
    moved(r"admin/password_change/", "/dang-nhap/doi-mat-khau/"),
    path("bao-cao/", include("partycard.reports.urls")),  # progress reports: drill-down, lagging, exports
    path("admin/", admin.site.urls),
    path("tai-khoan/api/", include("partycard.api.urls")),  # the user's API tokens
    path("can-bo/", include("partycard.officers.urls")),  # officer accounts of one's subtree (issue 15)
    path("chuyen-sinh-hoat/", include("partycard.transfers.urls")),  # transfer of party activity (issue 16)
    path("hop-chi-bo/", include("partycard.meetings.urls")),  # cell meetings and check-in
    path("dang-phi/", include("partycard.dues.urls")),  # party dues
    path("cap-lai-the/", include("partycard.losses.urls")),  # lost or damaged cards and their reissue
    path("so-tay/", include("partycard.memberapp.urls")),  # the member's app (PWA)
    path("doi-soat-dan-cu/", include("partycard.population.urls")),  # cross-check, population database (17)
    path("dong-bo/", include("partycard.partysync.urls")),  # sync with the party member database
    path("ra-soat/", include("partycard.review.urls")),  # offline review workbooks, volunteers, completeness
    path("api/v1/", api_v1.urls()),
    path("", include("partycard.ops.urls")),  # /healthz, /readyz, /metrics (docs/observability.md)
]

# Vietnamese error pages (templates/4xx.html, 500.html), problem+json under /api/ (error_views.py).
handler400 = "partycard.error_views.bad_request"
handler403 = "partycard.error_views.permission_denied"
handler404 = "partycard.error_views.page_not_found"
handler500 = "partycard.error_views.server_error"
