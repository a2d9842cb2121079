"""Text as the command line and the messages show it: escaped for a terminal,
counted, sized."""

from __future__ import annotations

import regex

#: What a terminal must never receive raw: control characters (ESC sequences that
#: retitle or clear it, carriage returns, C1 controls such as CSI), the
#: bidirectional controls that reorder what it shows, and lone surrogates (the
#: undecodable bytes of a file name, which no terminal encoding can carry).
#: Line breaks and tabs stay.
_UNPRINTABLE = regex.compile(r"[[\p{Cc}\p{Bidi_Control}\p{Cs}]--[\n\t]]", flags=regex.V1)
#: Characters that XML 1.0 does not allow in a document at all (its ``Char``
#: production, section 2.2): they are dropped rather than written as invalid XML.
_NOT_XML = regex.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def printable(text: str) -> str:
    """``text`` safe to print: each character of :data:`_UNPRINTABLE` shown as an
    escape (``\\u001b``), which also reads as the same character in JSON."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def human_size(size: int) -> str:
    """``size`` bytes as the CLI shows sizes: ``512 B``, ``253.0 KB``, ``1.1 GB``."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``"1 document"``, ``"2 documents"``."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def eta(seconds: float) -> str:
    """``"0:42"``, ``"12:05"``, ``"3:02:10"``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


#: The ``xml:lang`` attribute as ElementTree and lxml name it (TMX, TBX, EPUB, XHTML).
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def xml_text(text: str) -> str:
    """``text`` without the characters XML cannot carry."""
    return _NOT_XML.sub("", text)


#: Problems listed one a line under an error; the rest are counted in one more line.
PROBLEMS_SHOWN = 50


def clip(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` characters, with … where it was cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def problem_list(title: str, problems: list[str], shown: int = PROBLEMS_SHOWN) -> str:
    """``title`` and the problems one a line under it, up to ``shown``, then one
    line counting the rest: a file with 20,000 bad lines is not 20,000 lines."""
    lines = problems[:shown]
    if len(problems) > shown:
        lines.append(f"… and {len(problems) - shown:,} more")
    return title + "\n  " + "\n  ".join(lines)
