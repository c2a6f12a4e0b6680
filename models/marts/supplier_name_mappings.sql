-- One row per distinct supplier name typed on purchase orders (byte-exact): the supplier an order carrying only
-- this name belongs to, and why. Orders that also carry the idsupplier of a loaded Picqer supplier object belong
-- to that object instead, unless an override names the spelling (int_purchase_orders__supplier_keys).
--
-- Audit examples:
--   why does this name map here?   select * from supplier_name_mappings where supplier_name = 'Jansen B.V.'
--   which names map to a supplier? select * from supplier_name_mappings where supplier_key = 'picqer:1254'

with

resolved_names as (

    select * from {{ ref('int_supplier_names__resolved') }}

),

final as (

    select
        supplier_name,
        normalised_name,
        normaliser_version,
        supplier_key,
        resolution_rule,
        rule_evidence,
        purchase_order_count,
        first_used_at,
        last_used_at,
        is_flagged,
        flag_reason

    from resolved_names

)

select * from final
