"""The registry of job kinds, owned by jobs and filled by the apps above it (``AppConfig.ready``).

jobs is low in the layers (just above accounts): it runs the registry's roster imports and the exchange's
bulk actions without importing either. Each app registers its kinds here with :func:`register`: how to
run one (a :class:`Kind`: how many chunks a job has and how to do one), the label people see, and an
optional :data:`JobPageFn` that tells the job page what only the kind knows (the heading, whose names the
failed targets are, which page they link to, what to show once the job is done), and an optional
:data:`FileScopeFn` that says whether a downloader still has in scope the record a result file is about
(an organisation moved since the file was made is where it is now, not where it was). The job page asks
:func:`job_page`, the download :func:`file_in_scope`; the runner asks :func:`kind_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.functional import Promise

from partycard.jobs.models import Job

__all__ = [
    "ChunkResult",
    "Failure",
    "FileScopeFn",
    "JobPage",
    "JobPageFn",
    "Kind",
    "file_in_scope",
    "job_page",
    "kind_label",
    "kind_of",
    "register",
]


@dataclass(frozen=True)
class Failure:
    target_id: int
    message_vi: str
    message_en: str


@dataclass
class ChunkResult:
    succeeded: int = 0
    failures: list[Failure] = field(default_factory=list)


class Kind(Protocol):
    def chunk_count(self, job: Job) -> int: ...

    def total(self, job: Job) -> int: ...

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        """Do chunk ``index`` inside the caller's transaction; raise to roll it back."""
        ...


@dataclass(frozen=True)
class JobPage:
    """What the job page shows of one job beyond its status and counts; every field is optional."""

    title: str = ""  # the heading, when more specific than the kind's label (a transition's name)
    reason: str = ""  # the reason the starter gave
    back_url: str = ""  # where "Back" leads ("": the home page)
    target_view: str = ""  # URL name of a failed target's page, reversed with its id ("": no link)
    target_heading: str = ""  # the failures' first column ("": "Record")
    target_names: Mapping[int, str] = field(default_factory=dict)  # failed targets in the viewer's scope
    result_template: str = ""  # a template included under the counts, given ``result`` (below)
    result_context: Mapping[str, Any] = field(default_factory=dict)


#: ``(viewer, job, failed target ids shown) -> JobPage``. It runs for every page view and poll: it must only
#: read, and only what ``viewer`` may see (names of targets outside their scope stay out).
JobPageFn = Callable[[Any, Job, Sequence[int]], JobPage]

#: ``(downloader, job, action) -> bool``: whether the record the job's result file holds data of (an
#: organisation's subtree, looked up where it is now) is in the downloader's scope for ``action``. Only reads.
FileScopeFn = Callable[[Any, Job, str], bool]


@dataclass(frozen=True)
class _Display:
    label: str | Promise
    page: JobPageFn | None
    file_scope: FileScopeFn | None = None


_KINDS: dict[str, Kind] = {}
_DISPLAYS: dict[str, _Display] = {}


def register(
    name: str,
    kind: Kind,
    *,
    label: str | Promise | None = None,
    page: JobPageFn | None = None,
    file_scope: FileScopeFn | None = None,
) -> None:
    """Make ``name`` a kind of job: ``kind`` runs it; ``label`` (default: ``name``) and ``page`` show it;
    ``file_scope`` checks, at each download, the record its result file is about.

    Called from the owning app's ``AppConfig.ready``; registering a name again replaces it.
    """
    _KINDS[name] = kind
    _DISPLAYS[name] = _Display(label if label is not None else name, page, file_scope)


def kind_of(job: Job) -> Kind:
    try:
        return _KINDS[job.kind]
    except KeyError as e:
        raise ValueError(f"unknown job kind {job.kind!r}") from e


def kind_label(name: str) -> str:
    """The label of the kind called ``name`` (the name itself for a kind nobody registered)."""
    display = _DISPLAYS.get(name)
    return str(display.label) if display is not None else name


def job_page(viewer: Any, job: Job, target_ids: Sequence[int]) -> JobPage:
    """What the page shows of ``job`` for ``viewer``, by its kind (nothing beyond the counts if none)."""
    display = _DISPLAYS.get(job.kind)
    if display is None or display.page is None:
        return JobPage()
    return display.page(viewer, job, target_ids)


def file_in_scope(actor: Any, job: Job, action: str) -> bool:
    """Whether ``actor`` still has ``action`` over what ``job``'s result file is about, by its kind's
    ``file_scope``; a kind that registered none has only the file's own path checked (by the caller)."""
    display = _DISPLAYS.get(job.kind)
    if display is None or display.file_scope is None:
        return True
    return display.file_scope(actor, job, action)
