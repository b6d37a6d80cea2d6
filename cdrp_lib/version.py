"""The library's version, in a module of its own at the bottom of the layers.

Pages, tables, the batch's input keys and manifests, the CLI and the download
user agent all record it; reading it from here rather than from the package
root keeps them from depending on ``cdrp_lib/__init__.py``, which is the top
of the layers (the public API) and imports what they are built into.
"""

__version__ = "0.3.0"
