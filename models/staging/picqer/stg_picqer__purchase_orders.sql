with

purchase_orders as (

    select * from {{ source('picqer_raw', 'purchase_orders') }}

),

key_probes as (

    select * from {{ ref('stg_picqer__key_probes') }}

),

latest_probe as (

    select fulfilment_customer_id
    from key_probes
    where is_latest

),

renamed as (

    select
        cast(idpurchaseorder as bigint) as purchase_order_id,
        cast(purchaseorderid as varchar) as purchase_order_number,
        cast(idsupplier as bigint) as picqer_supplier_id,
        -- Byte-exact on purpose: name resolution needs the spelling as typed, spaces included.
        cast(supplier_name as varchar) as supplier_name,
        cast(idfulfilment_customer as bigint) as fulfilment_customer_id,
        cast(idwarehouse as bigint) as warehouse_id,
        cast(status as varchar) as status,
        cast(supplier_orderid as varchar) as supplier_order_reference,
        cast(remarks as varchar) as remarks,
        cast(delivery_date as date) as delivery_date,
        -- Picqer's local time, kept naive: see the picqer_raw source.
        cast(created as timestamp) as created_at,
        cast(updated as timestamp) as updated_at

    from purchase_orders

),

-- An admin key reads every Fulfilment client's orders. When a client is configured (the latest probe records
-- it), only that client's orders count. A scoped key only ever returns its own client's orders.
client_orders as (

    select renamed.*

    from renamed
    left join latest_probe
        on true

    where
        latest_probe.fulfilment_customer_id is null
        or renamed.fulfilment_customer_id = latest_probe.fulfilment_customer_id

)

select * from client_orders
