with

supplier_links as (

    select * from {{ source('optiply_sync', 'supplier_links') }}

),

renamed as (

    select
        cast(supplier_key as varchar) as supplier_key,
        cast(optiply_supplier_id as bigint) as optiply_supplier_id,
        cast(remote_id as varchar) as remote_id,
        cast(payload_hash as varchar) as payload_hash,
        cast(link_origin as varchar) as link_origin,
        cast(linked_at as timestamptz) as linked_at,
        cast(sent_at as timestamptz) as sent_at

    from supplier_links

)

select * from renamed
