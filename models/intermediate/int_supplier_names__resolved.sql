-- One row per distinct supplier name typed on purchase orders: the supplier an order that carries only this
-- name belongs to, the rule that decided it and why. Rules, first match wins (docs/supplier-matching.md):
--   1 override                 a row of the supplier_name_overrides seed (raw name before normalised name)
--   2 (per order only)         the order's own idsupplier: see int_purchase_orders__supplier_keys
--   3 picqer_name_match        the normalised name belongs to exactly one Picqer supplier object, by the
--                              object's name or a name typed on orders carrying its idsupplier
--   4 normalised_name_match    other spellings share the normalised name: one name-derived supplier for all
--   5 compact_match, transliteration_match, word_order_match, typo_match, plural_match
--                              exactly one similar supplier (int_supplier_names__similar_pairs), not across a
--                              keep-apart pair; a name-derived target must have more orders and no target itself
--   6 own_supplier             a name-derived supplier of its own
-- Missing and empty names resolve to 'unknown' (rule unusable_name).

with

supplier_names as (

    select * from {{ ref('int_supplier_names__normalised') }}

),

known_names as (

    select * from {{ ref('int_supplier_names__known_names') }}

),

similar_pairs as (

    select * from {{ ref('int_supplier_names__similar_pairs') }}

),

keep_apart as (

    select * from {{ ref('int_supplier_names__keep_apart') }}

),

overrides as (

    select * from {{ ref('supplier_name_overrides') }}

),

named as (

    select
        *,
        -- The key changes when the normalised name does (a new normaliser version or legal form). A supplier
        -- that was exported keeps its older key through int_supplier_names__stable_keys.
        case
            when flag_reason in ('missing_name', 'empty_name') then null
            else 'name:' || replace(normalised_name, ' ', '-')
        end as own_supplier_key

    from supplier_names

),

override_targets as (

    select
        match_on,
        supplier_name as override_name,
        case
            when match_on = 'normalised_name' then {{ normalise_supplier_name('supplier_name') }}
        end as override_normalised_name,
        coalesce(supplier_key, 'picqer:' || picqer_supplier_id) as target_supplier_key,
        reason

    from overrides

),

-- Rule 1. A raw-name override wins over a normalised-name override of the same name.
override_matches as (

    select
        named.supplier_name,
        override_targets.target_supplier_key as supplier_key,
        'override' as resolution_rule,
        json_object(
            'override_match_on', override_targets.match_on,
            'override_name', override_targets.override_name,
            'reason', override_targets.reason
        ) as rule_evidence

    from named
    inner join override_targets
        on (override_targets.match_on = 'raw_name' and named.supplier_name = override_targets.override_name)
        or (
            override_targets.match_on = 'normalised_name'
            and named.normalised_name = override_targets.override_normalised_name
        )

    qualify row_number() over (
        partition by named.supplier_name
        order by case override_targets.match_on when 'raw_name' then 1 else 2 end, override_targets.target_supplier_key
    ) = 1

),

-- A keep-apart pair blocks the merge of a name into a supplier when one side is the name (its normalised form
-- or its own key) and the other side is the supplier (its key or the normalised name that matched).
blocked_merges as (

    select
        keep_apart.side_normalised_name,
        keep_apart.side_supplier_key,
        keep_apart.other_side_normalised_name,
        keep_apart.other_side_supplier_key

    from keep_apart

),

known_supplier_keys as (

    select
        normalised_name,
        min(supplier_key) as supplier_key,
        count(distinct supplier_key) as supplier_key_count,
        -- json_group_array spelled out, because that macro takes no ORDER BY, and without one the names come in
        -- whatever order DuckDB's threads deliver them, so the evidence changed between identical builds.
        cast(
            '[' || string_agg(
                json_object('source', match_source, 'name', matched_name), ','
                order by match_source desc, matched_name
            ) || ']' as json
        ) as matched_names

    from known_names
    group by normalised_name

),

unique_known_names as (

    select * from known_supplier_keys
    where supplier_key_count = 1

),

-- Rule 3.
picqer_name_matches as (

    select
        named.supplier_name,
        unique_known_names.supplier_key,
        'picqer_name_match' as resolution_rule,
        json_object(
            'normalised_name', named.normalised_name,
            'matched', unique_known_names.matched_names
        ) as rule_evidence

    from named
    inner join unique_known_names
        on named.normalised_name = unique_known_names.normalised_name

    where
        named.own_supplier_key is not null
        and not exists (
            select 1
            from blocked_merges
            where
                (blocked_merges.side_normalised_name = named.normalised_name
                    or blocked_merges.side_supplier_key = named.own_supplier_key)
                and (blocked_merges.other_side_supplier_key = unique_known_names.supplier_key
                    or blocked_merges.other_side_normalised_name = unique_known_names.normalised_name)
        )

),

settled as (

    select supplier_name from override_matches
    union
    select supplier_name from picqer_name_matches

),

-- Names that rules 4 to 6 decide, grouped by normalised name.
open_names as (

    select named.*
    from named
    left join settled
        on named.supplier_name = settled.supplier_name

    where settled.supplier_name is null and named.own_supplier_key is not null

),

open_normalised_names as (

    select
        normalised_name,
        any_value(own_supplier_key) as own_supplier_key,
        any_value(flag_reason) as flag_reason,
        count(*) as spelling_count,
        sum(purchase_order_count) as purchase_order_count

    from open_names
    group by normalised_name

),

-- Rule 5 targets: a Picqer supplier known by that name, or a name-derived supplier with more orders (ties go to
-- the alphabetically first name), so that two similar names never point at each other.
similar_targets as (

    select
        open_normalised_names.normalised_name,
        open_normalised_names.own_supplier_key,
        similar_pairs.similar_name,
        similar_pairs.similarity_rule,
        similar_pairs.edit_distance,
        coalesce(unique_known_names.supplier_key, target_names.own_supplier_key) as target_supplier_key,
        unique_known_names.supplier_key is not null as is_picqer_target

    from open_normalised_names
    inner join similar_pairs
        on open_normalised_names.normalised_name = similar_pairs.normalised_name
    left join unique_known_names
        on similar_pairs.similar_name = unique_known_names.normalised_name
    left join open_normalised_names as target_names
        on similar_pairs.similar_name = target_names.normalised_name

    where
        open_normalised_names.flag_reason is null
        and (
            unique_known_names.supplier_key is not null
            or (
                target_names.normalised_name is not null
                and (
                    target_names.purchase_order_count > open_normalised_names.purchase_order_count
                    or (
                        target_names.purchase_order_count = open_normalised_names.purchase_order_count
                        and target_names.normalised_name < open_normalised_names.normalised_name
                    )
                )
            )
        )

),

unblocked_targets as (

    select *
    from similar_targets
    where not exists (
        select 1
        from blocked_merges
        where
            (blocked_merges.side_normalised_name = similar_targets.normalised_name
                or blocked_merges.side_supplier_key = similar_targets.own_supplier_key)
            and (blocked_merges.other_side_supplier_key = similar_targets.target_supplier_key
                or blocked_merges.other_side_normalised_name = similar_targets.similar_name)
    )

),

-- One hop only: a name-derived target that itself moves to another supplier is not followed.
single_hop_targets as (

    select unblocked_targets.*
    from unblocked_targets
    where
        unblocked_targets.is_picqer_target
        or unblocked_targets.similar_name not in (select normalised_name from unblocked_targets)

),

similar_matches as (

    select
        normalised_name,
        min(target_supplier_key) as supplier_key,
        min(similarity_rule) as resolution_rule,
        json_object(
            'normalised_name', normalised_name,
            'similar_name', min(similar_name),
            'edit_distance', min(edit_distance)
        ) as rule_evidence

    from single_hop_targets
    group by normalised_name
    having count(distinct target_supplier_key) = 1 and count(distinct similarity_rule) = 1

),

-- Rules 4, 5 and 6 per raw name.
name_key_matches as (

    select
        open_names.supplier_name,
        coalesce(similar_matches.supplier_key, open_names.own_supplier_key) as supplier_key,
        case
            when similar_matches.supplier_key is not null then similar_matches.resolution_rule
            when open_normalised_names.spelling_count > 1 then 'normalised_name_match'
            else 'own_supplier'
        end as resolution_rule,
        coalesce(
            similar_matches.rule_evidence,
            json_object(
                'normalised_name', open_names.normalised_name,
                'spelling_count', open_normalised_names.spelling_count
            )
        ) as rule_evidence

    from open_names
    inner join open_normalised_names
        on open_names.normalised_name = open_normalised_names.normalised_name
    left join similar_matches
        on open_names.normalised_name = similar_matches.normalised_name

),

unusable_names as (

    select
        supplier_name,
        'unknown' as supplier_key,
        'unusable_name' as resolution_rule,
        json_object('flag_reason', flag_reason) as rule_evidence

    from named
    where
        own_supplier_key is null
        and supplier_name not in (select supplier_name from override_matches)

),

resolutions as (

    select * from override_matches
    union all
    select * from picqer_name_matches
    where supplier_name not in (select supplier_name from override_matches)
    union all
    select * from name_key_matches
    union all
    select * from unusable_names

),

final as (

    select
        named.supplier_name,
        named.normalised_name,
        named.normaliser_version,
        resolutions.supplier_key,
        resolutions.resolution_rule,
        resolutions.rule_evidence,
        named.purchase_order_count,
        named.first_used_at,
        named.last_used_at,
        named.flag_reason is not null as is_flagged,
        named.flag_reason

    from named
    inner join resolutions
        on named.supplier_name = resolutions.supplier_name

)

select * from final
