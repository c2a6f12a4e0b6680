with

purchase_order_lines as (

    select * from {{ source('picqer_raw', 'purchase_orders__products') }}

),

renamed as (

    select
        cast(idpurchaseorder_product as bigint) as purchase_order_line_id,
        cast(idpurchaseorder as bigint) as purchase_order_id,
        cast(idproduct as bigint) as product_id,
        cast(productcode as varchar) as product_code,
        cast(productcode_supplier as varchar) as supplier_product_code,
        cast(name as varchar) as product_name,
        -- Money as a decimal, so sums over many lines carry no binary floating-point error.
        cast(price as decimal(18, 4)) as unit_price,
        cast(amount as bigint) as quantity,
        cast(amountreceived as bigint) as quantity_received,
        cast(delivery_date as date) as delivery_date

    from purchase_order_lines

)

select * from renamed
