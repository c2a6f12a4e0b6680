-- One row per supplier key that today's name rules give (int_supplier_names__resolved): the key the supplier
-- keeps. A 'name:' key is derived from the normalised name, so a new normaliser version, a new legal form or a
-- new spelling that bridges two groups can change it. When the supplier was exported under an older 'name:' key
-- (optiply_sync.supplier_links), it keeps that key, and so its Optiply supplier.
--
-- A linked key is kept for a derived key when all of these hold:
--   - the linked key is a 'name:' key that today's rules no longer give;
--   - its names resolve under today's rules to exactly one supplier key, the derived key. Its names are the key
--     itself read back as a name ('name:bakker-en-zonen-bv' -> 'bakker en zonen bv') and the name its Optiply
--     supplier has (the spelling last sent). A name resolves like a typed spelling: an exact spelling first,
--     otherwise every spelling with the same normalised name;
--   - the derived key is a 'name:' key, is not linked itself and no override names it. An analyst's override
--     key is explicit, so it is never replaced.
-- When several linked keys qualify for one derived key (a new spelling bridged two exported suppliers), the one
-- with the most orders on its Optiply name's spelling wins, then the oldest link, then the first key
-- alphabetically. The other links are left as they are, for the export's handling of vanished suppliers.
--
-- NOTE: a kept key is given up when a later spelling normalises to exactly that key's name, because the key is
-- then derived again for that spelling alone, and the rest of the group goes back to its derived key.

with

resolved_names as (

    select * from {{ ref('int_supplier_names__resolved') }}

),

supplier_links as (

    select * from {{ ref('stg_optiply_sync__supplier_links') }}

),

optiply_suppliers as (

    select * from {{ ref('stg_optiply__suppliers') }}

),

derived_keys as (

    select
        supplier_key as derived_supplier_key,
        bool_or(resolution_rule = 'override') as is_override_target

    from resolved_names
    group by supplier_key

),

-- Spellings as they appear in Optiply: the exporter sends the display name, trimmed with spaces collapsed
-- (int_name_suppliers).
resolved_spellings as (

    select
        supplier_key,
        normalised_name,
        purchase_order_count,
        trim(regexp_replace(supplier_name, '[\pZ\s\x{200B}\x{FEFF}]+', ' ', 'g')) as display_name

    from resolved_names

),

unused_links as (

    select
        supplier_links.supplier_key as linked_supplier_key,
        supplier_links.linked_at,
        replace(substr(supplier_links.supplier_key, length('name:') + 1), '-', ' ') as linked_key_name,
        trim(regexp_replace(optiply_suppliers.supplier_name, '[\pZ\s\x{200B}\x{FEFF}]+', ' ', 'g'))
            as optiply_supplier_name

    from supplier_links
    left join derived_keys
        on supplier_links.supplier_key = derived_keys.derived_supplier_key
    left join optiply_suppliers
        on supplier_links.optiply_supplier_id = optiply_suppliers.optiply_supplier_id

    where
        supplier_links.supplier_key like 'name:%'
        and derived_keys.derived_supplier_key is null

),

link_names as (

    select
        linked_supplier_key,
        'linked_key' as name_source,
        linked_key_name as link_name

    from unused_links

    union all

    select
        linked_supplier_key,
        'optiply_name' as name_source,
        optiply_supplier_name as link_name

    from unused_links
    where nullif(optiply_supplier_name, '') is not null

),

normalised_link_names as (

    select
        *,
        {{ normalise_supplier_name('link_name') }} as normalised_link_name

    from link_names

),

exact_spelling_matches as (

    select
        normalised_link_names.linked_supplier_key,
        normalised_link_names.name_source,
        resolved_spellings.supplier_key

    from normalised_link_names
    inner join resolved_spellings
        on normalised_link_names.link_name = resolved_spellings.display_name

),

normalised_name_matches as (

    select
        normalised_link_names.linked_supplier_key,
        normalised_link_names.name_source,
        resolved_spellings.supplier_key

    from normalised_link_names
    inner join resolved_spellings
        on normalised_link_names.normalised_link_name = resolved_spellings.normalised_name

    where
        normalised_link_names.normalised_link_name <> ''
        and not exists (
            select 1
            from exact_spelling_matches
            where
                exact_spelling_matches.linked_supplier_key = normalised_link_names.linked_supplier_key
                and exact_spelling_matches.name_source = normalised_link_names.name_source
        )

),

link_matches as (

    select * from exact_spelling_matches
    union
    select * from normalised_name_matches

),

-- A linked key whose names resolve to two suppliers keeps nothing: it would be a guess which one it was.
unique_link_matches as (

    select
        linked_supplier_key,
        any_value(supplier_key) as derived_supplier_key

    from link_matches
    group by linked_supplier_key
    having count(distinct supplier_key) = 1

),

eligible_link_matches as (

    select
        unique_link_matches.linked_supplier_key,
        unique_link_matches.derived_supplier_key,
        unused_links.linked_at,
        unused_links.optiply_supplier_name

    from unique_link_matches
    inner join derived_keys
        on unique_link_matches.derived_supplier_key = derived_keys.derived_supplier_key
    inner join unused_links
        on unique_link_matches.linked_supplier_key = unused_links.linked_supplier_key
    left join supplier_links as derived_key_links
        on unique_link_matches.derived_supplier_key = derived_key_links.supplier_key

    where
        unique_link_matches.derived_supplier_key like 'name:%'
        and not derived_keys.is_override_target
        and derived_key_links.supplier_key is null

),

-- The orders of a linked supplier are those on the spelling its Optiply supplier is named after: the exporter
-- sends the spelling used most, so that spelling is the supplier's main one.
link_order_counts as (

    select
        eligible_link_matches.linked_supplier_key,
        eligible_link_matches.derived_supplier_key,
        eligible_link_matches.linked_at,
        coalesce(sum(resolved_spellings.purchase_order_count), 0) as purchase_order_count

    from eligible_link_matches
    left join resolved_spellings
        on eligible_link_matches.derived_supplier_key = resolved_spellings.supplier_key
        and eligible_link_matches.optiply_supplier_name = resolved_spellings.display_name

    group by all

),

ranked_links as (

    select
        *,
        row_number() over (
            partition by derived_supplier_key
            order by purchase_order_count desc, linked_at nulls last, linked_supplier_key
        ) as link_rank

    from link_order_counts

),

kept_links as (

    select
        derived_supplier_key,
        linked_supplier_key

    from ranked_links
    where link_rank = 1

),

left_behind_links as (

    select
        derived_supplier_key,
        string_agg(linked_supplier_key, ', ' order by linked_supplier_key) as left_behind_supplier_keys

    from ranked_links
    where link_rank > 1
    group by derived_supplier_key

),

final as (

    select
        derived_keys.derived_supplier_key,
        coalesce(kept_links.linked_supplier_key, derived_keys.derived_supplier_key) as supplier_key,
        case when kept_links.linked_supplier_key is null then 'derived' else 'kept_from_link' end as key_origin,
        left_behind_links.left_behind_supplier_keys

    from derived_keys
    left join kept_links
        on derived_keys.derived_supplier_key = kept_links.derived_supplier_key
    left join left_behind_links
        on derived_keys.derived_supplier_key = left_behind_links.derived_supplier_key

)

select * from final
