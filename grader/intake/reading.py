"""Reading a submitted notebook's bytes into plain cells, whatever editor saved it, or rejecting
the file with a reason a person can act on."""
from __future__ import annotations

import codecs
import json

MAX_BYTES = 50 * 1024 * 1024
MAX_CELLS = 5_000                 # a notebook with more is not a submission

# JSON may be UTF-16 or UTF-32 (RFC 8259 names them); some Windows editors save with their mark
UNICODE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class Rejected(Exception):
    """The file cannot be graded; the message says why and what to do."""


def check_size(size: int, max_bytes: int = MAX_BYTES) -> None:
    """Raise ``Rejected`` for an empty file or one over ``max_bytes``."""
    if size == 0:
        raise Rejected("the file is empty: save the notebook in Jupyter and submit it again")
    if size > max_bytes:
        raise Rejected(f"the file is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB "
                       "limit: clear the outputs (Edit > Clear Outputs of All Cells), save and "
                       "submit again")


def parse_submission(raw: bytes, max_bytes: int = MAX_BYTES) -> tuple[list[dict], list[str]]:
    """The cells of a submitted notebook (its bytes) as plain dicts, and notes about what was
    unusual.

    Accepts nbformat 3 and 4, any editor's metadata, sources stored as strings or lists. Raises
    ``Rejected`` with a reason a person can act on for anything that is not a notebook.
    """
    check_size(len(raw), max_bytes)
    notes = []
    encoding = next((name for bom, name in UNICODE_BOMS if raw.startswith(bom)), "utf-8")
    if encoding != "utf-8":
        notes.append(f"the file was saved as {encoding.upper()}; it was read as such (Jupyter "
                     "saves UTF-8)")
    try:
        text = raw.decode(encoding if encoding != "utf-8" else "utf-8-sig")
    except UnicodeDecodeError:
        raise Rejected(f"not a notebook: the file is binary, not text (it starts with bytes "
                       f"{raw[:4].hex(' ')}); submit the .ipynb file itself") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Rejected(f"not a notebook: invalid JSON at line {error.lineno}, column "
                       f"{error.colno} ({error.msg}); the file was cut off or edited outside "
                       "Jupyter: open it in Jupyter, or submit an earlier copy") from None
    if not isinstance(data, dict):
        raise Rejected("not a notebook: the JSON holds no notebook (no 'cells')")
    major = data.get("nbformat")
    if major == 3 or "worksheets" in data:
        import nbformat

        try:
            data = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
            notes.append("converted from the old notebook format 3")
        except Exception as error:  # noqa: BLE001
            raise Rejected(f"an old notebook format that cannot be converted: {error}") from None
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise Rejected("not a notebook: the JSON has no list of 'cells'")
    if len(cells) > MAX_CELLS:
        raise Rejected(f"the notebook has {len(cells):,} cells, more than the {MAX_CELLS:,} that "
                       "can be graded: submit the exercise's notebook itself")
    clean = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        clean.append({"cell_type": cell.get("cell_type", "code"), "source": str(source),
                      "id": cell.get("id"), "metadata": metadata})
    return clean, notes
