"""Money: one place for a currency's minor unit (ISO 4217) — how an amount is rounded (SPEC §10
step 5: half-up, once, to the minor unit), how many decimals the database keeps, and how the
payroll files and pages show it. Pure: no ORM.

The database keeps :data:`STORED_PLACES` decimals — the finest minor unit of a currency a plan
may use (the Bahraini, Kuwaiti and Omani dinars' thousandths) — so no currency's amount is cut
by its column; every amount is rounded to its own currency's unit before it is stored.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Currencies whose minor unit is not the cent; every other has 2 decimals.
EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3,
             "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3}  # fmt: skip
STORED_PLACES = 3
MONEY_FIELD = {"max_digits": 15, "decimal_places": STORED_PLACES}
_ONE = Decimal(1)


def exponent(currency: str) -> int:
    """Decimals of the currency's minor unit: 2 for EUR/USD/CNY, 0 for JPY, 3 for BHD."""
    return EXPONENTS.get(currency, 2)


def round_to(value: Decimal, places: int) -> Decimal:
    """The one rounding: to 10^-places, ROUND_HALF_UP (a tie goes away from zero)."""
    return Decimal(value).quantize(_ONE.scaleb(-places), rounding=ROUND_HALF_UP)


def round_amount(value: Decimal, currency: str) -> Decimal:
    return round_to(value, exponent(currency))


def is_whole_minor_units(value: Decimal | int, currency: str) -> bool:
    return Decimal(value) == round_amount(Decimal(value), currency)


def format_amount(value: Decimal, currency: str) -> str:
    """As a payroll file writes it: the currency's decimals, no grouping (525.00, 1.250, 525)."""
    return format(round_amount(value, currency), "f")


def excel_format(currency: str) -> str:
    """The XLSX number format of an amount in the currency: #,##0.00, #,##0.000 or #,##0."""
    places = exponent(currency)
    return "#,##0" + ("." + "0" * places if places else "")
