"""The exchange's web pages. Thin views: parse, call one selector or service, render (STYLE.md rule 8).

Every page starts from the actor's scope; a case outside it is a 404, the same as a missing one.
"""

from partycard.exchange.views.cases import case_act, case_detail
from partycard.exchange.views.cell import cell_page
from partycard.exchange.views.queue import queue_page

__all__ = ["case_act", "case_detail", "cell_page", "queue_page"]
