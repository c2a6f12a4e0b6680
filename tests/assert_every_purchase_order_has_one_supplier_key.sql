-- Returns each purchase order with no supplier key or more than one, and each key row for an order that does not
-- exist among the configured client's orders.

with

purchase_orders as (

    select * from {{ ref('stg_picqer__purchase_orders') }}

),

order_supplier_keys as (

    select * from {{ ref('int_purchase_orders__supplier_keys') }}

),

key_counts as (

    select
        coalesce(purchase_orders.purchase_order_id, order_supplier_keys.purchase_order_id) as purchase_order_id,
        purchase_orders.purchase_order_id is not null as is_known_order,
        count(order_supplier_keys.supplier_key) as supplier_key_count

    from purchase_orders
    full outer join order_supplier_keys
        on purchase_orders.purchase_order_id = order_supplier_keys.purchase_order_id

    group by 1, 2

),

final as (

    select *
    from key_counts
    where
        not is_known_order
        or supplier_key_count != 1

)

select * from final
