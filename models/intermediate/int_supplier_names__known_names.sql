-- One row per normalised name known to belong to a Picqer supplier object: the object's own name, and every
-- name typed on purchase orders that carry that object's idsupplier (harvested aliases). Rule 3 of the name
-- resolution matches names against this list.

with

picqer_suppliers as (

    select * from {{ ref('stg_picqer__suppliers') }}

),

purchase_orders as (

    select * from {{ ref('stg_picqer__purchase_orders') }}

),

supplier_names as (

    select * from {{ ref('int_supplier_names__normalised') }}

),

object_names as (

    select
        {{ normalise_supplier_name('supplier_name') }} as normalised_name,
        'picqer:' || picqer_supplier_id as supplier_key,
        picqer_supplier_id,
        'picqer_supplier_name' as match_source,
        supplier_name as matched_name,
        0 as supporting_order_count

    from picqer_suppliers
    where supplier_name is not null

),

-- Only orders whose supplier object is loaded teach an alias: without the object there is no key to point to.
alias_orders as (

    select
        purchase_orders.picqer_supplier_id,
        purchase_orders.supplier_name

    from purchase_orders
    inner join picqer_suppliers
        on purchase_orders.picqer_supplier_id = picqer_suppliers.picqer_supplier_id

    where purchase_orders.supplier_name is not null

),

alias_names as (

    select
        supplier_names.normalised_name,
        'picqer:' || alias_orders.picqer_supplier_id as supplier_key,
        alias_orders.picqer_supplier_id,
        'order_alias' as match_source,
        alias_orders.supplier_name as matched_name,
        count(*) as supporting_order_count

    from alias_orders
    inner join supplier_names
        on alias_orders.supplier_name = supplier_names.supplier_name

    -- An empty or too-short name says nothing about the supplier.
    where supplier_names.flag_reason is null

    group by all

),

final as (

    select * from object_names
    where normalised_name <> ''

    union all

    select * from alias_names

)

select * from final
