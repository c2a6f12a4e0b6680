{#
    Fail for each row where the SQL boolean `expression` is false or null. Under a column, the expression still
    names its columns itself; `column_name` is accepted and unused.
#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
