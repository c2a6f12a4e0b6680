with

suppliers as (

    select * from {{ ref('dim_suppliers') }}

),

optiply_suppliers as (

    select * from {{ ref('stg_optiply__suppliers') }}

),

supplier_links as (

    select * from {{ ref('stg_optiply_sync__supplier_links') }}

),

purchase_orders as (

    select * from {{ ref('fct_purchase_orders') }}

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
        -- Optiply requires a name of at most 255 characters without line breaks.
        left(trim(regexp_replace(supplier_name, '[\r\n]+', ' ', 'g')), 255) as export_name,
        -- One address Optiply finds invalid fails the whole request, so only plain ASCII addresses are sent.
        -- NOTE: an address that fails this check is left out of the payload without a warning.
        case
            when regexp_full_match(trim(email_address), '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}')
                then [trim(email_address)]
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

-- TODO: a switch between scoped and admin keys changes supplier keys (`name:` <-> `picqer:`). A supplier we
-- created under the old key carries that key as remote id, so it matches neither rule below and is created again.
remote_id_matches as (

    select
        with_hashes.supplier_key,
        unlinked_optiply_suppliers.optiply_supplier_id

    from with_hashes
    inner join unlinked_optiply_suppliers
        on with_hashes.remote_id = unlinked_optiply_suppliers.remote_id
    left join supplier_links
        on with_hashes.supplier_key = supplier_links.supplier_key

    where supplier_links.supplier_key is null
    -- NOTE: several Optiply suppliers with our remote id are duplicates made earlier; the oldest one is adopted
    -- and the others are left alone.
    qualify row_number() over (partition by with_hashes.supplier_key order by unlinked_optiply_suppliers.optiply_supplier_id) = 1

),

-- Name adoption only considers suppliers that an integration created from a name: no remote id under our
-- coupling, created through the public API. Suppliers made by hand in Optiply are never touched.
optiply_name_candidates as (

    select
        optiply_supplier_id,
        lower(trim(supplier_name)) as folded_name,
        nullif({{ normalise_supplier_name('supplier_name') }}, '') as normalised_name

    from unlinked_optiply_suppliers

    where
        remote_id is null
        and is_created_from_public_api

),

-- The spellings typed on our orders, per supplier key. A supplier that another integration created from an
-- order's name carries that spelling, which name resolution has already mapped to a key, even where the
-- normalised names differ ('Nord licht Trading' against 'Nordlicht Trading').
order_name_spellings as (

    select distinct
        supplier_key,
        lower(trim(supplier_name)) as folded_name

    from purchase_orders
    where
        supplier_key != 'unknown'
        and nullif(trim(supplier_name), '') is not null

),

-- Every pairing of one of our suppliers (linked or not) with a candidate, by equal normalised name or by a
-- spelling from our orders.
name_pairs as (

    select
        with_hashes.supplier_key,
        optiply_name_candidates.optiply_supplier_id

    from with_hashes
    inner join optiply_name_candidates
        on with_hashes.normalised_name = optiply_name_candidates.normalised_name

    union

    select
        order_name_spellings.supplier_key,
        optiply_name_candidates.optiply_supplier_id

    from order_name_spellings
    inner join optiply_name_candidates
        on order_name_spellings.folded_name = optiply_name_candidates.folded_name

),

-- A pair is adopted only when it is unique on both sides: the candidate pairs with no other supplier of ours,
-- and our supplier with no other candidate. Otherwise the match cannot tell which supplier is meant, and
-- merging two suppliers is worse than creating a duplicate.
unique_name_pairs as (

    select
        supplier_key,
        optiply_supplier_id

    from name_pairs
    qualify
        count(*) over (partition by optiply_supplier_id) = 1
        and count(*) over (partition by supplier_key) = 1

),

name_matches as (

    select
        unique_name_pairs.supplier_key,
        unique_name_pairs.optiply_supplier_id

    from unique_name_pairs
    left join supplier_links
        on unique_name_pairs.supplier_key = supplier_links.supplier_key
    left join remote_id_matches
        on unique_name_pairs.supplier_key = remote_id_matches.supplier_key

    where
        supplier_links.supplier_key is null
        and remote_id_matches.supplier_key is null

),

planned as (

    select
        with_hashes.supplier_key,
        with_hashes.remote_id,
        case
            when supplier_links.supplier_key is not null and supplier_links.payload_hash = with_hashes.payload_hash
                then 'unchanged'
            when supplier_links.supplier_key is not null then 'update'
            when remote_id_matches.supplier_key is not null then 'adopt'
            when name_matches.supplier_key is not null then 'adopt'
            else 'create'
        end as export_action,
        coalesce(
            supplier_links.optiply_supplier_id,
            remote_id_matches.optiply_supplier_id,
            name_matches.optiply_supplier_id
        ) as optiply_supplier_id,
        case
            when supplier_links.supplier_key is not null then null
            when remote_id_matches.supplier_key is not null then 'remote_id'
            when name_matches.supplier_key is not null then 'name'
        end as adopted_by,
        with_hashes.payload,
        with_hashes.payload_hash

    from with_hashes
    left join supplier_links
        on with_hashes.supplier_key = supplier_links.supplier_key
    left join remote_id_matches
        on with_hashes.supplier_key = remote_id_matches.supplier_key
    left join name_matches
        on with_hashes.supplier_key = name_matches.supplier_key

),

final as (

    select
        cast(supplier_key as varchar) as supplier_key,
        cast(remote_id as varchar) as remote_id,
        cast(export_action as varchar) as export_action,
        cast(optiply_supplier_id as bigint) as optiply_supplier_id,
        cast(adopted_by as varchar) as adopted_by,
        cast(payload as varchar) as payload,
        cast(payload_hash as varchar) as payload_hash

    from planned

)

select * from final
