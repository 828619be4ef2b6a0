"""The hash chains over the patient access log and the masquerade log (ONC 170.315(d)(2)): chained by the
database on every insert, verified by `audit_verify` and Portrait staff's page, tampering found."""

import threading

from django.core.management import CommandError, call_command
from django.db import connection, transaction

from medspa.audit_chain import CHAINS, GENESIS, audit_chains_verify, link_hash, row_payload_sql
from medspa.models import MasqueradeEvent, PatientAccessLog
from medspa.tenancy import medspa_scope
from medspa.tests.test_masquerade import start
from tests import factories


def _read(client, patient, times=1):
    for _ in range(times):
        assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200


def _verify() -> tuple[int, str]:
    """audit_verify's exit (0 or 1) and output."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_the_chains_verify_after_normal_use(client_as, cast):
    patient_a = factories.PatientFactory(medspa=cast.medspa_a)
    patient_b = factories.PatientFactory(medspa=cast.medspa_b)
    _read(client_as("admin_a"), patient_a, 3)
    _read(client_as("admin_b"), patient_b, 2)
    PatientAccessLog.objects.bulk_create(  # any insert path is chained, bulk ones too
        PatientAccessLog(medspa=cast.medspa_a, patient=patient_a, actor=cast.provider_a1, viewed=f"bulk {n}")
        for n in range(3)
    )
    admin = client_as("admin_a")
    assert start(admin, cast.provider_a1).status_code == 302
    admin.post("/masquerade/stop/")
    MasqueradeEvent.objects.create(action="start", actor=cast.staff, target=cast.admin_a)  # outside a medspa

    with medspa_scope(cast.medspa_a):
        rows = list(PatientAccessLog.objects.filter(medspa=cast.medspa_a).order_by("chain_seq"))
    assert [row.chain_seq for row in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0].chain_hash != rows[1].chain_hash and len(rows[0].chain_hash) == 64
    reports = audit_chains_verify()
    assert [(r.chain.table, r.key, r.rows, r.intact) for r in reports] == [
        ("medspa_patientaccesslog", cast.medspa_a.pk, 6, True),
        ("medspa_patientaccesslog", cast.medspa_b.pk, 2, True),
        ("medspa_masqueradeevent", 0, 1, True),
        ("medspa_masqueradeevent", cast.medspa_a.pk, 2, True),
    ]
    status, output = _verify()
    assert status == 0 and "4 audit chains verified, none broken." in output
    assert (
        f"OK      Patient access log, chain {cast.medspa_a.pk}: 6 rows, head {rows[-1].chain_hash}" in output
    )
    page = client_as("staff").get("/audit/chains/")
    assert page.status_code == 200 and "All 4 chains verified, none broken." in page.content.decode()


def test_a_row_changed_by_a_superuser_is_found_by_the_command_and_the_page(
    transactional_db, client_as, cast, connect_as
):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    _read(client_as("admin_a"), patient, 4)
    with medspa_scope(cast.medspa_a):
        tampered = PatientAccessLog.objects.get(chain_seq=2)
    assert _verify()[0] == 0
    superuser = connect_as("superuser")  # the one who can switch every trigger off
    superuser.execute("SET session_replication_role = replica")
    superuser.execute(
        f"UPDATE {PatientAccessLog._meta.db_table} SET viewed = 'nothing' WHERE id = %s", [tampered.pk]
    )
    superuser.commit()

    status, output = _verify()
    assert status == 1
    assert f"BROKEN  Patient access log, chain {cast.medspa_a.pk}: row id {tampered.pk} (link 2)" in output
    assert "1 of 1 audit chains are broken." in output
    page = client_as("staff").get("/audit/chains/").content.decode()
    assert f"Broken at row id {tampered.pk}</strong> (link 2)" in page


def test_a_row_deleted_or_rehashed_by_a_superuser_breaks_the_chain(
    transactional_db, client_as, cast, connect_as
):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    _read(client_as("admin_a"), patient, 4)
    with medspa_scope(cast.medspa_a):
        rows = list(PatientAccessLog.objects.order_by("chain_seq"))
    superuser = connect_as("superuser")
    superuser.execute("SET session_replication_role = replica")
    superuser.execute(f"DELETE FROM {PatientAccessLog._meta.db_table} WHERE id = %s", [rows[1].pk])
    superuser.commit()
    (report,) = audit_chains_verify()
    assert (report.broken_id, report.broken_seq) == (rows[2].pk, 3) and "missing" in report.problem

    # Re-hashing a changed row to match its new content still breaks the link of the row after it.
    superuser.execute(
        f"UPDATE {PatientAccessLog._meta.db_table} SET chain_seq = 2, viewed = 'nothing', chain_hash = %s "
        "WHERE id = %s",
        ["f" * 64, rows[2].pk],
    )
    superuser.commit()
    (report,) = audit_chains_verify()
    assert report.broken_id in (rows[2].pk, rows[3].pk)


def test_the_genesis_link_covers_the_first_row_alone(cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    row = PatientAccessLog.objects.create(
        medspa=cast.medspa_a, patient=patient, actor=cast.admin_a, viewed="a"
    )
    row.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {row_payload_sql(CHAINS[0])} FROM medspa_patientaccesslog WHERE id = %s", [row.pk]
        )
        assert row.chain_hash == link_hash(GENESIS, cursor.fetchone()[0])


def test_concurrent_inserts_keep_one_valid_chain_per_medspa(transactional_db, cast):
    patient_a = factories.PatientFactory(medspa=cast.medspa_a)
    patient_b = factories.PatientFactory(medspa=cast.medspa_b)
    barrier = threading.Barrier(20)
    errors = []

    def insert(n: int) -> None:
        try:
            barrier.wait()
            medspa, patient = (cast.medspa_a, patient_a) if n % 2 else (cast.medspa_b, patient_b)
            for i in range(5):
                PatientAccessLog.objects.create(
                    medspa=medspa, patient=patient, actor=cast.admin_a, viewed=f"{n}.{i}"
                )
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=insert, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reports = audit_chains_verify()
    assert [(r.key, r.rows, r.intact) for r in reports] == [
        (cast.medspa_a.pk, 50, True),
        (cast.medspa_b.pk, 50, True),
    ]


def _index_columns(table: str) -> list[list[str]]:
    """Each index of `table`, as its columns in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT array_agg(a.attname ORDER BY k.position)
            FROM pg_index i
            JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s::regclass
            GROUP BY i.indexrelid
            """,
            [table],
        )
        return [list(row[0]) for row in cursor.fetchall()]


def _last_link_plan(chain) -> str:
    """The plan of the chain trigger's look-up of a chain's last link (migration 0006), with sequential scans
    and sorts priced out: one the indexes cannot answer still scans and sorts."""
    key_of_one = chain.key.replace("medspa_id", "1::bigint")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
        cursor.execute(
            f"EXPLAIN SELECT chain_seq, chain_hash FROM {chain.table} "  # noqa: S608 (the module's constants)
            f"WHERE {chain.key} = {key_of_one} ORDER BY chain_seq DESC LIMIT 1"
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_chains_last_link_is_read_from_an_index_in_chain_order(db):
    """The trigger reads a chain's last link once per row inserted: through an index, in chain_seq order,
    never the whole chain and a sort (the masquerade log's chain, keyed by coalesce(medspa_id, 0), was read
    whole for each insert until migration 0016)."""
    for chain in CHAINS:
        plan = _last_link_plan(chain)
        assert "Index" in plan and "Seq Scan" not in plan and "Sort" not in plan, (chain.table, plan)


def test_no_index_but_the_chains_own_leads_with_the_access_logs_medspa(db):
    """An index on the access log's medspa alone once let the planner, with statistics taken before a medspa's
    rows came, read every row of the medspa and sort them for each insert (a week's calendar page: 210 ms of
    access-log inserts instead of 15): the (medspa, chain_seq) index must be the only one that leads with the
    medspa, so that no statistics can pick another (medspa migration 0015)."""
    indexes = _index_columns(PatientAccessLog._meta.db_table)
    assert [columns for columns in indexes if columns[0] == "medspa_id"] == [["medspa_id", "chain_seq"]]
