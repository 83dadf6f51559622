"""Forms derived from the models: one definition of a record's fields and rules, shown as inputs.

- ``fields``: a model's fields as form fields (enums as selects in words, dates as date inputs,
  booleans as checkboxes, long text as text areas, references as selects or a name picker);
- ``errors``: a refusal (pydantic's, the store's) said in words, naming the field and the rule;
- the words of fields and codes are ``registry.labels``' (one definition, translated by the page);
- ``version``: the token that tells a save whether the record changed since its form was opened.

The pages that show them are ``registry/plugins/registry_forms.py``; the writes are ``registry.editing``'s.
"""
