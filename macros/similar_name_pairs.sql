{#
    The narrow similarity tests of name resolution (rule 5), as one query that name resolution and the Optiply
    export's name adoption both use, so the two can never disagree on which spellings are one supplier.

    similar_name_pairs(left_names, right_names) returns one row per pair of distinct normalised names, the first
    from `left_names` and the second from `right_names` (relations or CTE names with a `normalised_name`
    column), that pass one of these tests. Every test keeps the words of both names and allows no change in
    digits:
      compact_match          equal once spaces are removed ('van den broucke' / 'vandenbroucke')
      transliteration_match  equal once spaces are removed and 'ae', 'oe', 'ue' read as 'a', 'o', 'u'
                             ('kohler' / 'koehler')
      word_order_match       the same words in another order ('verhaegen drukkerij' / 'drukkerij verhaegen')
      typo_match             same number of words (at least two) and one word differs: by one edit or one swap
                             of neighbouring letters when the longer spelling has at least 9 letters, by two
                             when it has at least 12 ('kunststoffen' / 'kunstoffen'). Shorter words, mostly
                             surnames that differ by a letter ('lefevre' / 'lefebvre'), stay apart.
      plural_match           same number of words (at least two) and one word differs: it is the English plural
                             of the other by 'y' to 'ies' ('timber supply' / 'timber supplies'). Plurals by a
                             bare 's' are left out: Dutch patronymic surnames differ just so ('hendrik' /
                             'hendriks').
    Columns: normalised_name, similar_name, similarity_rule, edit_distance (of the two whole names). The caller
    removes names that are too short and applies keep-apart pairs.

    Every test implies that the two names share a blocking key: the compact name, the transliterated name, the
    sorted words, or (for a typo or plural in one word) all words but the one at some position. Joining on those keys
    instead of comparing every name with every other keeps the query close to linear in the number of names.
#}

{% macro similar_name_pairs(left_names, right_names) %}
    {%- set is_self_join = left_names == right_names %}
    with

    left_name_shapes as (
        {{ _supplier_name_shapes(left_names) }}
    ),

    left_blocking_keys as (
        {{ _supplier_name_blocking_keys('left_name_shapes') }}
    ),

    {%- if is_self_join %}

    right_name_shapes as (
        select * from left_name_shapes
    ),

    right_blocking_keys as (
        select * from left_blocking_keys
    ),

    {%- else %}

    right_name_shapes as (
        {{ _supplier_name_shapes(right_names) }}
    ),

    right_blocking_keys as (
        {{ _supplier_name_blocking_keys('right_name_shapes') }}
    ),

    {%- endif %}

    blocked_name_pairs as (

        select distinct
            left_keys.normalised_name,
            right_keys.normalised_name as similar_name

        from left_blocking_keys as left_keys
        inner join right_blocking_keys as right_keys
            on left_keys.blocking_key = right_keys.blocking_key
            and left_keys.normalised_name <> right_keys.normalised_name

    ),

    compared_name_pairs as (

        select
            left_shape.normalised_name,
            right_shape.normalised_name as similar_name,
            left_shape.compact_name = right_shape.compact_name as is_compact_match,
            left_shape.transliterated_name = right_shape.transliterated_name as is_transliteration_match,
            list_sort(left_shape.words) = list_sort(right_shape.words) as is_word_order_match,
            left_shape.words as left_words,
            right_shape.words as right_words

        from blocked_name_pairs
        inner join left_name_shapes as left_shape
            on blocked_name_pairs.normalised_name = left_shape.normalised_name
        inner join right_name_shapes as right_shape
            on blocked_name_pairs.similar_name = right_shape.normalised_name

        where abs(length(left_shape.compact_name) - length(right_shape.compact_name)) <= 2

    ),

    differing_words as (

        select
            *,
            case
                when len(left_words) = len(right_words) and len(left_words) >= 2
                    then list_filter(range(1, len(left_words) + 1), lambda i: left_words[i] <> right_words[i])
            end as differing_positions

        from compared_name_pairs

    ),

    typo_checked_pairs as (

        select
            *,
            coalesce(
                len(differing_positions) = 1
                and list_transform(
                    [[left_words[differing_positions[1]], right_words[differing_positions[1]]]],
                    lambda words: (
                        length(words[1]) >= 4 and words[1] like '%y' and words[2] = left(words[1], -1) || 'ies'
                    ) or (
                        length(words[2]) >= 4 and words[2] like '%y' and words[1] = left(words[2], -1) || 'ies'
                    )
                )[1],
                false
            ) as is_plural_match,
            coalesce(
                len(differing_positions) = 1
                and not regexp_matches(
                    left_words[differing_positions[1]] || right_words[differing_positions[1]], '[0-9]'
                )
                and (
                    (greatest(length(left_words[differing_positions[1]]), length(right_words[differing_positions[1]])) >= 9
                        and damerau_levenshtein(left_words[differing_positions[1]], right_words[differing_positions[1]]) = 1)
                    or (greatest(length(left_words[differing_positions[1]]), length(right_words[differing_positions[1]])) >= 12
                        and damerau_levenshtein(left_words[differing_positions[1]], right_words[differing_positions[1]]) = 2)
                ),
                false
            ) as is_typo_match

        from differing_words

    )

    select
        normalised_name,
        similar_name,
        case
            when is_compact_match then 'compact_match'
            when is_transliteration_match then 'transliteration_match'
            when is_word_order_match then 'word_order_match'
            when is_typo_match then 'typo_match'
            when is_plural_match then 'plural_match'
        end as similarity_rule,
        damerau_levenshtein(normalised_name, similar_name) as edit_distance

    from typo_checked_pairs
    where is_compact_match or is_transliteration_match or is_word_order_match or is_typo_match or is_plural_match
{% endmacro %}


{# The forms of each distinct normalised name that the tests compare. #}
{% macro _supplier_name_shapes(names) -%}
        select distinct
            normalised_name,
            replace(normalised_name, ' ', '') as compact_name,
            regexp_replace(replace(normalised_name, ' ', ''), '([aou])e', '\1', 'g') as transliterated_name,
            string_split(normalised_name, ' ') as words

        from {{ names }}
        where normalised_name is not null
{%- endmacro %}


{# One row per name and blocking key; two names can only pass a test when they share a key. #}
{% macro _supplier_name_blocking_keys(shapes) -%}
        select normalised_name, 'compact:' || compact_name as blocking_key
        from {{ shapes }}

        union all

        select normalised_name, 'transliterated:' || transliterated_name
        from {{ shapes }}

        union all

        select normalised_name, 'words:' || array_to_string(list_sort(words), ' ')
        from {{ shapes }}

        union all

        select
            normalised_name,
            'typo:' || len(words) || ':' || position || ':'
                || array_to_string(list_filter(words, lambda word, i: i <> position), ' ')
        from (
            select normalised_name, words, unnest(range(1, len(words) + 1)) as position
            from {{ shapes }}
            where len(words) >= 2
        )
        -- Only a word that a typo or plural test can accept needs the key: a typo needs 8+ letters on both
        -- sides, a plural a 'y' or 'ies' ending. Short words such as city names would otherwise put every
        -- branch of a trade name into one block.
        where
            length(words[position]) >= 8
            or words[position] like '%y'
            or words[position] like '%ies'
{%- endmacro %}
