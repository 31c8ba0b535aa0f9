from django.utils.translation import gettext_lazy as _


def brand_admin_site(site) -> None:
    """The admin is the product's home: brand it cxoffice."""
    site.site_header = "cxoffice"  # the product's name, not translated
    site.site_title = "cxoffice"
    site.index_title = _("CX back office")
