with

picqer_suppliers as (

    select * from {{ ref('stg_picqer__suppliers') }}

),

name_suppliers as (

    select * from {{ ref('int_name_suppliers') }}

),

purchase_orders as (

    select * from {{ ref('stg_picqer__purchase_orders') }}

),

latest_key_probe as (

    select * from {{ ref('stg_picqer__key_probes') }}
    where is_latest

),

order_supplier_keys as (

    select * from {{ ref('int_purchase_orders__supplier_keys') }}

),

keyed_orders as (

    select
        order_supplier_keys.supplier_key,
        purchase_orders.purchase_order_id,
        purchase_orders.supplier_name,
        purchase_orders.created_at

    from purchase_orders
    inner join order_supplier_keys
        on purchase_orders.purchase_order_id = order_supplier_keys.purchase_order_id

),

order_facts as (

    select
        supplier_key,
        count(*) as purchase_order_count,
        min(created_at) as first_ordered_at,
        max(created_at) as last_ordered_at,
        -- Raw spellings, byte-exact: 'Jansen BV' and 'Jansen BV ' count as two variants.
        count(distinct supplier_name) as name_variant_count

    from keyed_orders
    group by supplier_key

),

suppliers_from_picqer_objects as (

    select
        'picqer:' || picqer_supplier_id as supplier_key,
        'picqer_supplier' as supplier_source,
        picqer_supplier_id,
        supplier_name,
        {{ normalise_supplier_name('supplier_name') }} as normalised_name,
        is_active,
        contact_name,
        email_address,
        telephone,
        address,
        address2,
        zipcode,
        city,
        region,
        country_code,
        language,
        loaded_at as object_loaded_at

    from picqer_suppliers

),

-- Orders can be keyed to a Picqer supplier object that the supplier table lacks: the supplier was deleted in
-- Picqer (old orders keep its id), or the warehouse has only seen scoped keys, which cannot read suppliers.
-- Such a supplier still gets its row, named after the spelling used most on its orders.
missing_picqer_keys as (

    select distinct keyed_orders.supplier_key

    from keyed_orders
    left join suppliers_from_picqer_objects
        on keyed_orders.supplier_key = suppliers_from_picqer_objects.supplier_key

    where
        keyed_orders.supplier_key like 'picqer:%'
        and suppliers_from_picqer_objects.supplier_key is null

),

missing_picqer_key_names as (

    select
        keyed_orders.supplier_key,
        trim(keyed_orders.supplier_name) as supplier_name,
        count(*) as order_count

    from keyed_orders
    inner join missing_picqer_keys
        on keyed_orders.supplier_key = missing_picqer_keys.supplier_key

    where nullif(trim(keyed_orders.supplier_name), '') is not null
    group by 1, 2

),

most_used_missing_picqer_key_names as (

    select
        supplier_key,
        supplier_name

    from missing_picqer_key_names
    -- Ties go to the alphabetically first spelling, so the name does not change between runs.
    qualify row_number() over (partition by supplier_key order by order_count desc, supplier_name) = 1

),

suppliers_from_missing_picqer_objects as (

    select
        missing_picqer_keys.supplier_key,
        'picqer_supplier' as supplier_source,
        cast(substr(missing_picqer_keys.supplier_key, length('picqer:') + 1) as bigint) as picqer_supplier_id,
        coalesce(
            most_used_missing_picqer_key_names.supplier_name,
            'Picqer supplier ' || substr(missing_picqer_keys.supplier_key, length('picqer:') + 1)
        ) as supplier_name,
        {{ normalise_supplier_name('most_used_missing_picqer_key_names.supplier_name') }} as normalised_name,
        -- Null, because the supplier list that records it is not available.
        cast(null as boolean) as is_active

    from missing_picqer_keys
    left join most_used_missing_picqer_key_names
        on missing_picqer_keys.supplier_key = most_used_missing_picqer_key_names.supplier_key

),

suppliers_from_names as (

    select
        supplier_key,
        'purchase_order_name' as supplier_source,
        cast(null as bigint) as picqer_supplier_id,
        supplier_name,
        normalised_name,
        -- A typed name has no inactive list; it counts as active.
        true as is_active

    from name_suppliers

),

-- Always present, so that every order has a supplier to point to, even orders without a usable name.
unknown_supplier as (

    select
        'unknown' as supplier_key,
        'unknown' as supplier_source,
        cast(null as bigint) as picqer_supplier_id,
        'Unknown supplier' as supplier_name,
        cast(null as varchar) as normalised_name,
        true as is_active

),

-- Union by name: the contact fields only Picqer supplier objects have are null for the other sources.
all_suppliers as (

    select * from suppliers_from_picqer_objects
    union all by name
    select * from suppliers_from_missing_picqer_objects
    union all by name
    select * from suppliers_from_names
    union all by name
    select * from unknown_supplier

),

final as (

    select
        all_suppliers.supplier_key,
        all_suppliers.supplier_source,
        all_suppliers.picqer_supplier_id,
        all_suppliers.supplier_name,
        all_suppliers.normalised_name,
        all_suppliers.is_active,
        all_suppliers.contact_name,
        all_suppliers.email_address,
        all_suppliers.telephone,
        all_suppliers.address,
        all_suppliers.address2,
        all_suppliers.zipcode,
        all_suppliers.city,
        all_suppliers.region,
        all_suppliers.country_code,
        all_suppliers.language,
        coalesce(order_facts.purchase_order_count, 0) as purchase_order_count,
        order_facts.first_ordered_at,
        order_facts.last_ordered_at,
        coalesce(order_facts.name_variant_count, 0) as name_variant_count,
        -- When the supplier object was last read from Picqer. A scoped key cannot read supplier objects, so after a
        -- switch from an admin key the last-known objects stay, and is_object_refreshed turns false.
        all_suppliers.object_loaded_at,
        case
            when all_suppliers.supplier_source = 'picqer_supplier'
                then all_suppliers.object_loaded_at is not null and latest_key_probe.key_kind = 'admin'
        end as is_object_refreshed

    from all_suppliers
    left join order_facts
        on all_suppliers.supplier_key = order_facts.supplier_key
    left join latest_key_probe
        on true

)

select * from final
