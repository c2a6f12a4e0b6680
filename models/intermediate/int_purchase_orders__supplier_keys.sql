-- One row per purchase order: the supplier it belongs to and the rule that decided it. In order:
--   1 an override of the order's supplier name (supplier_name_overrides seed);
--   2 the order's own idsupplier, when that Picqer supplier object is loaded ('picqer:<idsupplier>');
--   3-6 the resolution of the order's supplier name (int_supplier_names__resolved), under the key the supplier
--       keeps when it was exported under an older 'name:' key (int_supplier_names__stable_keys);
--   otherwise 'unknown': no loaded supplier object and no usable name.

with

purchase_orders as (

    select * from {{ ref('stg_picqer__purchase_orders') }}

),

picqer_suppliers as (

    select * from {{ ref('stg_picqer__suppliers') }}

),

resolved_names as (

    select * from {{ ref('int_supplier_names__resolved') }}

),

stable_keys as (

    select * from {{ ref('int_supplier_names__stable_keys') }}

),

orders_with_names as (

    select
        purchase_orders.purchase_order_id,
        purchase_orders.picqer_supplier_id,
        picqer_suppliers.picqer_supplier_id is not null as is_supplier_loaded,
        stable_keys.supplier_key as name_supplier_key,
        resolved_names.resolution_rule as name_resolution_rule

    from purchase_orders
    left join picqer_suppliers
        on purchase_orders.picqer_supplier_id = picqer_suppliers.picqer_supplier_id
    left join resolved_names
        on purchase_orders.supplier_name = resolved_names.supplier_name
    left join stable_keys
        on resolved_names.supplier_key = stable_keys.derived_supplier_key

),

final as (

    select
        purchase_order_id,
        case
            when name_resolution_rule = 'override' then name_supplier_key
            when is_supplier_loaded then 'picqer:' || picqer_supplier_id
            when name_supplier_key is not null then name_supplier_key
            else 'unknown'
        end as supplier_key,
        case
            when name_resolution_rule = 'override' then 'override'
            when is_supplier_loaded then 'picqer_supplier_id'
            when name_resolution_rule is not null then name_resolution_rule
            else 'unknown'
        end as resolution_rule

    from orders_with_names

)

select * from final
