"""The browser tests' ``page`` fixture (tests/web/browser.py), for every module here."""

from tests.web.browser import page

__all__ = ["page"]
