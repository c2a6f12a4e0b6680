-- One row per request the exporter sent to Optiply, with its outcome. A view, so it shows the requests of an
-- export that ran after the last dbt build.
{{ config(materialized='view') }}

with

export_log as (

    select * from {{ source('optiply_sync', 'export_log') }}

),

final as (

    select
        cast(run_id as varchar) as run_id,
        cast(logged_at as timestamptz) as logged_at,
        cast(request_number as integer) as request_number,
        cast(supplier_key as varchar) as supplier_key,
        cast(action as varchar) as export_action,
        cast(method as varchar) as http_method,
        cast(status_code as integer) as status_code,
        cast(attempt as integer) as attempt,
        cast(optiply_supplier_id as bigint) as optiply_supplier_id,
        cast(error as varchar) as error,
        case
            when status_code between 200 and 299 then 'succeeded'
            when status_code is null then 'no_response'
            when status_code = 429 or status_code >= 500 then 'transient_error'
            else 'rejected'
        end as request_outcome,
        -- The exporter writes a supplier's requests together and puts the error that made it give up on the
        -- last one, so that row decides the supplier's outcome in the run.
        request_number = max(request_number) over (partition by run_id, supplier_key) as is_last_of_supplier

    from export_log

)

select * from final
