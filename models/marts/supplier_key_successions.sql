-- One row per link to Optiply whose supplier key is no longer in dim_suppliers, with the current supplier that
-- takes it over. Keys change when the Picqer key kind changes: after a scoped key, names resolve to
-- 'name:' keys; once an admin key can read supplier objects, the same names resolve to 'picqer:<idsupplier>'.
-- The successor keeps the predecessor's Optiply supplier, so a key change never creates a second one.
--
-- The successor is found through the predecessor's names, resolved by today's rules. One is its normalised name,
-- because a name key is 'name:' plus the normalised name with dashes for spaces. The other is the name Optiply
-- has for it, which is the spelling last sent. Only a single current supplier that has no Optiply supplier of
-- its own qualifies. Otherwise the link stays as it is and successor_key is null.

with

supplier_links as (

    select * from {{ ref('stg_optiply_sync__supplier_links') }}

),

suppliers as (

    select * from {{ ref('dim_suppliers') }}

),

mappings as (

    select * from {{ ref('supplier_name_mappings') }}

),

optiply_suppliers as (

    select * from {{ ref('stg_optiply__suppliers') }}

),

orphaned_links as (

    select
        supplier_links.supplier_key as predecessor_key,
        supplier_links.optiply_supplier_id,
        case
            when supplier_links.supplier_key like 'name:%'
                then replace(substr(supplier_links.supplier_key, length('name:') + 1), '-', ' ')
        end as predecessor_normalised_name,
        lower(trim(optiply_suppliers.supplier_name)) as optiply_folded_name

    from supplier_links
    left join suppliers
        on supplier_links.supplier_key = suppliers.supplier_key
    left join optiply_suppliers
        on supplier_links.optiply_supplier_id = optiply_suppliers.optiply_supplier_id

    where suppliers.supplier_key is null

),

current_names as (

    select
        normalised_name,
        lower(trim(supplier_name)) as folded_name,
        supplier_key

    from mappings
    where supplier_key <> 'unknown'

    union

    select
        normalised_name,
        lower(trim(supplier_name)) as folded_name,
        supplier_key

    from suppliers
    where supplier_source = 'picqer_supplier'

),

candidate_successors as (

    select
        orphaned_links.predecessor_key,
        current_names.supplier_key as successor_key

    from orphaned_links
    inner join current_names
        on orphaned_links.predecessor_normalised_name = current_names.normalised_name
        or orphaned_links.optiply_folded_name = current_names.folded_name

),

unique_successors as (

    select
        predecessor_key,
        any_value(successor_key) as successor_key

    from candidate_successors
    group by predecessor_key
    having count(distinct successor_key) = 1

),

-- Picqer supplier objects that Optiply already has under their idsupplier as remote id, made by another sync and
-- linked to none of ours. The export adopts that supplier for the object, so a predecessor must not take it over
-- too: two Optiply suppliers would carry the same remote id. The predecessor then counts as vanished.
objects_in_optiply as (

    select distinct 'picqer:' || optiply_suppliers.remote_id as successor_key

    from optiply_suppliers
    left join supplier_links
        on optiply_suppliers.optiply_supplier_id = supplier_links.optiply_supplier_id

    where
        supplier_links.optiply_supplier_id is null
        and regexp_full_match(optiply_suppliers.remote_id, '[0-9]+')

),

-- A successor that is linked already keeps its own Optiply supplier, and one that two predecessors point to
-- takes neither: choosing would merge two Optiply suppliers.
eligible_successors as (

    select unique_successors.*

    from unique_successors
    left join supplier_links
        on unique_successors.successor_key = supplier_links.supplier_key
    left join objects_in_optiply
        on unique_successors.successor_key = objects_in_optiply.successor_key

    where
        supplier_links.supplier_key is null
        and objects_in_optiply.successor_key is null
    qualify count(*) over (partition by unique_successors.successor_key) = 1

),

final as (

    select
        orphaned_links.predecessor_key,
        orphaned_links.optiply_supplier_id,
        eligible_successors.successor_key

    from orphaned_links
    left join eligible_successors
        on orphaned_links.predecessor_key = eligible_successors.predecessor_key

)

select * from final
