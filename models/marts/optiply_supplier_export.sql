with

suppliers as (

    select * from {{ ref('dim_suppliers') }}

),

optiply_suppliers as (

    select * from {{ ref('stg_optiply__suppliers') }}

),

all_supplier_links as (

    select * from {{ ref('stg_optiply_sync__supplier_links') }}

),

optiply_raw_suppliers as (

    {%- set optiply_raw_table = source('optiply_raw', 'suppliers') %}
    {%- if relation_exists(optiply_raw_table) %}
    select * from {{ optiply_raw_table }}
    {%- else %}
    select null::varchar as _dlt_load_id where false
    {%- endif %}

),

purchase_orders as (

    select * from {{ ref('fct_purchase_orders') }}

),

key_successions as (

    select * from {{ ref('supplier_key_successions') }}

),

name_mappings as (

    select * from {{ ref('supplier_name_mappings') }}

),

keep_apart as (

    select * from {{ ref('int_supplier_names__keep_apart') }}

),

-- When Optiply was last read: dlt's load id is the Unix time of the load. Null when it was never read.
optiply_read as (

    select max(to_timestamp(cast(_dlt_load_id as double))) as optiply_read_at

    from optiply_raw_suppliers

),

-- A link vouches for its supplier unless its Optiply supplier was missing from a read of Optiply made after the
-- link was written: then someone deleted it in Optiply, and PATCHing it would only return 404. Such a supplier
-- is planned as if it had no link (adopt by remote id or name, else create). A link written after the last read
-- is kept, because that read could not have seen it.
-- NOTE: an account read with no suppliers at all leaves no table (dlt writes none), so it vouches for every link.
supplier_links as (

    select all_supplier_links.*

    from all_supplier_links
    cross join optiply_read
    left join optiply_suppliers
        on all_supplier_links.optiply_supplier_id = optiply_suppliers.optiply_supplier_id

    where
        optiply_suppliers.optiply_supplier_id is not null
        or optiply_read.optiply_read_at is null
        or all_supplier_links.linked_at > optiply_read.optiply_read_at

),

attributes as (

    select
        supplier_key,
        supplier_source,
        -- The normaliser returns '' for a name without letters or digits, and such a name must never match.
        nullif(normalised_name, '') as normalised_name,
        -- Optiply's own Picqer sync uses the idsupplier as remote id, so ours matches the suppliers it made.
        case
            when supplier_source = 'picqer_supplier' then cast(picqer_supplier_id as varchar)
            else supplier_key
        end as remote_id,
        -- The exporter strips control characters, cuts the name to Optiply's 255 characters and checks the
        -- e-mail address before sending, so it can log and count each change. The payload keeps the values as
        -- Picqer has them, so the hash changes only when Picqer does.
        trim(supplier_name) as export_name,
        case
            when nullif(trim(email_address), '') is not null then [trim(email_address)]
            else cast([] as varchar[])
        end as emails,
        -- Integrations never delete suppliers in Optiply, so an inactive Picqer supplier is set to ignored instead.
        coalesce(not is_active, false) as is_ignored

    from suppliers

),

payloads as (

    select
        supplier_key,
        normalised_name,
        remote_id,
        cast(
            json_object('name', export_name, 'emails', emails, 'remoteId', remote_id, 'ignored', is_ignored)
            as varchar
        ) as payload

    from attributes

),

with_hashes as (

    select
        *,
        md5(payload) as payload_hash

    from payloads

),

-- Optiply suppliers that no link points to yet: only these can be adopted.
unlinked_optiply_suppliers as (

    select optiply_suppliers.*

    from optiply_suppliers
    left join supplier_links
        on optiply_suppliers.optiply_supplier_id = supplier_links.optiply_supplier_id

    where supplier_links.optiply_supplier_id is null

),

-- A supplier whose key changed (after a switch between scoped and admin keys) takes over the Optiply supplier of
-- its predecessor, as recorded in supplier_key_successions.
succession_matches as (

    select
        key_successions.successor_key as supplier_key,
        key_successions.predecessor_key,
        key_successions.optiply_supplier_id

    from key_successions
    where key_successions.successor_key is not null

),

remote_id_matches as (

    select
        with_hashes.supplier_key,
        unlinked_optiply_suppliers.optiply_supplier_id

    from with_hashes
    inner join unlinked_optiply_suppliers
        on with_hashes.remote_id = unlinked_optiply_suppliers.remote_id

    -- NOTE: several Optiply suppliers with our remote id are duplicates made earlier; the oldest one is adopted
    -- and the others are left alone.
    qualify row_number() over (partition by with_hashes.supplier_key order by unlinked_optiply_suppliers.optiply_supplier_id) = 1

),

-- Name adoption only considers suppliers that an integration created through the public API and whose remote id
-- under our coupling is none of ours: none at all (made from an order's name), or a Picqer idsupplier while
-- this key cannot read supplier objects (made by a sync with an admin key). Suppliers made by hand in Optiply are
-- never touched.
optiply_name_candidates as (

    select
        optiply_supplier_id,
        lower(trim(supplier_name)) as folded_name,
        nullif({{ normalise_supplier_name('supplier_name') }}, '') as normalised_name

    from unlinked_optiply_suppliers

    where
        is_created_from_public_api
        and (
            remote_id is null
            or remote_id not in (select remote_id from with_hashes)
        )

),

-- Every normalised spelling of each of our suppliers: its own name and the names typed on orders that name
-- resolution gave it. Names flagged as unusable never take part.
supplier_spellings as (

    select
        supplier_key,
        normalised_name

    from with_hashes
    where normalised_name is not null

    union

    select
        supplier_key,
        normalised_name

    from name_mappings
    where
        supplier_key != 'unknown'
        and not is_flagged
        and nullif(normalised_name, '') is not null

),

-- The spellings typed on our orders, per supplier key, as typed. A supplier that another integration created
-- from an order's name carries that spelling, even when the spelling itself is flagged ('AB').
order_name_spellings as (

    select distinct
        supplier_key,
        lower(trim(supplier_name)) as folded_name

    from purchase_orders
    where
        supplier_key != 'unknown'
        and nullif(trim(supplier_name), '') is not null

),

-- Every pairing of one of our suppliers (linked or not) with a candidate by an equal name: a normalised
-- spelling, or a spelling as typed.
exact_name_pairs as (

    select
        supplier_spellings.supplier_key,
        optiply_name_candidates.optiply_supplier_id

    from supplier_spellings
    inner join optiply_name_candidates
        on supplier_spellings.normalised_name = optiply_name_candidates.normalised_name

    union

    select
        order_name_spellings.supplier_key,
        optiply_name_candidates.optiply_supplier_id

    from order_name_spellings
    inner join optiply_name_candidates
        on order_name_spellings.folded_name = optiply_name_candidates.folded_name

),

comparable_candidate_names as (

    select distinct normalised_name
    from optiply_name_candidates
    where length(replace(normalised_name, ' ', '')) >= {{ supplier_name_minimum_length() }}

),

-- Our spellings against the candidates' names under the narrow tests of name resolution (rule 5), so a typo
-- such as 'Bakker Logsitics B.V.' on orders still finds 'Bakker Logistics B.V.' that another integration made.
similar_names as (

    {{ similar_name_pairs('supplier_spellings', 'comparable_candidate_names') }}

),

-- Pairings by similar names, for suppliers and candidates that no equal name pairs: an equal name is the
-- stronger evidence and decides on its own. A keep-apart pair between our supplier (or the spelling) and the
-- candidate's name forbids the pairing.
similar_spelling_pairs as (

    select distinct
        supplier_spellings.supplier_key,
        optiply_name_candidates.optiply_supplier_id

    from similar_names
    inner join supplier_spellings
        on similar_names.normalised_name = supplier_spellings.normalised_name
    inner join optiply_name_candidates
        on similar_names.similar_name = optiply_name_candidates.normalised_name

    where
        supplier_spellings.supplier_key not in (select supplier_key from exact_name_pairs)
        and optiply_name_candidates.optiply_supplier_id not in (select optiply_supplier_id from exact_name_pairs)
        and not exists (
            select 1
            from keep_apart
            where
                keep_apart.other_side_normalised_name = optiply_name_candidates.normalised_name
                and (
                    keep_apart.side_supplier_key = supplier_spellings.supplier_key
                    or keep_apart.side_normalised_name = supplier_spellings.normalised_name
                )
        )

),

-- A pairing is adopted only when it is unique on both sides: the candidate pairs with no other supplier of ours,
-- and our supplier with no other candidate. Otherwise the match cannot tell which supplier is meant, and
-- merging two suppliers is worse than creating a duplicate.
name_matches as (

    select
        supplier_key,
        optiply_supplier_id,
        'name' as adopted_by

    from exact_name_pairs
    qualify
        count(*) over (partition by optiply_supplier_id) = 1
        and count(*) over (partition by supplier_key) = 1

    union all

    select
        supplier_key,
        optiply_supplier_id,
        'similar_name' as adopted_by

    from similar_spelling_pairs
    qualify
        count(*) over (partition by optiply_supplier_id) = 1
        and count(*) over (partition by supplier_key) = 1

),

-- Each unlinked supplier adopts by its strongest match: its predecessor's Optiply supplier after a change of key
-- kind, then its remote id, then its name.
adoption_matches as (

    select supplier_key, optiply_supplier_id, 'key_change' as adopted_by, predecessor_key, 1 as strength
    from succession_matches

    union all

    select supplier_key, optiply_supplier_id, 'remote_id' as adopted_by, null as predecessor_key, 2 as strength
    from remote_id_matches

    union all

    select supplier_key, optiply_supplier_id, adopted_by, null as predecessor_key, 3 as strength
    from name_matches

),

adoptions as (

    select adoption_matches.*

    from adoption_matches
    left join supplier_links
        on adoption_matches.supplier_key = supplier_links.supplier_key

    where supplier_links.supplier_key is null
    qualify row_number() over (partition by adoption_matches.supplier_key order by adoption_matches.strength) = 1

),

planned as (

    select
        with_hashes.supplier_key,
        with_hashes.remote_id,
        case
            when supplier_links.supplier_key is not null and supplier_links.payload_hash = with_hashes.payload_hash
                then 'unchanged'
            when supplier_links.supplier_key is not null then 'update'
            when adoptions.supplier_key is not null then 'adopt'
            else 'create'
        end as export_action,
        coalesce(supplier_links.optiply_supplier_id, adoptions.optiply_supplier_id) as optiply_supplier_id,
        adoptions.adopted_by,
        adoptions.predecessor_key as replaces_supplier_key,
        with_hashes.payload,
        with_hashes.payload_hash

    from with_hashes
    left join supplier_links
        on with_hashes.supplier_key = supplier_links.supplier_key
    left join adoptions
        on with_hashes.supplier_key = adoptions.supplier_key

),

-- Linked suppliers that left dim_suppliers and that no successor takes over. Integrations never delete in
-- Optiply, so such a supplier is set ignored, once: the link then carries the hash of this payload, and later runs
-- plan `unchanged` until the supplier comes back, when its normal payload (`ignored: false`) differs and is sent.
vanished as (

    select
        supplier_links.supplier_key,
        supplier_links.remote_id,
        supplier_links.optiply_supplier_id,
        supplier_links.payload_hash as sent_payload_hash,
        cast(json_object('ignored', true) as varchar) as payload

    from supplier_links
    left join suppliers
        on supplier_links.supplier_key = suppliers.supplier_key
    left join succession_matches
        on supplier_links.supplier_key = succession_matches.predecessor_key

    where
        suppliers.supplier_key is null
        and succession_matches.predecessor_key is null

),

vanished_planned as (

    select
        supplier_key,
        remote_id,
        case when sent_payload_hash = md5(payload) then 'unchanged' else 'ignore' end as export_action,
        optiply_supplier_id,
        null as adopted_by,
        null as replaces_supplier_key,
        payload,
        md5(payload) as payload_hash,
        true as is_vanished

    from vanished

),

all_planned as (

    select *, false as is_vanished
    from planned

    union all

    select *
    from vanished_planned

),

final as (

    select
        cast(supplier_key as varchar) as supplier_key,
        cast(remote_id as varchar) as remote_id,
        cast(export_action as varchar) as export_action,
        cast(optiply_supplier_id as bigint) as optiply_supplier_id,
        cast(adopted_by as varchar) as adopted_by,
        cast(replaces_supplier_key as varchar) as replaces_supplier_key,
        cast(payload as varchar) as payload,
        cast(payload_hash as varchar) as payload_hash,
        is_vanished

    from all_planned

)

select * from final
