{%- set suppliers_table = source('picqer_raw', 'suppliers') -%}

with

{% if relation_exists(suppliers_table) %}
source as (

    select * from {{ suppliers_table }}

),
{% else %}
-- A warehouse that has only seen scoped keys has no supplier table, because dlt creates a table with its first
-- row. Then there are no Picqer supplier objects, and every supplier comes from purchase order names.
source as (

    select
        null as idsupplier,
        null as name,
        null as contactname,
        null as address,
        null as address2,
        null as zipcode,
        null as city,
        null as region,
        null as country,
        null as telephone,
        null as emailaddress,
        null as remarks,
        null as language,
        null as active,
        null as _dlt_load_id
    where false

),
{% endif %}

renamed as (

    select
        cast(idsupplier as bigint) as picqer_supplier_id,
        cast(name as varchar) as supplier_name,
        cast(contactname as varchar) as contact_name,
        cast(address as varchar) as address,
        cast(address2 as varchar) as address2,
        cast(zipcode as varchar) as zipcode,
        cast(city as varchar) as city,
        cast(region as varchar) as region,
        cast(country as varchar) as country_code,
        cast(telephone as varchar) as telephone,
        cast(emailaddress as varchar) as email_address,
        cast(remarks as varchar) as remarks,
        cast(language as varchar) as language,
        cast(active as boolean) as is_active,
        -- dlt load ids are the load's start time in Unix seconds.
        to_timestamp(cast(_dlt_load_id as double)) as loaded_at

    from source

)

select * from renamed
