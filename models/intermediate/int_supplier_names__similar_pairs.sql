-- One row per ordered pair of distinct normalised names that rule 5 of the name resolution may merge, with the
-- narrow test they pass. Every test keeps the words of both names and allows no change in digits:
--   compact_match          equal once spaces are removed ('van den broucke' / 'vandenbroucke')
--   transliteration_match  equal once spaces are removed and 'ae', 'oe', 'ue' read as 'a', 'o', 'u'
--                          ('kohler' / 'koehler')
--   word_order_match       the same words in another order ('verhaegen drukkerij' / 'drukkerij verhaegen')
--   typo_match             same number of words (at least two) and one word differs: by one edit or one swap
--                          of neighbouring letters when the longer spelling has at least 9 letters, by two
--                          when it has at least 12 ('kunststoffen' / 'kunstoffen'). Shorter words, mostly
--                          surnames that differ by a letter ('lefevre' / 'lefebvre'), stay apart.
-- Names flagged too short never take part. Keep-apart pairs are applied by the caller.

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

name_shapes as (

    select
        normalised_name,
        replace(normalised_name, ' ', '') as compact_name,
        regexp_replace(replace(normalised_name, ' ', ''), '([aou])e', '\1', 'g') as transliterated_name,
        string_split(normalised_name, ' ') as words

    from candidate_names

),

-- Every test below implies that the two names share a blocking key: the compact name, the transliterated name,
-- the sorted words, or (for a typo in one word) all words but the one at some position. Joining on those keys
-- instead of comparing every name with every other keeps this close to linear in the number of names.
blocking_keys as (

    select normalised_name, 'compact:' || compact_name as blocking_key
    from name_shapes

    union all

    select normalised_name, 'transliterated:' || transliterated_name
    from name_shapes

    union all

    select normalised_name, 'words:' || array_to_string(list_sort(words), ' ')
    from name_shapes

    union all

    select
        normalised_name,
        'typo:' || len(words) || ':' || position || ':'
            || array_to_string(list_filter(words, lambda word, i: i <> position), ' ')
    from (
        select normalised_name, words, unnest(range(1, len(words) + 1)) as position
        from name_shapes
        where len(words) >= 2
    )

),

candidate_pairs as (

    select distinct
        left_key.normalised_name,
        right_key.normalised_name as similar_name

    from blocking_keys as left_key
    inner join blocking_keys as right_key
        on left_key.blocking_key = right_key.blocking_key
        and left_key.normalised_name <> right_key.normalised_name

),

pairs as (

    select
        left_name.normalised_name,
        right_name.normalised_name as similar_name,
        left_name.compact_name = right_name.compact_name as is_compact_match,
        left_name.transliterated_name = right_name.transliterated_name as is_transliteration_match,
        list_sort(left_name.words) = list_sort(right_name.words) as is_word_order_match,
        left_name.words as left_words,
        right_name.words as right_words

    from candidate_pairs
    inner join name_shapes as left_name
        on candidate_pairs.normalised_name = left_name.normalised_name
    inner join name_shapes as right_name
        on candidate_pairs.similar_name = right_name.normalised_name

    where abs(length(left_name.compact_name) - length(right_name.compact_name)) <= 2

),

differing_words as (

    select
        *,
        case
            when len(left_words) = len(right_words) and len(left_words) >= 2
                then list_filter(range(1, len(left_words) + 1), lambda i: left_words[i] <> right_words[i])
        end as differing_positions

    from pairs

),

typo_checks as (

    select
        *,
        coalesce(
            len(differing_positions) = 1
            and not regexp_matches(left_words[differing_positions[1]] || right_words[differing_positions[1]], '[0-9]')
            and (
                (greatest(length(left_words[differing_positions[1]]), length(right_words[differing_positions[1]])) >= 9
                    and damerau_levenshtein(left_words[differing_positions[1]], right_words[differing_positions[1]]) = 1)
                or (greatest(length(left_words[differing_positions[1]]), length(right_words[differing_positions[1]])) >= 12
                    and damerau_levenshtein(left_words[differing_positions[1]], right_words[differing_positions[1]]) = 2)
            ),
            false
        ) as is_typo_match

    from differing_words

),

final as (

    select
        normalised_name,
        similar_name,
        case
            when is_compact_match then 'compact_match'
            when is_transliteration_match then 'transliteration_match'
            when is_word_order_match then 'word_order_match'
            when is_typo_match then 'typo_match'
        end as similarity_rule,
        damerau_levenshtein(normalised_name, similar_name) as edit_distance

    from typo_checks
    where is_compact_match or is_transliteration_match or is_word_order_match or is_typo_match

)

select * from final
