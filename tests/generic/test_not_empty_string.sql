{#
    Fail for each row where the column is an empty or whitespace-only string. Nulls pass; pair with not_null
    where they should not.
#}
{% test not_empty_string(model, column_name) %}

select {{ column_name }}
from {{ model }}
where trim({{ column_name }}) = ''

{% endtest %}
