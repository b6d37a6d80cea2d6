"""Chart colours: colour-blind-safe, and readable on white at WCAG 2.2 AA.

The hues are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal
Design"), chosen because its blue and vermillion stay apart under protanopia,
deuteranopia and tritanopia.  Several of its published shades are too light
on white (orange 2.3:1, sky blue 2.3:1, yellow 1.3:1), so the ones used here
are either the originals that pass (blue ``#0072B2``) or the same hues
darkened until they do.  Every swatch that carries meaning is dark enough for
text (4.5:1), not only for graphics (3:1): the control chart's badges and the
legend print these colours as text, and one rule is simpler to check.

Colour is never the only cue: charts also mark status by marker shape and
name it in the legend and the alt text (WCAG 1.4.1), and ratings carry their
letter and word.

Blue means "better" and vermillion "worse" everywhere, following the NHS
Making Data Count convention (blue improvement, orange concern, purple
neutral), so a reader learns one code for the whole bulletin.  Okabe-Ito's
reddish purple, darkened to pass 4.5:1, came too close to the grey of common
cause under deuteranopia (CIE76 distance 12 in the Machado 2009 simulation),
so "neutral" is a violet picked to stay at least 20 apart from blue,
vermillion and grey under protanopia, deuteranopia and tritanopia (the test
checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BAND",
    "BASELINE",
    "BETTER",
    "GRAPHIC_CONTRAST_AA",
    "GRID",
    "INK",
    "LIMIT",
    "MUTED",
    "NEUTRAL",
    "ON_TARGET",
    "PALETTE",
    "TARGET",
    "TEXT_CONTRAST_AA",
    "WHITE",
    "WORSE",
    "Swatch",
    "Use",
    "contrast_ratio",
    "relative_luminance",
]

#: WCAG 2.2 success criterion 1.4.3: normal text needs 4.5:1 against its background.
TEXT_CONTRAST_AA = 4.5
#: WCAG 2.2 success criterion 1.4.11: graphical objects need 3:1.
GRAPHIC_CONTRAST_AA = 3.0

# WCAG 2.2 relative luminance: sRGB channel linearisation and the luma weights.
_SRGB_LINEAR_LIMIT = 0.04045
_SRGB_LINEAR_SLOPE = 12.92
_SRGB_OFFSET = 0.055
_SRGB_SCALE = 1.055
_SRGB_GAMMA = 2.4
_LUMA_R, _LUMA_G, _LUMA_B = 0.2126, 0.7152, 0.0722
#: The 0.05 flare term of the WCAG contrast ratio.
_FLARE = 0.05
_CHANNEL_MAX = 255
_HEX_DIGITS = 6

WHITE = "#ffffff"


class Use(StrEnum):
    """What a colour is used for, which sets the contrast it needs on white."""

    TEXT = "text"  # may be printed as text: 4.5:1
    GRAPHIC = "graphic"  # lines and markers that carry meaning: 3:1
    FILL = "fill"  # background areas bounded by lines that carry the meaning: none


@dataclass(frozen=True)
class Swatch:
    """A named colour with the job it does (the tests check its contrast for that job)."""

    name: str
    hex: str
    use: Use
    meaning: str


INK = "#0b0c0c"  # text and the measure's own line (as the page text, 19.6:1)
MUTED = "#484949"  # axis lines and ticks (9.0:1)
BETTER = "#0072b2"  # Okabe-Ito blue: better than target / special cause improvement (5.2:1)
WORSE = "#c35100"  # Okabe-Ito vermillion darkened from #d55e00: worse / concern (4.7:1)
ON_TARGET = "#595959"  # on target / common cause (7.0:1)
NEUTRAL = "#8a2be2"  # violet: neutral special cause (6.0:1); see the note above
TARGET = "#007a5a"  # Okabe-Ito bluish green darkened from #009e73: target level (5.3:1)
BASELINE = "#7a4a00"  # Okabe-Ito orange darkened from #e69f00: the baseline (7.5:1)
LIMIT = "#595959"  # trajectory limits and control limits (dashed/dotted, 7.0:1)
BAND = "#e4e4e4"  # tolerance band fill between the limits
GRID = "#d0d0d0"  # light grid lines behind the data

PALETTE: tuple[Swatch, ...] = (
    Swatch("ink", INK, Use.TEXT, "text, the measure's line"),
    Swatch("muted", MUTED, Use.TEXT, "axis labels"),
    Swatch("better", BETTER, Use.TEXT, "better than target; special cause improvement"),
    Swatch("worse", WORSE, Use.TEXT, "worse than target; special cause concern"),
    Swatch("on_target", ON_TARGET, Use.TEXT, "on target; common cause variation"),
    Swatch("neutral", NEUTRAL, Use.TEXT, "special cause with no good direction"),
    Swatch("target", TARGET, Use.TEXT, "the target level"),
    Swatch("baseline", BASELINE, Use.TEXT, "the baseline"),
    Swatch("limit", LIMIT, Use.GRAPHIC, "trajectory and process limits"),
    Swatch("band", BAND, Use.FILL, "the tolerance band between the limits"),
    Swatch("grid", GRID, Use.FILL, "grid lines"),
)


def _channels(hex_colour: str) -> tuple[int, int, int]:
    text = hex_colour.strip().lstrip("#")
    if len(text) != _HEX_DIGITS:
        raise ValueError(f"colour must be #rrggbb, got {hex_colour!r}")
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        raise ValueError(f"colour must be #rrggbb, got {hex_colour!r}") from None


def _linear(channel: int) -> float:
    c = channel / _CHANNEL_MAX
    if c <= _SRGB_LINEAR_LIMIT:
        return c / _SRGB_LINEAR_SLOPE
    return float(((c + _SRGB_OFFSET) / _SRGB_SCALE) ** _SRGB_GAMMA)


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.2 relative luminance of ``#rrggbb``: 0 for black, 1 for white."""
    r, g, b = _channels(hex_colour)
    return _LUMA_R * _linear(r) + _LUMA_G * _linear(g) + _LUMA_B * _linear(b)


def contrast_ratio(foreground: str, background: str = WHITE) -> float:
    """WCAG 2.2 contrast ratio ``(L1 + 0.05) / (L2 + 0.05)``, from 1 to 21.

    >>> round(contrast_ratio("#000000"), 1)
    21.0
    """
    a, b = relative_luminance(foreground), relative_luminance(background)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + _FLARE) / (darker + _FLARE)
