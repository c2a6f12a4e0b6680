-- One row: the regular expression that removes legal forms from the end of a cleaned supplier name.
-- The forms are cleaned with the same macro as the names, so 'B.V.' in the seed becomes 'bv', as on orders.
-- Cleaned forms contain only letters, digits, '_' and spaces, so they need no regex escaping.

with

legal_forms as (

    select * from {{ ref('legal_forms') }}

),

cleaned_forms as (

    select distinct {{ clean_supplier_name('legal_form') }} as cleaned_form
    from legal_forms

),

usable_forms as (

    select cleaned_form
    from cleaned_forms
    where cleaned_form <> ''

),

final as (

    select
        -- Longest first, so a form that ends with another form ('gmbh en_co kg', 'kg') is tried whole.
        '(?:\s(?:' || string_agg(cleaned_form, '|' order by length(cleaned_form) desc, cleaned_form) || '))+$'
            as legal_form_pattern,
        count(*) as legal_form_count

    from usable_forms

)

select * from final
