-- Fails with one row per keep-apart pair whose two sides share a supplier: either a name rule merged them or
-- an override forced them together. Each side stands for a supplier key, or for every supplier that a name of
-- that normalised form maps to (on orders or as a Picqer supplier object name or alias).

with

keep_apart as (

    select * from {{ ref('int_supplier_names__keep_apart') }}

),

mappings as (

    select * from {{ ref('supplier_name_mappings') }}

),

known_names as (

    select * from {{ ref('int_supplier_names__known_names') }}

),

name_suppliers as (

    select normalised_name, supplier_key from mappings
    union
    select normalised_name, supplier_key from known_names

),

side_suppliers as (

    select
        keep_apart.side_value,
        keep_apart.other_side_value,
        keep_apart.reason,
        coalesce(keep_apart.side_supplier_key, name_suppliers.supplier_key) as supplier_key

    from keep_apart
    left join name_suppliers
        on keep_apart.side_normalised_name = name_suppliers.normalised_name

),

other_side_suppliers as (

    select
        keep_apart.side_value,
        keep_apart.other_side_value,
        coalesce(keep_apart.other_side_supplier_key, name_suppliers.supplier_key) as supplier_key

    from keep_apart
    left join name_suppliers
        on keep_apart.other_side_normalised_name = name_suppliers.normalised_name

),

final as (

    select distinct
        side_suppliers.side_value,
        side_suppliers.other_side_value,
        side_suppliers.supplier_key as shared_supplier_key,
        side_suppliers.reason

    from side_suppliers
    inner join other_side_suppliers
        on side_suppliers.side_value = other_side_suppliers.side_value
        and side_suppliers.other_side_value = other_side_suppliers.other_side_value
        and side_suppliers.supplier_key = other_side_suppliers.supplier_key

    where side_suppliers.supplier_key <> 'unknown'

)

select * from final
