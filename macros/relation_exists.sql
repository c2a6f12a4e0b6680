{#
    Return whether `relation` exists in the warehouse. dlt creates a table only when its first row arrives, so
    raw tables can be missing: picqer_raw.suppliers on a warehouse that has only seen scoped keys,
    optiply_raw.suppliers for an empty Optiply account. Staging models use this to select no rows instead of
    failing. While dbt parses (execute is false) the answer does not matter and is true.
#}
{% macro relation_exists(relation) %}
    {% if not execute %}
        {{ return(true) }}
    {% endif %}
    {{ return(load_relation(relation) is not none) }}
{% endmacro %}
