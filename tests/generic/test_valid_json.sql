{# Fail for each row where the column is not null and is not valid JSON text. #}
{% test valid_json(model, column_name) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and not json_valid({{ column_name }})

{% endtest %}
