{#
    Create the optiply_sync schema and its tables when they do not exist yet. Runs as dbt's on-run-start hook, so
    the exporter always finds them, and the staging view over supplier_links compiles on the first run.
    This is the only definition of these tables: the exporter inserts and updates rows but never creates them.
    Existing tables are left unchanged, so a column added here needs a migration for warehouses that already
    have the table.
#}
{% macro create_sync_tables() %}
    create schema if not exists optiply_sync;

    create table if not exists optiply_sync.supplier_links (
        supplier_key varchar primary key,
        -- Unique, so one Optiply supplier is linked to at most one of our suppliers.
        optiply_supplier_id bigint not null unique,
        remote_id varchar not null,
        payload_hash varchar not null,
        link_origin varchar not null
            check (link_origin in ('created', 'adopted_by_remote_id', 'adopted_by_name', 'relinked')),
        linked_at timestamptz not null,
        sent_at timestamptz
    );

    create table if not exists optiply_sync.export_log (
        run_id varchar not null,
        logged_at timestamptz not null,
        supplier_key varchar,
        action varchar,
        method varchar,
        -- Null when the request got no HTTP response (timeout, refused connection).
        status_code integer,
        optiply_supplier_id bigint,
        error varchar,
        attempt integer,
        -- Order of the request within its run, from 1; rows of one supplier share logged_at.
        request_number integer
    );

    -- Added after the first release: warehouses whose export_log predates it get the column here.
    alter table optiply_sync.export_log add column if not exists request_number integer;
{% endmacro %}
