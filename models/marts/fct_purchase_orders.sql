with

purchase_orders as (

    select * from {{ ref('stg_picqer__purchase_orders') }}

),

purchase_order_lines as (

    select * from {{ ref('stg_picqer__purchase_order_lines') }}

),

order_supplier_keys as (

    select * from {{ ref('int_purchase_orders__supplier_keys') }}

),

line_totals as (

    select
        purchase_order_id,
        count(*) as line_count,
        sum(quantity) as total_quantity,
        sum(quantity_received) as total_quantity_received,
        sum(unit_price * quantity) as order_value

    from purchase_order_lines
    group by purchase_order_id

),

final as (

    select
        purchase_orders.purchase_order_id,
        purchase_orders.purchase_order_number,
        -- A left join, so an order that name resolution missed shows up as a null key and fails its test.
        order_supplier_keys.supplier_key,
        order_supplier_keys.resolution_rule,
        purchase_orders.supplier_name,
        purchase_orders.picqer_supplier_id,
        purchase_orders.fulfilment_customer_id,
        purchase_orders.warehouse_id,
        purchase_orders.status,
        purchase_orders.supplier_order_reference,
        purchase_orders.delivery_date,
        purchase_orders.created_at,
        purchase_orders.updated_at,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.total_quantity, 0) as total_quantity,
        coalesce(line_totals.total_quantity_received, 0) as total_quantity_received,
        coalesce(line_totals.order_value, 0) as order_value

    from purchase_orders
    left join order_supplier_keys
        on purchase_orders.purchase_order_id = order_supplier_keys.purchase_order_id
    left join line_totals
        on purchase_orders.purchase_order_id = line_totals.purchase_order_id

)

select * from final
