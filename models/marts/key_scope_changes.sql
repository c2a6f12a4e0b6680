{{ config(materialized='incremental', unique_key='changed_at') }}

-- One row per accepted change between an admin and a scoped Picqer key, with what it did. It is written by the
-- first build after the change and kept as it was from then on, so the counts describe the change itself.
-- They count the suppliers whose Optiply supplier moved to a new key and the name suppliers that no supplier
-- object matched (supplier_merge_candidates lists their look-alikes). They also count the supplier objects kept
-- unrefreshed because the new key cannot read them.

with

key_probes as (

    select * from {{ ref('stg_picqer__key_probes') }}

),

suppliers as (

    select * from {{ ref('dim_suppliers') }}

),

successions as (

    select * from {{ ref('supplier_key_successions') }}

),

probes_with_previous as (

    select
        *,
        lag(key_kind) over (order by probed_at) as previous_key_kind

    from key_probes

),

accepted_changes as (

    select
        probed_at as changed_at,
        previous_key_kind as from_key_kind,
        key_kind as to_key_kind,
        fulfilment_customer_id,
        picqer_host

    from probes_with_previous
    where
        is_key_change_accepted
        and previous_key_kind is distinct from key_kind
        {% if is_incremental() %}
        and probed_at > (select coalesce(max(changed_at), '-infinity'::timestamptz) from {{ this }})
        {% endif %}

),

supplier_counts as (

    select
        count(*) filter (where supplier_source = 'purchase_order_name') as name_supplier_count,
        count(*) filter (where supplier_source = 'picqer_supplier' and not is_object_refreshed) as unrefreshed_object_count

    from suppliers

),

succession_counts as (

    select
        count(*) filter (where successor_key is not null) as relinked_count,
        count(*) filter (where successor_key is null) as unmatched_link_count

    from successions

),

final as (

    select
        accepted_changes.changed_at,
        accepted_changes.from_key_kind,
        accepted_changes.to_key_kind,
        accepted_changes.fulfilment_customer_id,
        accepted_changes.picqer_host,
        succession_counts.relinked_count as relinked_supplier_count,
        case
            when accepted_changes.to_key_kind = 'admin'
                then supplier_counts.name_supplier_count
        end as unmatched_name_supplier_count,
        succession_counts.unmatched_link_count as unmatched_link_count,
        case
            when accepted_changes.to_key_kind = 'scoped'
                then supplier_counts.unrefreshed_object_count
        end as kept_supplier_object_count,
        current_timestamp as recorded_at

    from accepted_changes
    cross join supplier_counts
    cross join succession_counts

)

select * from final
