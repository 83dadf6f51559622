"""Validating EWP documents against the official XSDs offline.

The XSDs import one another by absolute ``raw.githubusercontent.com`` addresses. They are
not shipped with the registry (they are the EWP projects' files): point ``EWP_SCHEMA_DIR``
at a folder laid out like the EWP repositories (``iias/endpoints/get-response.xsd``,
``types/contact/schema.xsd`` ...) and each address is read from there instead; nothing is
ever fetched from the network. Without that folder, documents are still checked by the
reader, field by field, but not against the XSD.
"""

from __future__ import annotations

import os
from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree

from registry.problems import Problem

SCHEMA_DIR_ENV = "EWP_SCHEMA_DIR"
_GITHUB_RAW = "https://raw.githubusercontent.com/erasmus-without-paper/"

# address an XSD imports -> file under the schema folder (see the EWP README's table)
LOCAL_FILES = {
    "ewp-specs-architecture/stable-v1/common-types.xsd": "types/architecture/common-types.xsd",
    "ewp-specs-types-contact/stable-v1/schema.xsd": "types/contact/schema.xsd",
    "ewp-specs-types-academic-term/stable-v1/schema.xsd": "types/academic-term/schema.xsd",
    "ewp-specs-types-address/stable-v1/schema.xsd": "types/address/schema.xsd",
    "ewp-specs-types-phonenumber/stable-v1/schema.xsd": "types/phonenumber/schema.xsd",
    "ewp-specs-api-registry/stable-v1/catalogue.xsd": "registry/catalogue.xsd",
}

# document kind -> its XSD under the schema folder
SCHEMA_FILES = {
    "iias-get": "iias/endpoints/get-response.xsd",
    "institutions": "institutions/response.xsd",
    "iias-approval": "iias-approval/response.xsd",
}

MAX_ERRORS = 50


def _development_dirs() -> list[Path]:
    # The development layout keeps the EWP files beside the checkout, in ../shared/ewp
    # (or ../../shared/ewp from a worktree under a folder of worktrees).
    project = Path(__file__).resolve().parents[2]
    return [ancestor / "shared" / "ewp" for ancestor in project.parents[:2]]


def schema_dir() -> Path | None:
    """The folder with the EWP XSDs, or None when there is none on this machine."""
    configured = os.environ.get(SCHEMA_DIR_ENV)
    candidates = [Path(configured)] if configured else _development_dirs()
    for candidate in candidates:
        if (candidate / SCHEMA_FILES["iias-get"]).is_file():
            return candidate
    return None


@lru_cache(maxsize=8)
def load_schema(kind: str, directory: Path) -> xmlschema.XMLSchema:
    def local_copy(url: str) -> str:
        if url.startswith(_GITHUB_RAW) and url[len(_GITHUB_RAW) :] in LOCAL_FILES:
            return str(directory / LOCAL_FILES[url[len(_GITHUB_RAW) :]])
        return url

    # allow="local": an address that is not mapped fails instead of being fetched
    return xmlschema.XMLSchema(str(directory / SCHEMA_FILES[kind]), uri_mapper=local_copy, allow="local")


@dataclass
class Validation:
    checked: bool  # False when no schema folder was found
    problems: list[Problem]


def _without_comments(tree: etree._ElementTree) -> etree._ElementTree:
    """The document as a schema sees it: a comment or processing instruction inside a value is no
    child element (xmlschema, given lxml's tree, would take one for a child). Lines are kept."""
    if not any(True for _ in tree.iter(etree.Comment, etree.ProcessingInstruction)):
        return tree
    copy = etree.ElementTree(copy_root := deepcopy(tree.getroot()))
    etree.strip_tags(copy_root, etree.Comment, etree.ProcessingInstruction)
    return copy


def validate(tree: etree._ElementTree, kind: str, *, where: str, directory: Path | None = None) -> Validation:
    """Every schema error (up to MAX_ERRORS) with its line, or ``checked=False`` without XSDs."""
    directory = directory or schema_dir()
    if directory is None:
        return Validation(False, [])
    schema = load_schema(kind, directory)
    problems = []
    for error in schema.iter_errors(_without_comments(tree)):
        problems.append(_problem(error, kind, where))
        if len(problems) >= MAX_ERRORS:
            break
    return Validation(True, problems)


def _problem(error: xmlschema.XMLSchemaValidationError, kind: str, where: str) -> Problem:
    line = getattr(error, "sourceline", None)
    element = error.elem
    name = etree.QName(element).localname if element is not None and isinstance(element.tag, str) else None
    return Problem(
        "schema-invalid",
        f"{where}:{line}" if line else where,
        f"fails {SCHEMA_FILES[kind]}: {error.reason}",
        field=name,
        value=(element.text.strip() or None) if element is not None and element.text else None,
    )


class StreamValidation:
    """A document validated a child of its root at a time, as it is read (issue 19): each child
    against the schema's declaration of it, with its own lines, and the root, emptied of its
    children, at the end (its attributes; a child the root's type does not declare is refused
    as it comes). The same errors as ``validate`` for documents whose root is a list of
    records, as every EWP response is; never more than MAX_ERRORS."""

    def __init__(self, kind: str, root: etree._Element, *, where: str, directory: Path | None = None):
        directory = directory or schema_dir()
        self.kind, self.root, self.where = kind, root, where
        self.schema = load_schema(kind, directory) if directory is not None else None
        self.problems: list[Problem] = []
        self.declarations: dict[str, Any] = {}

    @property
    def checked(self) -> bool:
        return self.schema is not None

    def _declaration(self, tag: str) -> Any:
        """The schema's declaration of a child of the root, looked up once per tag."""
        if tag not in self.declarations:
            self.declarations[tag] = self.schema.find(f"{self.root.tag}/{tag}") if self.schema is not None else None
        return self.declarations[tag]

    def child(self, element: etree._Element) -> list[Problem]:
        """The schema's problems with one child of the root (none without a schema)."""
        if self.schema is None or len(self.problems) >= MAX_ERRORS:
            return []
        declaration = self._declaration(element.tag) if isinstance(element.tag, str) else None
        if declaration is None:
            if not isinstance(element.tag, str):  # a comment or processing instruction between records
                return []
            found = [Problem("schema-invalid", f"{self.where}:{element.sourceline}",
                             f"fails {SCHEMA_FILES[self.kind]}: <{etree.QName(element).localname}> is not allowed in "
                             f"<{etree.QName(self.root).localname}>", field=etree.QName(element).localname)]
        else:
            tree = _without_comments(etree.ElementTree(element))
            found = [_problem(error, self.kind, self.where) for error in declaration.iter_errors(tree.getroot())]
        found = found[: MAX_ERRORS - len(self.problems)]
        self.problems += found
        return found

    def finish(self) -> list[Problem]:
        """The root's own problems, once its children are read (and let go)."""
        for child in list(self.root):  # the last one read, emptied
            self.root.remove(child)
        if self.schema is None or len(self.problems) >= MAX_ERRORS:
            return []
        found = [_problem(error, self.kind, self.where) for error in self.schema.iter_errors(self.root)]
        found = found[: MAX_ERRORS - len(self.problems)]
        self.problems += found
        return found
