from decimal import Decimal


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
