-- One row per distinct supplier name typed on purchase orders (byte-exact): the supplier an order carrying only
-- this name belongs to, and why. Orders that also carry the idsupplier of a loaded Picqer supplier object belong
-- to that object instead, unless an override names the spelling (int_purchase_orders__supplier_keys).
--
-- Audit examples:
--   why does this name map here?   select * from supplier_name_mappings where supplier_name = 'Jansen B.V.'
--   which names map to a supplier? select * from supplier_name_mappings where supplier_key = 'picqer:1254'
--   which exported keys were kept?  select * from supplier_name_mappings where key_origin = 'kept_from_link'

with

resolved_names as (

    select * from {{ ref('int_supplier_names__resolved') }}

),

stable_keys as (

    select * from {{ ref('int_supplier_names__stable_keys') }}

),

final as (

    select
        resolved_names.supplier_name,
        resolved_names.normalised_name,
        resolved_names.normaliser_version,
        stable_keys.supplier_key,
        resolved_names.supplier_key as derived_supplier_key,
        stable_keys.key_origin,
        -- Exported keys that a bridging spelling merged into this supplier; their links are left as they are.
        stable_keys.left_behind_supplier_keys as previous_supplier_key,
        resolved_names.resolution_rule,
        resolved_names.rule_evidence,
        resolved_names.purchase_order_count,
        resolved_names.first_used_at,
        resolved_names.last_used_at,
        resolved_names.is_flagged,
        resolved_names.flag_reason

    from resolved_names
    inner join stable_keys
        on resolved_names.supplier_key = stable_keys.derived_supplier_key

)

select * from final
