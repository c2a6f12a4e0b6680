-- One row per distinct supplier name typed on purchase orders (byte-exact, so 'Jansen BV' and 'Jansen BV ' are
-- two rows), with its normalised form and how much it is used.

with

purchase_orders as (

    select * from {{ ref('stg_picqer__purchase_orders') }}

),

named_orders as (

    select
        supplier_name,
        purchase_order_id,
        created_at

    from purchase_orders
    where supplier_name is not null

),

name_usage as (

    select
        supplier_name,
        count(*) as purchase_order_count,
        min(created_at) as first_used_at,
        max(created_at) as last_used_at

    from named_orders
    group by supplier_name

),

final as (

    select
        supplier_name,
        {{ normalise_supplier_name('supplier_name') }} as normalised_name,
        {{ supplier_name_normaliser_version() }} as normaliser_version,
        {{ supplier_name_flag_reason('supplier_name') }} as flag_reason,
        purchase_order_count,
        first_used_at,
        last_used_at

    from name_usage

)

select * from final
