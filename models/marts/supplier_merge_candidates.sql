-- One row per pair of suppliers that the rules kept apart although some of their names look alike: proposals
-- for an analyst, never applied automatically, at most three per supplier (its most similar others). A pair
-- qualifies when two of their normalised names have a Jaro-Winkler similarity of at least 0.85, or share a rare
-- word (a word of 4+ letters used by at most two suppliers). override_csv_row is a ready-to-paste row for
-- seeds/supplier_name_overrides.csv that moves the less used name to the other supplier. When the two are
-- different companies, add a row to seeds/supplier_keep_apart.csv instead.
--
-- Pairs are handled as integer ids (name_entries) until the output is built: deduplicating, joining and ranking
-- millions of candidate pairs by four text columns took most of this model's time and memory.

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

-- One entry per name of a supplier. Within one supplier the entry ids follow the names' order, so ordering the
-- pairs of two given suppliers by entry id is ordering them by name. supplier_rank follows supplier_key, so
-- comparing ranks compares keys.
name_entries as (

    select
        row_number() over (order by supplier_key, normalised_name) as entry_id,
        dense_rank() over (order by supplier_key) as supplier_rank,
        normalised_name,
        supplier_key,
        purchase_order_count

    from names_per_supplier

),

entry_words as (

    select distinct
        entry_id,
        supplier_rank,
        unnest(string_split(normalised_name, ' ')) as word

    from name_entries

),

rare_words as (

    select word
    from entry_words
    where length(word) >= 4
    group by word
    having count(distinct supplier_rank) <= 2

),

rare_entry_words as (

    select
        entry_words.entry_id,
        entry_words.supplier_rank,
        entry_words.word

    from entry_words
    inner join rare_words
        on entry_words.word = rare_words.word

),

-- Candidate pairs come from blocks: names that share a rare word, and names whose first four letters (spaces
-- removed) agree and that lie close together in name order. A look-alike pair that differs in its first four
-- letters and shares no rare word is not proposed.
-- NOTE: within one four-letter prefix, names are compared only with the 50 to 100 names nearest in name order
-- (two chunkings of 100, offset by 50). A large prefix block would otherwise make the scored pairs grow with its
-- square: the benchmark's generated names, built from a few dozen surnames and trades, put about 1,000 of
-- 100,000 names under one prefix. Look-alikes further apart in name order are not proposed.
prefix_positions as (

    select
        entry_id,
        supplier_rank,
        left(replace(normalised_name, ' ', ''), 4) as name_prefix,
        row_number() over (
            partition by left(replace(normalised_name, ' ', ''), 4)
            order by replace(normalised_name, ' ', ''), entry_id
        ) - 1 as prefix_position

    from name_entries

),

name_blocks as (

    select
        entry_id,
        supplier_rank,
        'prefix:' || name_prefix || ':' || (prefix_position // 100) as block_key

    from prefix_positions

    union

    select
        entry_id,
        supplier_rank,
        'shifted_prefix:' || name_prefix || ':' || ((prefix_position + 50) // 100) as block_key

    from prefix_positions

    union

    select
        entry_id,
        supplier_rank,
        'word:' || word as block_key

    from rare_entry_words

),

blocked_pairs as (

    select distinct
        left_block.entry_id,
        left_block.supplier_rank,
        right_block.entry_id as other_entry_id,
        right_block.supplier_rank as other_supplier_rank

    from name_blocks as left_block
    inner join name_blocks as right_block
        on left_block.block_key = right_block.block_key
        and left_block.supplier_rank < right_block.supplier_rank

),

shared_rare_words as (

    select
        left_word.entry_id,
        right_word.entry_id as other_entry_id,
        list(distinct left_word.word order by left_word.word) as shared_rare_words

    from rare_entry_words as left_word
    inner join rare_entry_words as right_word
        on left_word.word = right_word.word
        and left_word.supplier_rank < right_word.supplier_rank
    group by all

),

scored_pairs as (

    select
        blocked_pairs.entry_id,
        blocked_pairs.supplier_rank,
        blocked_pairs.other_entry_id,
        blocked_pairs.other_supplier_rank,
        jaro_winkler_similarity(left_entry.normalised_name, right_entry.normalised_name) as jaro_winkler_similarity,
        coalesce(shared_rare_words.shared_rare_words, cast([] as varchar[])) as shared_rare_words

    from blocked_pairs
    inner join name_entries as left_entry
        on blocked_pairs.entry_id = left_entry.entry_id
    inner join name_entries as right_entry
        on blocked_pairs.other_entry_id = right_entry.entry_id
    left join shared_rare_words
        on blocked_pairs.entry_id = shared_rare_words.entry_id
        and blocked_pairs.other_entry_id = shared_rare_words.other_entry_id

),

qualified_pairs as (

    select *
    from scored_pairs
    where jaro_winkler_similarity >= 0.85 or len(shared_rare_words) > 0

),

-- A keep-apart row blocks every pair of entries whose first entry matches one side (by supplier key or
-- normalised name) and whose second entry matches the other side. Each way of matching is an equality join,
-- so no pair is compared with every keep-apart row.
numbered_keep_apart as (

    select
        row_number() over () as keep_apart_id,
        *

    from keep_apart

),

keep_apart_side_entries as (

    select numbered_keep_apart.keep_apart_id, name_entries.entry_id
    from numbered_keep_apart
    inner join name_entries
        on numbered_keep_apart.side_supplier_key = name_entries.supplier_key

    union

    select numbered_keep_apart.keep_apart_id, name_entries.entry_id
    from numbered_keep_apart
    inner join name_entries
        on numbered_keep_apart.side_normalised_name = name_entries.normalised_name

),

keep_apart_other_side_entries as (

    select numbered_keep_apart.keep_apart_id, name_entries.entry_id
    from numbered_keep_apart
    inner join name_entries
        on numbered_keep_apart.other_side_supplier_key = name_entries.supplier_key

    union

    select numbered_keep_apart.keep_apart_id, name_entries.entry_id
    from numbered_keep_apart
    inner join name_entries
        on numbered_keep_apart.other_side_normalised_name = name_entries.normalised_name

),

kept_apart_pairs as (

    select distinct
        side_entries.entry_id,
        other_side_entries.entry_id as other_entry_id

    from keep_apart_side_entries as side_entries
    inner join keep_apart_other_side_entries as other_side_entries
        on side_entries.keep_apart_id = other_side_entries.keep_apart_id

),

not_kept_apart as (

    select qualified_pairs.*
    from qualified_pairs
    anti join kept_apart_pairs
        on qualified_pairs.entry_id = kept_apart_pairs.entry_id
        and qualified_pairs.other_entry_id = kept_apart_pairs.other_entry_id

),

-- The best pair of two suppliers has the highest similarity, then the smallest edit distance, then the first
-- names alphabetically. The edit distance is computed only for the pairs that tie on the highest similarity,
-- because damerau_levenshtein costs about as much as all other steps of this model together. Both steps are
-- aggregates and joins rather than window functions: with millions of tiny partitions DuckDB 1.4's window
-- operator ran out of memory under a memory_limit, where aggregates and joins spill to disk.
best_similarities as (

    select
        supplier_rank,
        other_supplier_rank,
        max(jaro_winkler_similarity) as jaro_winkler_similarity

    from not_kept_apart
    group by supplier_rank, other_supplier_rank

),

-- The queue is read by people, so each supplier proposes at most its three most similar other suppliers (ties
-- go to the lower key). A pair stays when either side proposes it. Without the cap, a supplier with hundreds of
-- look-alikes, such as one trade name in many cities, buries the rest, and the queue grows with the square of
-- the names per block.
supplier_neighbours as (

    select
        supplier_rank,
        other_supplier_rank as neighbour_rank,
        jaro_winkler_similarity

    from best_similarities

    union all

    select
        other_supplier_rank as supplier_rank,
        supplier_rank as neighbour_rank,
        jaro_winkler_similarity

    from best_similarities

),

-- max(value, 3) keeps the three largest structs, compared field by field: the highest similarity, then the
-- lowest neighbour rank (stored negated).
closest_neighbours as (

    select
        supplier_rank,
        unnest(
            max({'jaro_winkler_similarity': jaro_winkler_similarity, 'negated_rank': -neighbour_rank}, 3)
        ) as neighbour

    from supplier_neighbours
    group by supplier_rank

),

proposed_supplier_pairs as (

    select distinct
        least(supplier_rank, -neighbour.negated_rank) as supplier_rank,
        greatest(supplier_rank, -neighbour.negated_rank) as other_supplier_rank

    from closest_neighbours

),

most_similar_pairs as (

    select not_kept_apart.*
    from not_kept_apart
    inner join best_similarities
        on not_kept_apart.supplier_rank = best_similarities.supplier_rank
        and not_kept_apart.other_supplier_rank = best_similarities.other_supplier_rank
        and not_kept_apart.jaro_winkler_similarity is not distinct from best_similarities.jaro_winkler_similarity
    semi join proposed_supplier_pairs
        on not_kept_apart.supplier_rank = proposed_supplier_pairs.supplier_rank
        and not_kept_apart.other_supplier_rank = proposed_supplier_pairs.other_supplier_rank

),

named_pairs as (

    select
        most_similar_pairs.*,
        left_entry.supplier_key,
        left_entry.normalised_name,
        left_entry.purchase_order_count,
        right_entry.supplier_key as other_supplier_key,
        right_entry.normalised_name as other_normalised_name,
        right_entry.purchase_order_count as other_purchase_order_count

    from most_similar_pairs
    inner join name_entries as left_entry
        on most_similar_pairs.entry_id = left_entry.entry_id
    inner join name_entries as right_entry
        on most_similar_pairs.other_entry_id = right_entry.entry_id

),

-- Removing a prefix that both names share leaves their Damerau-Levenshtein distance unchanged, and makes each
-- call cheaper: names in one prefix block share about 9 leading characters. The prefix length is found in steps,
-- because any shared prefix may be removed, not only the longest.
common_prefixes as (

    select
        *,
        case
            when left(normalised_name, 16) = left(other_normalised_name, 16) then 16
            when left(normalised_name, 12) = left(other_normalised_name, 12) then 12
            when left(normalised_name, 8) = left(other_normalised_name, 8) then 8
            when left(normalised_name, 6) = left(other_normalised_name, 6) then 6
            when left(normalised_name, 4) = left(other_normalised_name, 4) then 4
            when left(normalised_name, 2) = left(other_normalised_name, 2) then 2
            else 0
        end as common_prefix_length

    from named_pairs

),

measured_pairs as (

    select
        *,
        damerau_levenshtein(
            substr(normalised_name, common_prefix_length + 1),
            substr(other_normalised_name, common_prefix_length + 1)
        ) as edit_distance

    from common_prefixes

),

-- A struct compares field by field, so its minimum is the pair with the smallest edit distance, then entry ids.
best_pair_ids as (

    select
        min({
            'edit_distance': edit_distance,
            'entry_id': entry_id,
            'other_entry_id': other_entry_id
        }) as best_pair

    from measured_pairs
    group by supplier_rank, other_supplier_rank

),

best_pair_per_suppliers as (

    select measured_pairs.*
    from measured_pairs
    inner join best_pair_ids
        on measured_pairs.entry_id = best_pair_ids.best_pair.entry_id
        and measured_pairs.other_entry_id = best_pair_ids.best_pair.other_entry_id

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
