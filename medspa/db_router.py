"""Reading from the read replica: a streaming standby of the primary (DATABASE_REPLICA_URL, the alias
"replica"), used only for the heavy pages that read and never decide a write from what they read.

Nothing reads from the replica by default. A view opts in with `replica_view` (or a block with
`replica_reads`), and even then the primary answers:
- every write, and every read of a write's query (select_for_update, get_or_create: `db_for_write`);
- reads inside a transaction opened within the block (a service's `transaction.atomic`), which must see
  its own writes and lock what it read;
- when no replica is configured, or DATABASE_REPLICA_READS is off (an operator's switch), or the replica
  cannot be reached as the block starts;
- for REPLICA_STICKY_SECONDS after the user's last write (a POST, PUT, PATCH or DELETE: `ReplicaSticky`),
  so that a user never misses their own change while the replica replays it.

A standby is behind the primary by its replay lag (normally well under a second on a local network), so an
opted-in page may miss another user's change of that last moment; that is the trade these pages accept.

Tenancy holds on the replica as on the primary: django-scopes filters every query in Python, whichever
connection runs it, and no per-connection state carries security (no row-level security, no SET ROLE: the
replica is read as the same app role). django-pghistory's audit context is set per write statement on the
primary's connection only, and the replica takes no writes (a standby refuses them)."""

import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

REPLICA = "replica"
STICKY_SESSION_KEY = "replica_primary_until"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Reads:
    alias: str
    primary_depth: int  # the primary's atomic blocks open as the block began: any deeper one reads there


_reads: contextvars.ContextVar[_Reads | None] = contextvars.ContextVar("replica_reads", default=None)


def replica_configured() -> bool:
    """A replica is configured and reads from it are on."""
    return REPLICA in settings.DATABASES and settings.DATABASE_REPLICA_READS


def sticky(request) -> bool:
    """The request's user wrote less than REPLICA_STICKY_SECONDS ago: their reads stay on the primary."""
    session = getattr(request, "session", None)
    return session is not None and session.get(STICKY_SESSION_KEY, 0) > time.time()


def _replica_reachable() -> bool:
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        logger.warning("The read replica cannot be reached: reading from the primary", exc_info=True)
        return False
    return True


@contextmanager
def replica_reads(request=None) -> Iterator[str]:
    """Reads of the block from the replica, where it may (see the module); yields the alias they read from,
    for a block that opens its own transaction there (`transaction.atomic(using=alias)`)."""
    use_replica = replica_configured() and not (request is not None and sticky(request))
    alias = REPLICA if use_replica and _replica_reachable() else DEFAULT_DB_ALIAS
    token = _reads.set(_Reads(alias, len(connections[DEFAULT_DB_ALIAS].atomic_blocks)))
    try:
        yield alias
    finally:
        _reads.reset(token)


@contextmanager
def replica_export(request) -> Iterator[None]:
    """For an export streamed after its view returned: `replica_reads`, and on the replica one transaction,
    so that the file is one snapshot and its server-side cursor lives inside a transaction (as PgBouncer's
    transaction mode requires). On the primary, no transaction: the patient access log written chunk by chunk
    must stay written if the download stops halfway."""
    with replica_reads(request) as alias:
        if alias == DEFAULT_DB_ALIAS:
            yield
            return
        with transaction.atomic(using=alias):
            yield


def replica_view(view: Callable) -> Callable:
    """The view's reads from the replica, in one transaction there (`replica_export` with the request): the
    page is one snapshot, and a queryset the page iterates with a server-side cursor (a form's choices do)
    lives inside a transaction, as PgBouncer's transaction mode requires. Put it under the permission
    decorators, so that what decides access is read from the primary."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with replica_export(request):
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Reads inside `replica_reads` go to the replica; everything else, and every write, to the primary.
    Migrations run on the primary only: the standby replays them."""

    def db_for_read(self, model, **hints) -> str | None:
        reads = _reads.get()
        if reads is None or reads.alias == DEFAULT_DB_ALIAS:
            return None
        if len(connections[DEFAULT_DB_ALIAS].atomic_blocks) > reads.primary_depth:
            return DEFAULT_DB_ALIAS  # a transaction opened within the block: it reads what it writes
        return reads.alias

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True  # one database: the replica is a copy of the primary
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaSticky:
    """Middleware: after a write request (POST, PUT, PATCH, DELETE) of a browser session, the user's reads
    stay on the primary for REPLICA_STICKY_SECONDS (kept in the session, which outlives the node that
    answered). Requests without a session (API tokens) are left alone: no session is made for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            request.method in UNSAFE_METHODS
            and session is not None
            and not session.is_empty()
            and REPLICA in settings.DATABASES
            and settings.REPLICA_STICKY_SECONDS > 0
        ):
            session[STICKY_SESSION_KEY] = time.time() + settings.REPLICA_STICKY_SECONDS
        return response
