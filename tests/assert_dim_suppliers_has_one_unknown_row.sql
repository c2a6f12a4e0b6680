-- Returns a row unless dim_suppliers contains exactly one `unknown` supplier, with source `unknown`.

with

suppliers as (

    select * from {{ ref('dim_suppliers') }}

),

unknown_rows as (

    select
        count(*) filter (where supplier_key = 'unknown') as unknown_key_count,
        count(*) filter (where supplier_source = 'unknown') as unknown_source_count

    from suppliers

),

final as (

    select *
    from unknown_rows
    where
        unknown_key_count != 1
        or unknown_source_count != 1

)

select * from final
