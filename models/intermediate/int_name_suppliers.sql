-- One row per supplier derived from typed names (key 'name:<normalised name with dashes>') that at least one
-- purchase order belongs to. The display name is the spelling typed on most of its orders, trimmed. An exported
-- supplier keeps its older key (int_supplier_names__stable_keys), so its key can spell an older normalised name.

with

order_supplier_keys as (

    select * from {{ ref('int_purchase_orders__supplier_keys') }}

),

purchase_orders as (

    select * from {{ ref('stg_picqer__purchase_orders') }}

),

resolved_names as (

    select * from {{ ref('int_supplier_names__resolved') }}

),

stable_keys as (

    select * from {{ ref('int_supplier_names__stable_keys') }}

),

name_supplier_orders as (

    select
        order_supplier_keys.supplier_key,
        purchase_orders.supplier_name,
        purchase_orders.created_at

    from order_supplier_keys
    inner join purchase_orders
        on order_supplier_keys.purchase_order_id = purchase_orders.purchase_order_id

    where order_supplier_keys.supplier_key like 'name:%'

),

spelling_counts as (

    select
        supplier_key,
        trim(regexp_replace(supplier_name, '[\pZ\s\x{200B}\x{FEFF}]+', ' ', 'g')) as display_name,
        count(*) as purchase_order_count,
        max(created_at) as last_used_at

    from name_supplier_orders
    where supplier_name is not null
    group by all

),

display_names as (

    select
        supplier_key,
        display_name

    from spelling_counts
    -- Ties go to the most recently used spelling, then to the alphabetically first one.
    qualify row_number() over (
        partition by supplier_key
        order by purchase_order_count desc, last_used_at desc nulls last, display_name
    ) = 1

),

-- The normalised name that today's rules derive the key from, also for a kept older key. A key that only an
-- override points to takes the normalised form of its display name.
key_names as (

    select
        stable_keys.supplier_key,
        min(resolved_names.normalised_name) as normalised_name

    from resolved_names
    inner join stable_keys
        on resolved_names.supplier_key = stable_keys.derived_supplier_key

    where resolved_names.resolution_rule in ('normalised_name_match', 'own_supplier')
    group by stable_keys.supplier_key

),

final as (

    select
        display_names.supplier_key,
        display_names.display_name as supplier_name,
        coalesce(key_names.normalised_name, replace(substr(display_names.supplier_key, 6), '-', ' '))
            as normalised_name

    from display_names
    left join key_names
        on display_names.supplier_key = key_names.supplier_key

)

select * from final
