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

    select word
    from name_words
    where length(word) >= 4
    group by word
    having count(distinct supplier_key) <= 2

),

rare_name_words as (

    select distinct
        name_word.normalised_name,
        name_word.supplier_key,
        name_word.word

    from (
        select
            normalised_name,
            supplier_key,
            unnest(string_split(normalised_name, ' ')) as word
        from names_per_supplier
    ) as name_word
    inner join rare_words
        on name_word.word = rare_words.word

),

-- Candidate pairs come from blocks, so the queue grows with the number of names rather than its square: names
-- that share a rare word, and names whose first four letters (spaces removed) agree. A look-alike pair that
-- differs in its first four letters and shares no rare word is not proposed.
name_blocks as (

    select
        names_per_supplier.normalised_name,
        names_per_supplier.supplier_key,
        'prefix:' || left(replace(names_per_supplier.normalised_name, ' ', ''), 4) as block_key

    from names_per_supplier

    union

    select
        normalised_name,
        supplier_key,
        'word:' || word as block_key

    from rare_name_words

),

blocked_pairs as (

    select distinct
        left_block.supplier_key,
        left_block.normalised_name,
        right_block.supplier_key as other_supplier_key,
        right_block.normalised_name as other_normalised_name

    from name_blocks as left_block
    inner join name_blocks as right_block
        on left_block.block_key = right_block.block_key
        and left_block.supplier_key < right_block.supplier_key

),

shared_rare_words as (

    select
        left_word.supplier_key,
        left_word.normalised_name,
        right_word.supplier_key as other_supplier_key,
        right_word.normalised_name as other_normalised_name,
        list(distinct left_word.word order by left_word.word) as shared_rare_words

    from rare_name_words as left_word
    inner join rare_name_words as right_word
        on left_word.word = right_word.word
        and left_word.supplier_key < right_word.supplier_key
    group by all

),

name_pairs as (

    select
        blocked_pairs.supplier_key,
        blocked_pairs.normalised_name,
        left_name.purchase_order_count,
        blocked_pairs.other_supplier_key,
        blocked_pairs.other_normalised_name,
        right_name.purchase_order_count as other_purchase_order_count,
        jaro_winkler_similarity(blocked_pairs.normalised_name, blocked_pairs.other_normalised_name)
            as jaro_winkler_similarity,
        damerau_levenshtein(blocked_pairs.normalised_name, blocked_pairs.other_normalised_name) as edit_distance,
        coalesce(shared_rare_words.shared_rare_words, cast([] as varchar[])) as shared_rare_words

    from blocked_pairs
    inner join names_per_supplier as left_name
        on blocked_pairs.supplier_key = left_name.supplier_key
        and blocked_pairs.normalised_name = left_name.normalised_name
    inner join names_per_supplier as right_name
        on blocked_pairs.other_supplier_key = right_name.supplier_key
        and blocked_pairs.other_normalised_name = right_name.normalised_name
    left join shared_rare_words
        on blocked_pairs.supplier_key = shared_rare_words.supplier_key
        and blocked_pairs.normalised_name = shared_rare_words.normalised_name
        and blocked_pairs.other_supplier_key = shared_rare_words.other_supplier_key
        and blocked_pairs.other_normalised_name = shared_rare_words.other_normalised_name

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
