{%- set suppliers_table = source('optiply_raw', 'suppliers') -%}

with

{% if relation_exists(suppliers_table) %}
source as (

    select * from {{ suppliers_table }}

),
{% else %}
-- dlt creates the table with its first row, so an Optiply account without suppliers leaves no table.
-- NOTE: the table is also missing when Optiply was never read. Then every supplier is planned as `create`, so
-- the exporter must read Optiply before it exports.
source as (

    select
        null as id,
        null as name,
        null as remote_id,
        null as remote_id_map,
        null as emails,
        null as ignored,
        null as created_from_public_api,
        null as delivery_time,
        null as user_replenishment_period,
        null as minimum_order_value,
        null as fixed_costs,
        null as type,
        null as account_id
    where false

),
{% endif %}

renamed as (

    select
        cast(id as bigint) as optiply_supplier_id,
        cast(name as varchar) as supplier_name,
        cast(remote_id as varchar) as remote_id,
        cast(remote_id_map as json) as remote_id_map,
        cast(emails as json) as emails,
        cast(ignored as boolean) as is_ignored,
        cast(created_from_public_api as boolean) as is_created_from_public_api,
        cast(delivery_time as integer) as delivery_time_days,
        cast(user_replenishment_period as integer) as user_replenishment_period_days,
        -- Kept as text, as Optiply returns them: nothing here computes with them yet.
        cast(minimum_order_value as varchar) as minimum_order_value,
        cast(fixed_costs as varchar) as fixed_costs,
        cast(type as varchar) as supplier_type,
        cast(account_id as bigint) as optiply_account_id

    from source

)

select * from renamed
