"""Erasmus Without Paper (EWP): the IIA API v7 document, its iia-hash, safe XML reading,
offline schema validation, and field-by-field comparison of two copies of an agreement.

Nothing here touches the store: ``registry.importers.ewp`` and ``registry.exporters.ewp``
turn these documents into records and back.
"""
