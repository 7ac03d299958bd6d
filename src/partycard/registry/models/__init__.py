"""Registry models, one module per sub-domain."""

from .member import Member
from .organisation import Organisation
from .reference import Ethnicity
from .search import NameWord, SearchEntry
from .seed import SeedRun

__all__ = ["Ethnicity", "Member", "NameWord", "Organisation", "SearchEntry", "SeedRun"]
