{%- set refused_table = source('picqer_audit', 'refused_key_changes') -%}

with

{% if relation_exists(refused_table) %}
source as (

    select * from {{ refused_table }}

),
{% else %}
-- No run was ever refused, so the extract never created the table.
source as (

    select
        null as refused_at,
        null as previous_key_kind,
        null as detected_key_kind,
        null as previous_fulfilment_customer_id,
        null as fulfilment_customer_id,
        null as picqer_host
    where false

),
{% endif %}

renamed as (

    select
        cast(refused_at as timestamptz) as refused_at,
        cast(previous_key_kind as varchar) as previous_key_kind,
        cast(detected_key_kind as varchar) as detected_key_kind,
        cast(previous_fulfilment_customer_id as bigint) as previous_fulfilment_customer_id,
        cast(fulfilment_customer_id as bigint) as fulfilment_customer_id,
        cast(picqer_host as varchar) as picqer_host

    from source

)

select * from renamed
