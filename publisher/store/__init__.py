"""The state database (SQLite, standard library): what was seen, published and sent.

``Store`` is one connection with the methods of every table, grouped by concern:
``articles`` (input files, articles, keyword terms), ``boilerplate`` (the cross-document
memory and its retention rule), ``pending`` (what a build left to finish), ``inputs`` (the
input directories as last listed), ``history`` (the topics and sites of the facet feeds,
the months of the feed's history), ``mail`` (digest issues, subscribers, deliveries),
``jobs`` (the daemon's runs), ``removals`` (unpublished articles), ``fetch`` (the fetcher's
sources, validators and documents from the web) and ``readers`` (preferences, mail rounds,
signups, bounces, erasures), on the connection, migrations and transactions of
``database``. What an article's JSON column holds is ``payload``'s; ``lock`` holds the
build and send locks beside the database. Only the use cases (build, mailing, preview,
jobs, backup, fetch, doctor) open it; stages never see it.
"""

from .articles import ArticleTables, FileState, TermCounts
from .boilerplate import BoilerplateTables
from .fetch import FetchTables, WebDocument, WebSource
from .history import HistoryTables
from .inputs import DirState, InputTables
from .jobs import JobTables
from .lock import run_lock, send_lock
from .mail import Delivery, MailTables, Subscriber
from .payload import ArticleListing, ArticleRecord, Listing, StoredArticle
from .pending import PendingTables
from .readers import ReaderTables, Signup
from .removals import Named, RemovalTables


class Store(
    ArticleTables,
    HistoryTables,
    MailTables,
    JobTables,
    RemovalTables,
    FetchTables,
    ReaderTables,
    BoilerplateTables,
    PendingTables,
    InputTables,
):
    """A connection to the state database. Use ``Store.open(path)`` as a context manager
    (``Store.reading(path)`` in a worker that only reads)."""


__all__ = [
    "ArticleListing",
    "ArticleRecord",
    "Delivery",
    "DirState",
    "FileState",
    "Listing",
    "Named",
    "Signup",
    "Store",
    "StoredArticle",
    "Subscriber",
    "TermCounts",
    "WebDocument",
    "WebSource",
    "run_lock",
    "send_lock",
]
