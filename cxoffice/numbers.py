from decimal import Decimal
from functools import lru_cache


@lru_cache(maxsize=8192)  # reports format the same few numbers over and over
def plain(value: Decimal | None) -> str:
    """A Decimal as people write it: no exponent, no trailing zeros (``80``, ``87.5``, ``0.003``).

    Exact — only zeros after the last significant digit are dropped. None → "—".
    """
    if value is None:
        return "—"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
