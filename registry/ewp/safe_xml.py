"""Reading XML from outside without letting it reach further than its own bytes.

EWP documents come from partners' servers and from files people download. A document that
declares a DTD can pull in local files or the network (XXE) or expand a few bytes into
gigabytes (billion laughs). No EWP schema uses a DTD, so one is refused outright, and the
parser is set so that nothing would be fetched or expanded even before that refusal.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from lxml import etree

from registry.problems import Problem, ProblemsFound


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers keep state and are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,  # entity references stay references: no expansion, no file reads
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,  # keeps libxml2's limits on depth and text size
        remove_comments=False,
    )


def _mentions_doctype(data: bytes) -> bool:
    head = data[:65536]
    text = head.decode("utf-16", "ignore") if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head.decode("latin-1")
    return "<!DOCTYPE" in text


def _dtd_refused(where: str, doctype: str | None) -> Problem:
    return Problem(
        "xml-dtd-refused",
        f"{where}:1",
        "the document declares a DTD (<!DOCTYPE ...>); EWP documents have none, and a DTD can read local "
        "files or expand entities without bound (XXE, billion laughs), so it is refused and nothing was read from it",
        value=doctype,
    )


def _refuse_dtd(docinfo, where: str) -> None:
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ProblemsFound([_dtd_refused(where, docinfo.doctype or None)])


def _syntax_problem(error: etree.XMLSyntaxError, head: bytes, where: str) -> Problem:
    """What a parse error says: a refused DTD when the document declares one (libxml2 may stop on
    the DTD itself, e.g. entity amplification), else the line that is not well-formed."""
    if _mentions_doctype(head):
        return _dtd_refused(where, None)
    return Problem("xml-syntax", f"{where}:{error.lineno or 1}", f"not well-formed XML: {error.msg}")


def parse(source: str | Path | bytes, *, where: str | None = None) -> etree._ElementTree:
    """Parse a file or bytes safely; raise ProblemsFound naming the line for anything refused."""
    if isinstance(source, bytes):
        data, where = source, where or "<document>"
    else:
        path = Path(source)
        where = where or str(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ProblemsFound([Problem("unreadable", where, f"cannot read the file: {error.strerror or error}")]) from error
    if not data.strip():
        raise ProblemsFound([Problem("xml-syntax", where, "the file is empty")])
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        raise ProblemsFound([_syntax_problem(error, data, where)]) from None
    _refuse_dtd(tree.docinfo, where)
    for node in tree.iter(etree.Entity):
        raise ProblemsFound(
            [Problem("xml-entity-refused", f"{where}:{node.sourceline or 1}", "entity references are not allowed", value=node.text)]
        )
    return tree


_CHUNK_BYTES = 1 << 20


def _read_head(path: Path, where: str) -> bytes:
    """The first 64 KB, after making sure the file is readable and not blank."""
    try:
        with path.open("rb") as stream:
            head = stream.read(65536)
            blank = not head.strip()
            while blank and (chunk := stream.read(_CHUNK_BYTES)):
                blank = not chunk.strip()
    except OSError as error:
        raise ProblemsFound([Problem("unreadable", where, f"cannot read the file: {error.strerror or error}")]) from error
    if blank:
        raise ProblemsFound([Problem("xml-syntax", where, "the file is empty")])
    return head


def iter_children(path: str | Path, *, where: str | None = None) -> Generator[etree._Element, None, None]:
    """The root element, then each child of the root as it is read, with the same safety as
    ``parse``: a file of any size is read in the memory of one child (each is let go once
    the next is asked for). ProblemsFound names the line of anything refused."""
    path = Path(path)
    where = where or str(path)
    head = _read_head(path, where)
    events = etree.iterparse(str(path), events=("start", "end"), resolve_entities=False, load_dtd=False,
                             dtd_validation=False, no_network=True, huge_tree=False, remove_comments=False)
    depth = 0
    root: etree._Element | None = None
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                    _refuse_dtd(element.getroottree().docinfo, where)
                    yield root
                continue
            depth -= 1
            if depth != 1:
                continue
            for node in element.iter(etree.Entity):
                raise ProblemsFound([Problem("xml-entity-refused", f"{where}:{node.sourceline or 1}",
                                             "entity references are not allowed", value=node.text)])
            yield element
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        raise ProblemsFound([_syntax_problem(error, head, where)]) from None
