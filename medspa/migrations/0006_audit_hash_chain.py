"""The hash chains over the patient access log and the masquerade log (ONC 170.315(d)(2)): two columns,
the rows already there chained in the order they were made, then a BEFORE INSERT trigger that chains
every new row, whatever inserts it. medspa.audit_chain verifies the chains with its own copy of the
row encoding below."""

from django.db import migrations, models

# (table, the chain's key, the columns each hash covers), as medspa.audit_chain.CHAINS at this migration.
CHAINS = [
    (
        "medspa_patientaccesslog",
        "medspa_id",
        ["chain_seq", "medspa_id", "patient_id", "actor_id", "actor_label", "impersonator_id", "viewed", "ip",
         "request_id", "created_at"],
    ),
    (
        "medspa_masqueradeevent",
        "coalesce(medspa_id, 0)",
        ["chain_seq", "medspa_id", "action", "actor_id", "target_id", "reason", "ip", "request_id",
         "created_at"],
    ),
]  # fmt: skip
_TEXT = {
    "ip": "host({})",
    "created_at": """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
}


def _payload(columns, row):
    parts = []
    for column in columns:
        value = _TEXT.get(column, "{}::text").format(row + column)
        parts.append(f"coalesce(length({value})::text || ':' || {value}, '-')")
    return " || ".join(parts)


def _link(previous, columns, row):
    return f"encode(sha256(convert_to({previous} || {_payload(columns, row)}, 'UTF8')), 'hex')"


def _backfill(table, key, columns):
    # Existing rows, per chain in the order they were made. The table's own append-only triggers are
    # switched off for these updates only (the owner runs migrations); the chain trigger does not exist yet.
    return f"""
        ALTER TABLE {table} DISABLE TRIGGER USER;
        DO $$
        DECLARE
            r record;
            current_key bigint;
            seq bigint;
            previous text;
        BEGIN
            FOR r IN SELECT id, {key} AS chain_key FROM {table} ORDER BY {key}, created_at, id LOOP
                IF current_key IS DISTINCT FROM r.chain_key THEN
                    current_key := r.chain_key;
                    seq := 0;
                    previous := repeat('0', 64);
                END IF;
                seq := seq + 1;
                UPDATE {table} SET chain_seq = seq WHERE id = r.id;
                UPDATE {table} SET chain_hash = {_link("previous", columns, "")} WHERE id = r.id
                    RETURNING chain_hash INTO previous;
            END LOOP;
        END
        $$;
        SET CONSTRAINTS ALL IMMEDIATE;  -- the updates' foreign-key checks, before ALTER TABLE may run again
        ALTER TABLE {table} ENABLE TRIGGER USER;
    """


def _trigger(table, key, columns):
    # One lock per chain (not per table), held to the end of the transaction, so that the previous row is
    # committed before the next links to it and unrelated medspas never wait for each other. A volatile
    # PL/pgSQL function reads with a fresh snapshot after taking the lock (READ COMMITTED), and sees the
    # rows inserted earlier by the same statement (bulk_create). No pgtrigger.ignore check: nothing skips it.
    new_key = key.replace("medspa_id", "NEW.medspa_id")
    return f"""
        CREATE FUNCTION {table}_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            previous_seq bigint;
            previous text;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtextextended('{table}:' || {new_key}, 0));
            SELECT chain_seq, chain_hash INTO previous_seq, previous FROM {table}
                WHERE {key} = {new_key} ORDER BY chain_seq DESC LIMIT 1;
            NEW.created_at := coalesce(NEW.created_at, now());
            NEW.chain_seq := coalesce(previous_seq, 0) + 1;
            NEW.chain_hash := {_link("coalesce(previous, repeat('0', 64))", columns, "NEW.")};
            RETURN NEW;
        END
        $$;
        CREATE TRIGGER audit_chain BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_chain();
    """


def _untrigger(table, key, columns):
    return f"DROP TRIGGER audit_chain ON {table}; DROP FUNCTION {table}_chain();"


class Migration(migrations.Migration):
    dependencies = [
        ("medspa", "0005_access_log_names_an_outside_clearer"),
    ]

    operations = [
        migrations.AddField(
            model_name="masqueradeevent",
            name="chain_hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="masqueradeevent",
            name="chain_seq",
            field=models.BigIntegerField(db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name="patientaccesslog",
            name="chain_hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="patientaccesslog",
            name="chain_seq",
            field=models.BigIntegerField(db_default=0, editable=False),
        ),
        *[migrations.RunSQL(_backfill(*chain), migrations.RunSQL.noop) for chain in CHAINS],
        migrations.AddConstraint(
            model_name="masqueradeevent",
            constraint=models.UniqueConstraint(
                fields=("medspa", "chain_seq"), name="masqueradeevent_one_row_per_link", nulls_distinct=False
            ),
        ),
        migrations.AddConstraint(
            model_name="patientaccesslog",
            constraint=models.UniqueConstraint(
                fields=("medspa", "chain_seq"), name="patientaccesslog_one_row_per_link"
            ),
        ),
        *[migrations.RunSQL(_trigger(*chain), _untrigger(*chain)) for chain in CHAINS],
    ]
