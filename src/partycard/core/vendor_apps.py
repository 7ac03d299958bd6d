"""Third-party apps under Vietnamese names: the admin's index, its breadcrumbs and its permission lists
show an app's ``verbose_name``, which these apps give in English or not at all (Django's documented way:
a subclass of the app's config, named in ``INSTALLED_APPS``)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig

__all__ = ["AxesConfig", "TasksDatabaseConfig"]


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login log")


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Task queue")  # type: ignore[assignment]  # lazy, as Django allows; its base says str
