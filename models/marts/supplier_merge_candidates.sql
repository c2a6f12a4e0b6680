-- One row per pair of suppliers that the rules kept apart although some of their names look alike: proposals
-- for an analyst, never applied automatically. A pair qualifies when two of their normalised names have a
-- Jaro-Winkler similarity of at least 0.85, or share a rare word (a word of 4+ letters used by at most two
-- suppliers). override_csv_row is a ready-to-paste row for seeds/supplier_name_overrides.csv that moves the
-- less used name to the other supplier. When the two are different companies, add a row to
-- seeds/supplier_keep_apart.csv instead.

with

mappings as (

    select * from {{ ref('supplier_name_mappings') }}

),

known_names as (

    select * from {{ ref('int_supplier_names__known_names') }}

),

keep_apart as (

    select * from {{ ref('int_supplier_names__keep_apart') }}

),

supplier_names as (

    select
        normalised_name,
        supplier_key,
        sum(purchase_order_count) as purchase_order_count

    from mappings
    where supplier_key <> 'unknown' and not is_flagged
    group by all

    union all

    select
        normalised_name,
        supplier_key,
        0 as purchase_order_count

    from known_names

),

names_per_supplier as (

    select
        normalised_name,
        supplier_key,
        sum(purchase_order_count) as purchase_order_count

    from supplier_names
    group by all

),

name_words as (

    select distinct
        supplier_key,
        unnest(string_split(normalised_name, ' ')) as word

    from names_per_supplier

),

rare_words as (

    select list(word) as words
    from (
        select word
        from name_words
        where length(word) >= 4
        group by word
        having count(distinct supplier_key) <= 2
    )

),

-- NOTE: every name is compared with every other name; fine for thousands of names.
name_pairs as (

    select
        left_name.supplier_key,
        left_name.normalised_name,
        left_name.purchase_order_count,
        right_name.supplier_key as other_supplier_key,
        right_name.normalised_name as other_normalised_name,
        right_name.purchase_order_count as other_purchase_order_count,
        jaro_winkler_similarity(left_name.normalised_name, right_name.normalised_name) as jaro_winkler_similarity,
        damerau_levenshtein(left_name.normalised_name, right_name.normalised_name) as edit_distance,
        list_filter(
            list_intersect(string_split(left_name.normalised_name, ' '), string_split(right_name.normalised_name, ' ')),
            lambda word: list_contains(rare_words.words, word)
        ) as shared_rare_words

    from names_per_supplier as left_name
    inner join names_per_supplier as right_name
        on left_name.supplier_key < right_name.supplier_key
    cross join rare_words

),

qualified_pairs as (

    select *
    from name_pairs
    where jaro_winkler_similarity >= 0.85 or len(shared_rare_words) > 0

),

not_kept_apart as (

    select *
    from qualified_pairs
    where not exists (
        select 1
        from keep_apart
        where
            (keep_apart.side_supplier_key = qualified_pairs.supplier_key
                or keep_apart.side_normalised_name = qualified_pairs.normalised_name)
            and (keep_apart.other_side_supplier_key = qualified_pairs.other_supplier_key
                or keep_apart.other_side_normalised_name = qualified_pairs.other_normalised_name)
    )

),

best_pair_per_suppliers as (

    select *
    from not_kept_apart
    qualify row_number() over (
        partition by supplier_key, other_supplier_key
        order by jaro_winkler_similarity desc, edit_distance, normalised_name, other_normalised_name
    ) = 1

),

final as (

    select
        supplier_key,
        other_supplier_key,
        normalised_name,
        other_normalised_name,
        round(jaro_winkler_similarity, 4) as jaro_winkler_similarity,
        edit_distance,
        shared_rare_words,
        -- The less used name moves; the CSV quotes every field, doubling quotes inside a name.
        case
            when purchase_order_count <= other_purchase_order_count
                then '"normalised_name","' || replace(normalised_name, '"', '""') || '","' || other_supplier_key
                    || '","","review: looks like ' || replace(other_normalised_name, '"', '""') || '"'
            else '"normalised_name","' || replace(other_normalised_name, '"', '""') || '","' || supplier_key
                || '","","review: looks like ' || replace(normalised_name, '"', '""') || '"'
        end as override_csv_row

    from best_pair_per_suppliers

)

select * from final
