"""ISO 3166 countries (via pycountry) and the countries that matter for cocaine flows."""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def _alpha2() -> dict[str, str]:
    return {c.alpha_2: c.name for c in pycountry.countries}


def is_country(alpha2: str) -> bool:
    return alpha2.strip().upper() in _alpha2()


def country_name(alpha2: str) -> str:
    try:
        return _alpha2()[alpha2.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown ISO 3166 alpha-2 country code {alpha2!r}") from None


# Colombia, Peru and Bolivia grow coca and produce virtually all of the world's cocaine (UNODC).
SOURCE_COUNTRIES: frozenset[str] = frozenset({"CO", "PE", "BO"})

# Countries whose ports and airports carry cocaine towards Europe (UNODC / EMCDDA reporting):
# Ecuador and Brazil above all, the river route via Paraguay, Central America and the Caribbean
# (Costa Rica, Panama, Dominican Republic, Guatemala, Honduras, Jamaica, Mexico), the Southern Cone
# (Uruguay, Argentina, Chile), and the Guianas, Curacao and Venezuela for air and small-vessel routes.
TRANSIT_COUNTRIES: frozenset[str] = frozenset(
    {"EC", "BR", "PY", "CR", "PA", "DO", "UY", "AR", "CL", "MX", "GT", "HN", "JM", "SR", "CW", "VE", "GY"}
)
