"""Article bytes to text, for ``extract``: UTF-8, or a declared or detected Chinese encoding, or a clear error.

Grain: one file in, one decoded text out (or one error). Offsets reported by ``extract`` are character offsets
in this text, so a UTF-8 file gives the same offsets here as in :func:`governance_study.csvio.decode_utf8`
(a UTF-8 byte-order mark is dropped by both).

Order of attempts, and why:

1. Strict UTF-8: every file in ``data/raw/sources/`` must be UTF-8 (``check`` enforces it).
2. A declared encoding: a byte-order mark (UTF-16) or a ``charset=...`` / ``coding: ...`` declaration in the first
   2 KB, as saved web pages carry (``<meta charset="gbk">``). GBK and GB2312 are read as GB18030, their
   superset, so that a page that declares GB2312 but uses a GBK character still decodes.
3. Detection: bytes that decode strictly as GB18030 *and* look like Chinese text (at least 60% of the
   non-ASCII characters are CJK ideographs or CJK punctuation) are read as GB18030. The check matters because
   GB18030 accepts almost any byte sequence: Latin-1 or Shift-JIS bytes would "decode" into nonsense.

A text decoded from anything but UTF-8 comes with a note saying so and how to convert the file before it joins
the corpus; offsets then refer to the decoded characters, which the converted UTF-8 file will share.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "DecodeError", "decode_article"]

#: Declared encodings this module honours, by the lower-cased label a page may use.
CHINESE_LABELS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5",
    "big5-hkscs": "big5hkscs",
    "utf-8": "utf-8",
    "utf8": "utf-8",
}
_DECLARATION = re.compile(rb"(?:charset|coding)\s*[=:]\s*[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)
_DECLARATION_WINDOW = 2048
#: Share of non-ASCII characters that must be CJK for a GB18030 guess to be accepted.
MIN_CJK_SHARE = 0.6


class DecodeError(ValueError):
    """A file that is neither UTF-8 nor a recognisable Chinese encoding; the message says how to convert it."""


@dataclass(frozen=True)
class Decoded:
    """The text of one file and the encoding it was read with; ``note`` is set when it was not UTF-8."""

    text: str
    encoding: str
    note: str | None = None


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x20000 <= o <= 0x2FFFF
        or 0xF900 <= o <= 0xFAFF
        or 0x3000 <= o <= 0x303F
        or 0xFF00 <= o <= 0xFFEF
        or o in (0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2014, 0xB7)
    )


def looks_chinese(text: str) -> bool:
    """True when most non-ASCII characters of ``text`` are CJK ideographs or CJK punctuation.

    >>> looks_chinese("受理矛盾纠纷657件"), looks_chinese("Ã©tÃ©"), looks_chinese("plain ascii")
    (True, False, False)
    """
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return False
    return sum(map(_is_cjk, non_ascii)) >= MIN_CJK_SHARE * len(non_ascii)


def _convert_hint(file: str, encoding: str = "GB18030") -> str:
    return f"convert it with `iconv -f {encoding} -t UTF-8 {file} > {file}.utf8` before adding it to data/raw/sources/"


def decode_article(data: bytes, file: str) -> Decoded:
    """Decode the bytes of an article named ``file`` (for messages); raise :class:`DecodeError` if impossible.

    >>> decode_article("办结591件".encode("utf-8"), "a.txt").encoding
    'utf-8'
    >>> d = decode_article("办结591件".encode("gb18030"), "a.txt")
    >>> d.text, d.encoding, d.note.split(";")[0]
    ('办结591件', 'gb18030', 'a.txt: not UTF-8, decoded as GB18030 (detected)')
    """
    try:
        text = data.decode("utf-8")
        return Decoded(text[1:] if text.startswith("\ufeff") else text, "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                break
            return Decoded(text, "utf-16", f"{file}: not UTF-8, decoded as UTF-16 (byte-order mark); " + _convert_hint(file, "UTF-16"))
    declared = _DECLARATION.search(data[:_DECLARATION_WINDOW])
    if declared:
        label = declared.group(1).decode("ascii").lower()
        codec = CHINESE_LABELS.get(label)
        if codec and codec != "utf-8":
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise DecodeError(
                    f"{file}: declares charset {label} but byte {exc.start} ({data[exc.start : exc.start + 4].hex(' ')}) "
                    f"is not valid {codec.upper()}: find the file's real encoding (e.g. `file -i {file}`), then "
                    + _convert_hint(file, "<ENCODING>")
                ) from None
            return Decoded(
                text, codec, f"{file}: not UTF-8, decoded as {codec.upper()} (declared {label}); " + _convert_hint(file, codec.upper())
            )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and looks_chinese(text):
        return Decoded(text, "gb18030", f"{file}: not UTF-8, decoded as GB18030 (detected); " + _convert_hint(file))
    line = data[: utf8_error.start].count(b"\n") + 1
    bad = data[utf8_error.start : utf8_error.start + 4].hex(" ")
    raise DecodeError(
        f"{file}: not UTF-8 (invalid byte sequence {bad} at byte {utf8_error.start}, line {line}) and not "
        f"recognisable Chinese text in GB18030/GBK: find its encoding (e.g. `file -i {file}` or the page's "
        f"charset), then convert it with `iconv -f ENCODING -t UTF-8 {file} > {file}.utf8`"
    )
