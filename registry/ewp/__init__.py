"""Erasmus Without Paper (EWP): the IIA API v7 document (``document``), reading it safely
(``safe_xml``, ``reader``) and checking it against the XSDs offline (``schemas``), writing it
(``writer``) with its iia-hash (``hashing``) and each copy's own spellings (``lexical``), the
condition <-> mobility term mapping (``terms``), comparing two copies (``diff``), and the two
modules here that read the store: the stored copy of an agreement (``copies``) and finding
institutions by hei-id (``heis``). ``registry.importers.ewp`` turns documents into records,
``registry.exporters.ewp`` writes our copies; both build on this package, which imports neither.
"""
