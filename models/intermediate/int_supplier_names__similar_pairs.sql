-- One row per ordered pair of distinct normalised names that rule 5 of the name resolution may merge, with the
-- narrow test they pass (macros/similar_name_pairs.sql describes the tests). Names flagged too short never take
-- part. Keep-apart pairs are applied by the caller.

with

supplier_names as (

    select * from {{ ref('int_supplier_names__normalised') }}

),

known_names as (

    select * from {{ ref('int_supplier_names__known_names') }}

),

candidate_names as (

    select normalised_name
    from supplier_names
    where flag_reason is null

    union

    select normalised_name
    from known_names
    where length(replace(normalised_name, ' ', '')) >= {{ supplier_name_minimum_length() }}

),

final as (

    {{ similar_name_pairs('candidate_names', 'candidate_names') }}

)

select * from final
