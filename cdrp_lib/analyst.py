"""An analyst's own charts on a bulletin page, published with their alt text.

A cell an analyst adds to a theme notebook may draw with matplotlib and end
with ``plt.show()`` (or leave the figure as the cell's last expression): the
inline backend displays it as a PNG and the page renderer publishes it where
the cell is.  Every published image needs alt text (:mod:`cdrp_lib.render`
fails the page otherwise), and two ways give it one:

* :func:`show_chart` ``(fig, alt="...")`` displays a figure with the alt text
  given, or by default the figure's title (its suptitle, else the first axes
  title), and closes it so it is not displayed a second time;
* a figure shown the usual way gets its title as alt text from the IPython
  extension in this module (:func:`install`), which the batch loads into every
  kernel it starts (``--IPKernelApp.extra_extensions=cdrp_lib.analyst``).  It
  only adds ``{"image/png": {"alt": title}}`` (and the same for the other image
  types the inline backend produces) to the display's metadata, through IPython's
  mime-bundle formatter, which matplotlib's own set-up of the PNG formatter
  leaves alone; a figure with no title gets no alt text and fails the page.

The render reads the alt text from the output's metadata, the place
``IPython.display`` records it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["HOW_TO_GIVE_ALT", "figure_alt", "install", "load_ipython_extension", "show_chart"]

#: What a page without alt text is told to do (the render's error message ends with it).
HOW_TO_GIVE_ALT = ('give it a title or use cdrp_lib.show_chart(fig, alt="...")')
#: Image types the inline backend may produce for a figure, and the metadata key each gets.
IMAGE_MIMETYPES = ("image/png", "image/jpeg", "image/svg+xml")


def figure_alt(fig: Figure) -> str | None:
    """The figure's own description: its suptitle, else the first axes title; ``None`` if none."""
    suptitle = getattr(fig, "_suptitle", None)
    text = suptitle.get_text().strip() if suptitle is not None else ""
    if text:
        return text
    for ax in fig.axes:
        for loc in ("center", "left", "right"):
            title = ax.get_title(loc=loc).strip()
            if title:
                return title
    return None


def show_chart(fig: Figure, alt: str | None = None) -> None:
    """Display ``fig`` as a PNG with alt text, then close it.

    ``alt`` defaults to :func:`figure_alt`; a chart with neither is refused
    (``ValueError``), because the published page must describe it.  The PNG is
    drawn as the inline backend draws it (tight bounding box) with no
    ``Software`` metadata, so the same figure always gives the same bytes.
    """
    import base64
    import io

    import matplotlib.pyplot as plt
    from IPython.display import display

    text = (alt if alt is not None else figure_alt(fig) or "").strip()
    if not text:
        raise ValueError(f"show_chart: this chart has no title to describe it; {HOW_TO_GIVE_ALT}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    display({"image/png": png, "text/plain": f"<chart: {text}>"}, raw=True,  # type: ignore[no-untyped-call]
            metadata={"image/png": {"alt": text}})
    plt.close(fig)


def _alt_metadata(shell: Any) -> Any:
    """The mime-bundle printer: no data of its own, alt text for each image type drawn."""

    def printer(fig: Figure) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            text = figure_alt(fig)
        except Exception:  # a broken figure is matplotlib's to report, not ours
            return {}, {}
        if not text:
            return {}, {}
        metadata: dict[str, Any] = {}
        for mimetype in IMAGE_MIMETYPES:
            formatter = shell.display_formatter.formatters.get(mimetype)
            try:
                formatter.lookup(fig)
            except (KeyError, AttributeError):
                continue
            metadata[mimetype] = {"alt": text}
        return {}, metadata

    return printer


def install(shell: Any = None) -> None:
    """Give every matplotlib figure displayed in ``shell`` (default: the running one) its title
    as alt text.  Does nothing outside IPython; safe to call twice."""
    from matplotlib.figure import Figure

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return
    shell.display_formatter.mimebundle_formatter.for_type(Figure, _alt_metadata(shell))


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext cdrp_lib.analyst``; the batch loads it into every kernel."""
    install(shell)
