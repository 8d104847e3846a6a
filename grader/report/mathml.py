"""Markdown with LaTeX maths, as HTML with the maths in MathML: browsers render MathML without any
script, so a page made with it opens offline, can be mailed, and prints cleanly.

The markdown is the instructor's (the release notebook's), never a student's: its HTML is kept.
What comes out is markup, ready to be put into a page as it is.
"""
from __future__ import annotations

import functools
import html
import re


def latex_to_html(tex: str, display: bool) -> str:
    """MathML for a LaTeX formula, made here (browsers render MathML without any script);
    the LaTeX source in a <code> element when it cannot be converted."""
    try:
        from latex2mathml.converter import convert

        mathml = convert(tex, display="block" if display else "inline")
        if not mathml.startswith("<math"):
            raise ValueError("not MathML")
        # HTML knows the MathML namespace: the attribute is noise (and a URL nobody should fetch)
        mathml = re.sub(r'^<math xmlns="[^"]*"', "<math", mathml, count=1)
        return _VARIANT_TOKEN.sub(_styled_token, mathml)
    except Exception:  # noqa: BLE001 - a formula the converter cannot handle must not stop a page
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html.escape(delimiter + tex + delimiter)}</code>'


# Chromium renders MathML Core, which ignores mathvariant="bold" and the like: a bold vector
# would look like a scalar. So styled letters become the Unicode mathematical letters (U+1D400...).
_VARIANT_TOKEN = re.compile(r'<(mi|mn|mo|mtext)((?:\s+[\w-]+="[^"]*")*?)\s+mathvariant="([\w-]+)"'
                            r'((?:\s+[\w-]+="[^"]*")*)>([^<]*)</\1>')
_VARIANT_NAMES = {"bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC",
                  "double-struck": "DOUBLE-STRUCK", "script": "SCRIPT",
                  "bold-script": "BOLD SCRIPT",
                  "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR", "sans-serif": "SANS-SERIF",
                  "bold-sans-serif": "SANS-SERIF BOLD", "monospace": "MONOSPACE"}
_LETTERLIKE = {"ITALIC SMALL H": "PLANCK CONSTANT", "FRAKTUR CAPITAL C": "BLACK-LETTER CAPITAL C",
               "FRAKTUR CAPITAL H": "BLACK-LETTER CAPITAL H",
               "FRAKTUR CAPITAL I": "BLACK-LETTER CAPITAL I",
               "FRAKTUR CAPITAL R": "BLACK-LETTER CAPITAL R",
               "FRAKTUR CAPITAL Z": "BLACK-LETTER CAPITAL Z"}


def _styled_char(char: str, style: str) -> str:
    import unicodedata

    name = unicodedata.name(char, "")
    rest = re.sub(r"^(LATIN|GREEK) (CAPITAL|SMALL) LETTER ", r"\2 ", name)
    if rest == name and not name.startswith("DIGIT "):
        return char
    for candidate in (f"MATHEMATICAL {style} {rest}", f"{style} {rest}",
                      _LETTERLIKE.get(f"{style} {rest}", "")):
        try:
            return unicodedata.lookup(candidate) if candidate else char
        except KeyError:
            continue
    return char


def _styled_token(match: re.Match) -> str:
    tag, before, variant, after, content = match.groups()
    style = _VARIANT_NAMES.get(variant)
    if style is None:
        return match.group(0)
    styled = "".join(_styled_char(c, style) for c in html.unescape(content))
    if styled == html.unescape(content):
        return match.group(0)
    return f"<{tag}{before}{after}>{html.escape(styled, quote=False)}</{tag}>"


_MATH_OR_CODE = re.compile(
    r"(?P<fence>^[ \t]*(?P<mark>`{3,}|~{3,}).*?^[ \t]*(?P=mark)[ \t]*$)"    # fenced code block
    r"|(?P<code>(?P<ticks>`+).+?(?P=ticks))"                                 # code span
    r"|(?P<escaped>\\\$)"                                                    # a literal dollar
    r"|\$\$(?P<display>.+?)\$\$"                                             # display maths
    r"|\$(?P<inline>[^\s$](?:[^$\n]|\n(?![ \t]*\n))*?(?<![\s\\]))\$",        # inline maths
    re.S | re.M)
_PLACEHOLDER = re.compile(r"MATHPLACEHOLDER(\d+)X")


@functools.lru_cache(maxsize=1)
def _markdown_renderer():
    import mistune

    # escape=False: the markdown is the instructor's (release notebook), never a student's
    return mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])


def markdown_to_html(source: str) -> str:
    """Markdown with ``$...$`` and ``$$...$$`` maths as MathML. The maths are replaced by
    placeholders before the markdown parser runs (so that ``_``, ``*`` and ``\\`` in formulas
    are not read as markdown), and the MathML is put in afterwards."""
    maths: list[str] = []

    def protect(match: re.Match) -> str:
        if match.group("display") is not None or match.group("inline") is not None:
            display = match.group("display") is not None
            maths.append(latex_to_html((match.group("display") if display
                                        else match.group("inline")).strip(), display))
            return f"MATHPLACEHOLDER{len(maths) - 1}X"
        return match.group(0)                      # code and escaped dollars stay as written

    protected = _MATH_OR_CODE.sub(protect, source)
    rendered = _markdown_renderer()(protected)
    return _PLACEHOLDER.sub(lambda m: maths[int(m.group(1))] if int(m.group(1)) < len(maths)
                            else m.group(0), rendered)
