-- One row per keep-apart pair and direction: each side is a supplier key ('picqer:1254', 'name:...') or a
-- supplier name, which is normalised here. Rules 3 to 5 never merge a name into a supplier across such a pair.

with

keep_apart as (

    select * from {{ ref('supplier_keep_apart') }}

),

sides as (

    select
        first_name_or_key as side_value,
        second_name_or_key as other_side_value,
        reason

    from keep_apart

    union all

    select
        second_name_or_key as side_value,
        first_name_or_key as other_side_value,
        reason

    from keep_apart

),

final as (

    select
        side_value,
        case
            when side_value like 'picqer:%' or side_value like 'name:%' then side_value
        end as side_supplier_key,
        case
            when side_value not like 'picqer:%' and side_value not like 'name:%'
                then {{ normalise_supplier_name('side_value') }}
        end as side_normalised_name,
        other_side_value,
        case
            when other_side_value like 'picqer:%' or other_side_value like 'name:%' then other_side_value
        end as other_side_supplier_key,
        case
            when other_side_value not like 'picqer:%' and other_side_value not like 'name:%'
                then {{ normalise_supplier_name('other_side_value') }}
        end as other_side_normalised_name,
        reason

    from sides

)

select * from final
