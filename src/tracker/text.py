"""What every output keeps of a value: the characters a reader can see and a file can hold."""

from __future__ import annotations

import re
from typing import Any

# Control characters (terminal escapes, NUL) and the bidi overrides/isolates that reorder what a
# reader sees ("Trojan Source"): never meaningful in a catalogue's names, so every output drops
# them, as it drops what XML cannot hold (lone surrogates, U+FFFE/U+FFFF).
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                       "\ud800-\udfff\ufffe\uffff]")


def visible(value: Any) -> str:
    """``value`` as text without invisible or unencodable characters."""
    return INVISIBLE.sub("", str(value))
