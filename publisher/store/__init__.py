"""The state database (SQLite, standard library): what was seen, published and sent.

``Store`` is one connection with the methods of every table, grouped by concern:
``articles`` (input files, articles, boilerplate memory, keyword terms), ``history`` (the
topics and sites of the facet feeds, the months of the feed's history), ``mail`` (digest
issues, subscribers, deliveries) and ``jobs`` (the daemon's runs), on the connection,
migrations and transactions of ``database``. What an article's JSON column holds is
``payload``'s; ``lock`` is the run lock beside the database. Only the use cases (build,
mailing, preview, jobs) open it; stages never see it.
"""

from .articles import ArticleTables, FileState, TermCounts
from .history import HistoryTables
from .jobs import JobTables
from .lock import run_lock
from .mail import Delivery, MailTables, Subscriber
from .payload import ArticleListing, ArticleRecord, Listing, StoredArticle


class Store(ArticleTables, HistoryTables, MailTables, JobTables):
    """A connection to the state database. Use ``Store.open(path)`` as a context manager
    (``Store.reading(path)`` in a worker that only reads)."""


__all__ = [
    "ArticleListing",
    "ArticleRecord",
    "Delivery",
    "FileState",
    "Listing",
    "Store",
    "StoredArticle",
    "Subscriber",
    "TermCounts",
    "run_lock",
]
