-- One row per export run: when it ran, how many requests it sent, and how many suppliers per action succeeded
-- or failed. Built from optiply_export_log, so it is current as soon as an export finishes.
{{ config(materialized='view') }}

with

export_log as (

    select * from {{ ref('optiply_export_log') }}

),

-- One row per supplier and run: the action it was planned for and whether it ended without an error.
supplier_outcomes as (

    select
        run_id,
        supplier_key,
        -- A create preceded by a lookup is logged as `reconcile` then `create`. The planned action is the
        -- supplier's last one that is not a lookup or a token request.
        coalesce(
            max_by(export_action, request_number) filter (where export_action not in ('reconcile', 'authenticate')),
            max_by(export_action, request_number)
        ) as export_action,
        bool_or(is_last_of_supplier and error is not null) as is_failed

    from export_log
    where supplier_key is not null
    group by run_id, supplier_key

),

requests as (

    select
        run_id,
        min(logged_at) as started_at,
        max(logged_at) as finished_at,
        count(*) as request_count,
        count(*) filter (where http_method in ('POST', 'PATCH') and export_action != 'authenticate') as write_count,
        count(*) filter (where request_outcome = 'transient_error') as transient_error_count,
        count(*) filter (where request_outcome = 'no_response') as no_response_count,
        count(*) filter (where request_outcome = 'rejected') as rejected_count

    from export_log
    group by run_id

),

suppliers as (

    select
        run_id,
        count(*) filter (where export_action = 'create' and not is_failed) as created_count,
        count(*) filter (where export_action = 'adopt' and not is_failed) as adopted_count,
        count(*) filter (where export_action = 'update' and not is_failed) as updated_count,
        count(*) filter (where export_action = 'ignore' and not is_failed) as ignored_count,
        count(*) filter (where is_failed) as failed_count

    from supplier_outcomes
    group by run_id

),

final as (

    select
        requests.run_id,
        requests.started_at,
        requests.finished_at,
        requests.request_count,
        requests.write_count,
        requests.transient_error_count,
        requests.no_response_count,
        requests.rejected_count,
        coalesce(suppliers.created_count, 0) as created_count,
        coalesce(suppliers.adopted_count, 0) as adopted_count,
        coalesce(suppliers.updated_count, 0) as updated_count,
        coalesce(suppliers.ignored_count, 0) as ignored_count,
        coalesce(suppliers.failed_count, 0) as failed_count

    from requests
    left join suppliers
        on requests.run_id = suppliers.run_id

)

select * from final
