"""The tamper-evident hash chains over the patient access log and the masquerade log (ONC 170.315(d)(2)).

Each row's `chain_hash` is sha256 over the previous row's hash (64 zeros for a chain's first row) and the
row's own content, in `chain_seq` order; there is one chain per medspa (masquerades outside any medspa form
chain 0). The database computes it in a BEFORE INSERT trigger (medspa migration 0006), so every insert path
is chained; this module recomputes it from the rows alone, with its own copy of the row encoding (only
built-in SQL functions), so that a replaced trigger function cannot vouch for itself."""

import hashlib
from dataclasses import dataclass

from django.db import connection

GENESIS = "0" * 64


@dataclass(frozen=True)
class Chain:
    """One chained table: the column that keys its chains and the columns each hash covers, in order."""

    label: str
    table: str
    key: str
    columns: tuple[str, ...]


# host(): the address without a netmask; created_at in UTC with microseconds, whatever the session's zone.
_TEXT = {
    "ip": "host({})",
    "created_at": """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
}

CHAINS = (
    Chain(
        label="Patient access log",
        table="medspa_patientaccesslog",
        key="medspa_id",
        columns=(
            "chain_seq",
            "medspa_id",
            "patient_id",
            "actor_id",
            "actor_label",
            "impersonator_id",
            "viewed",
            "ip",
            "request_id",
            "created_at",
        ),
    ),
    Chain(
        label="Masquerade log",
        table="medspa_masqueradeevent",
        key="coalesce(medspa_id, 0)",
        columns=(
            "chain_seq",
            "medspa_id",
            "action",
            "actor_id",
            "target_id",
            "reason",
            "ip",
            "request_id",
            "created_at",
        ),
    ),
)


def row_payload_sql(chain: Chain, row: str = "") -> str:
    """The SQL text a row's hash covers: each value length-prefixed ("5:hello"), NULL as "-", so that no
    two different rows encode alike. `row` prefixes the columns ("NEW." in the trigger)."""
    parts = []
    for column in chain.columns:
        value = _TEXT.get(column, "{}::text").format(row + column)
        parts.append(f"coalesce(length({value})::text || ':' || {value}, '-')")
    return " || ".join(parts)


def link_hash(previous: str, payload: str) -> str:
    return hashlib.sha256((previous + payload).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The verification of one chain: its rows, its newest hash (the head, worth keeping elsewhere: removing
    a chain's newest rows breaks no link), and the first row that breaks it (None when intact)."""

    chain: Chain
    key: int
    rows: int
    head: str
    broken_id: int | None = None
    broken_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None

    def __str__(self) -> str:
        where = f"{self.chain.label}, chain {self.key}"
        if self.intact:
            return f"OK      {where}: {self.rows} rows, head {self.head}"
        return f"BROKEN  {where}: row id {self.broken_id} (link {self.broken_seq}): {self.problem}"


def audit_chains_verify() -> list[ChainReport]:
    """Recomputes every chain from its rows; one report per chain, each naming its first broken row."""
    reports = []
    with connection.cursor() as cursor:
        for chain in CHAINS:
            # Names and expressions are this module's constants.
            query = (
                f"SELECT {chain.key}, id, chain_seq, chain_hash, {row_payload_sql(chain)} FROM {chain.table}"  # noqa: S608
            )
            cursor.execute(f"{query} ORDER BY {chain.key}, chain_seq, id")
            current, count, previous, broken = None, 0, GENESIS, None
            for key, row_id, seq, stored, payload in cursor.fetchall():
                if key != current:
                    if current is not None:
                        reports.append(
                            ChainReport(chain, current, count, previous, *(broken or (None, None, "")))
                        )
                    current, count, previous, broken = key, 0, GENESIS, None
                count += 1
                if broken is None:
                    if seq != count:
                        broken = (row_id, seq, f"expected link {count}: a row is missing or was inserted")
                    elif stored != link_hash(previous, payload):
                        broken = (row_id, seq, "its hash does not match its content and the previous row")
                previous = stored
            if current is not None:
                reports.append(ChainReport(chain, current, count, previous, *(broken or (None, None, ""))))
    return reports
