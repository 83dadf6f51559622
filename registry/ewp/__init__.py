"""Erasmus Without Paper (EWP): the IIA API v7 document (``document``), reading it safely
(``safe_xml``, ``reader``) and checking it against the XSDs offline (``schemas``), writing it
(``writer``) with its iia-hash (``hashing``), the condition <-> mobility term mapping
(``terms``), comparing two copies (``diff``) and finding institutions by hei-id (``heis``,
the one module here that reads the store). ``registry.importers.ewp`` and
``registry.exporters.ewp`` turn documents into records and back.
"""
