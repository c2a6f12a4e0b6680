{%- set key_probes_table = source('picqer_raw', 'key_probes') -%}

with

{% if relation_exists(key_probes_table) %}
source as (

    select * from {{ key_probes_table }}

),
{% else %}
-- No extract has run yet, so there is no probe and no client to restrict orders to.
source as (

    select
        null as probed_at,
        null as key_kind,
        null as suppliers_status,
        null as fulfilment_customer_id,
        null as picqer_host,
        null as key_change_accepted,
        null as _dlt_load_id
    where false

),
{% endif %}

renamed as (

    select
        cast(probed_at as timestamptz) as probed_at,
        cast(key_kind as varchar) as key_kind,
        cast(suppliers_status as integer) as suppliers_status_code,
        cast(fulfilment_customer_id as bigint) as fulfilment_customer_id,
        cast(picqer_host as varchar) as picqer_host,
        coalesce(cast(key_change_accepted as boolean), false) as is_key_change_accepted,
        cast(_dlt_load_id as varchar) as dlt_load_id,
        -- The newest probe records the key kind and client that the current data was read with.
        row_number() over (order by probed_at desc) = 1 as is_latest

    from source

)

select * from renamed
