{#
    The supplier-name normaliser: turns a free-text supplier name into the comparison form used by the
    resolution rules (docs/supplier-matching.md), e.g. 'Kroon B.V., De' -> 'de kroon'.

    Every step is a DuckDB expression, so the whole normaliser is one SQL expression that any model or test can
    call. Steps that read their input more than once bind it with `list_transform([input], lambda s: ...)[1]`,
    which evaluates the input once instead of copying its SQL into the expression again.

    Bump supplier_name_normaliser_version() whenever a change can alter the output for some name; the version
    is stored with every mapping. NOTE: the legal-form list (seed legal_forms) changes the output too, and is
    not covered by the version.
#}

{% macro supplier_name_normaliser_version() -%}
    '1'
{%- endmacro %}


{# Names whose normalised form has fewer letters and digits than this are flagged and keep their legal form. #}
{% macro supplier_name_minimum_length() -%}
    3
{%- endmacro %}


{% macro _bind_supplier_name(expression, body) -%}
    list_transform([{{ expression }}], lambda s: {{ body }})[1]
{%- endmacro %}


{#
    Undo UTF-8 text that was read as Latin-1 once ('LefÃ¨vre' -> 'Lefèvre'). A two-byte UTF-8 character for
    U+0080..U+00FF shows up as 'Â' or 'Ã' followed by a character in U+0080..U+00BF; only that exact shape is
    repaired, so a real 'Ã' followed by a letter stays as it is.
    NOTE: Windows-1252 mangling ('â€™' for a curly apostrophe) is not recognised.
#}
{% macro _repair_latin1_mojibake(expression) -%}
    {%- set repair_lead_character -%}
        array_to_string(
            list_transform(
                string_split(s, '{lead}'),
                lambda part, i: case
                    when i = 1 then part
                    when ord(left(part, 1)) between 128 and 191 then chr(ord(left(part, 1)) + {offset}) || substr(part, 2)
                    else '{lead}' || part
                end
            ),
            ''
        )
    {%- endset -%}
    {%- set repair_both -%}
        case
            when regexp_matches(s, '[ÂÃ][\x{80}-\x{BF}]')
                then {{ _bind_supplier_name(repair_lead_character.replace('{lead}', 'Ã').replace('{offset}', '64'),
                                            repair_lead_character.replace('{lead}', 'Â').replace('{offset}', '0')) }}
            else s
        end
    {%- endset -%}
    {{ _bind_supplier_name(expression, repair_both) }}
{%- endmacro %}


{#
    Fold case and letters to plain ASCII. Umlauts become their German digraphs first (ö -> oe), so 'Köhler' and
    'Koehler' meet; strip_accents then removes the remaining accents. strip_accents leaves letters that are not
    an accented base letter (ß, ø, æ, œ, ł), so those are spelled out here.
#}
{% macro _fold_supplier_name_letters(expression) -%}
    strip_accents(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            lower(regexp_replace({{ expression }}, '[\pZ\s\x{200B}\x{FEFF}]+', ' ', 'g')),
            'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'), 'ø', 'o'), 'æ', 'ae'), 'œ', 'oe'), 'ł', 'l'),
            'đ', 'd'), 'þ', 'th')
    )
{%- endmacro %}


{#
    Remove what is not part of the company name: an attention line at the end ('t.a.v. J. Smit', 'attn', 'z.Hd.'),
    a bracketed country tag anywhere ('(NL)'), and put an inverted article back in front ('Kroon BV, De').
#}
{% macro _remove_supplier_name_annotations(expression) -%}
    regexp_replace(
        regexp_replace(
            regexp_replace(
                {{ expression }},
                '^(.+?)[\s,;/(-]+(t\.?\s?a\.?\s?v|attn|attention|z\.?\s?hd?)\b.*$', '\1'
            ),
            '\(\s*(nl|be|de|at|lu|fr|uk|gb|dk|ch|se|no|fi|it|es|pl|cz|us|eu)\s*\)', ' ', 'g'
        ),
        '^(.+?)\s*,\s*(de|het|the|le|la|les|die|der|den)\s*$', '\2 \1'
    )
{%- endmacro %}


{#
    Drop a leading acronym that only repeats the initials of the name after it: 'SNP - Societe Normande de
    Plastiques' -> 'Societe Normande de Plastiques'. The acronym must be followed by a dash, colon or bar, and
    must equal the start of the initials of the following words, small connecting words left out.
#}
{% macro _drop_supplier_name_acronym(expression) -%}
    {%- set prefix_pattern = "'^[a-z0-9]{2,6}\\s*[-:|]\\s+'" -%}
    {%- set body -%}
        case
            when regexp_matches(s, {{ prefix_pattern }})
                and starts_with(
                    array_to_string(
                        list_transform(
                            list_filter(
                                string_split(trim(regexp_replace(regexp_replace(s, {{ prefix_pattern }}, ''), '[^\p{L}\p{N}]+', ' ', 'g')), ' '),
                                lambda word: word not in ('', 'de', 'du', 'des', 'la', 'le', 'van', 'der', 'den', 'en', 'et', 'of', 'the', 'and', 'und')
                            ),
                            lambda word: left(word, 1)
                        ),
                        ''
                    ),
                    regexp_extract(s, '^([a-z0-9]{2,6})', 1)
                )
                then regexp_replace(s, {{ prefix_pattern }}, '')
            else s
        end
    {%- endset -%}
    {{ _bind_supplier_name(expression, body) }}
{%- endmacro %}


{#
    Turn punctuation into token boundaries. Dots and apostrophes are deleted, so dotted abbreviations close up
    ('B.V.' -> 'bv', 'A.G.B.' -> 'agb'); '&' and '+' become the connector 'en'; anything else that is not a
    letter or digit becomes a space.
#}
{% macro _tokenise_supplier_name(expression) -%}
    trim(
        regexp_replace(
            regexp_replace(
                regexp_replace({{ expression }}, '[.''’‘`´]', '', 'g'),
                '[&+]', ' en ', 'g'
            ),
            '[^\p{L}\p{N}]+', ' ', 'g'
        )
    )
{%- endmacro %}


{#
    Word-level rewrites: the connectors 'and', 'und', 'et' become 'en'; common abbreviations are written out
    ('ste' -> 'societe', 'zn' -> 'zonen', 'cie' -> 'compagnie'); a leading 'the' or trading prefix ('fa',
    'firma', 'gebr', 'gebroeders') is dropped when more words follow. '& Co' is glued into one token 'en_co', so
    that legal-form removal never takes the 'Co' of 'Terbrugge & Co' for the English 'Co(mpany)'.
#}
{% macro _rewrite_supplier_name_words(expression) -%}
    regexp_replace(
        regexp_replace(
            array_to_string(
                list_transform(
                    string_split({{ expression }}, ' '),
                    lambda word: case word
                        when 'and' then 'en'
                        when 'und' then 'en'
                        when 'et' then 'en'
                        when 'ste' then 'societe'
                        when 'zn' then 'zonen'
                        when 'cie' then 'compagnie'
                        else word
                    end
                ),
                ' '
            ),
            '^(the|fa|firma|gebr|gebroeders) (.)', '\2'
        ),
        ' en co( |$)', ' en_co\1', 'g'
    )
{%- endmacro %}


{#
    The name before legal-form removal: every step of the normaliser except that one. The legal forms in the
    seed go through this same macro, so names and forms are always compared in the same shape.
#}
{% macro clean_supplier_name(expression) -%}
    {{ _rewrite_supplier_name_words(
        _tokenise_supplier_name(
            _drop_supplier_name_acronym(
                _remove_supplier_name_annotations(
                    _fold_supplier_name_letters(
                        _repair_latin1_mojibake(expression)))))) }}
{%- endmacro %}


{#
    Remove legal forms from the end of a cleaned name, repeatedly: 'jansen bv in oprichting' loses 'in oprichting'
    and 'bv'. The pattern requires a space before each form, so the first word always stays. Stripping therefore
    never empties a name, and 'AG' or 'SE' in the middle of a name is never touched. `record` is a lambda variable
    whose field `name` is the cleaned name.
#}
{% macro _strip_legal_forms(record) -%}
    regexp_replace({{ record }}.name, {{ _legal_form_pattern() }}, '')
{%- endmacro %}


{#
    The legal-form pattern as a string literal, read from its model when this model is compiled. DuckDB compiles
    a constant pattern once; a pattern read per row (a subquery) is compiled again for every name, which made
    normalising 10,000 names take minutes. Before that model exists (`dbt compile` on a new warehouse), the
    subquery is used instead.
#}
{% macro _legal_form_pattern() -%}
    {%- set pattern_relation = ref('int_supplier_names__legal_form_pattern') -%}
    {%- if execute and load_relation(pattern_relation) is not none -%}
        {%- set result = run_query('select legal_form_pattern from ' ~ pattern_relation) -%}
        '{{ result.columns[0].values()[0] | replace("'", "''") }}'
    {%- else -%}
        (select legal_form_pattern from {{ pattern_relation }})
    {%- endif -%}
{%- endmacro %}


{#
    Bind the cleaned name for `body`, which reads it as `r.name`.
#}
{% macro _bind_cleaned_supplier_name(expression, body) -%}
    list_transform(
        [{'name': {{ clean_supplier_name(expression) }}}],
        lambda r: {{ body }}
    )[1]
{%- endmacro %}


{#
    The normalised supplier name. When legal-form removal leaves fewer than supplier_name_minimum_length()
    letters and digits ('A B.V.' -> 'a'), the name keeps its legal forms ('a bv'), which is a safer key; such
    names are flagged by supplier_name_flag_reason(). An input without letters or digits gives ''.
#}
{% macro normalise_supplier_name(expression) -%}
    {%- set body -%}
        replace(
            case
                when length(replace(replace({{ _strip_legal_forms('r') }}, ' ', ''), '_', '')) < {{ supplier_name_minimum_length() }}
                    then r.name
                else {{ _strip_legal_forms('r') }}
            end,
            '_', ' '
        )
    {%- endset -%}
    {{ _bind_cleaned_supplier_name(expression, body) }}
{%- endmacro %}


{#
    Why a name cannot be trusted as typed: 'missing_name' (null), 'empty_name' (no letter or digit),
    'short_name' (fewer than supplier_name_minimum_length() letters and digits once legal forms are removed),
    or null when the name is fine.
#}
{% macro supplier_name_flag_reason(expression) -%}
    {%- set body -%}
        case
            when r.name is null then 'missing_name'
            when r.name = '' then 'empty_name'
            when length(replace(replace({{ _strip_legal_forms('r') }}, ' ', ''), '_', '')) < {{ supplier_name_minimum_length() }}
                then 'short_name'
        end
    {%- endset -%}
    {{ _bind_cleaned_supplier_name(expression, body) }}
{%- endmacro %}
