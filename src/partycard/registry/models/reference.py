"""Reference tables: the 54 recognised ethnic groups (Decision 121-TCTK/PPCĐ codes 01–54)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Ethnicity(models.Model):
    code = models.PositiveSmallIntegerField(_("code"), primary_key=True)
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("ethnic group")
        verbose_name_plural = _("ethnic groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
