"""cdrp_lib: the library behind Community Safety Partnership performance bulletins.

The tree follows the data flow: ``sources`` read and validate raw inputs, ``store``
keeps tidy monthly series, ``params`` loads targets, ``stats`` holds the pure
methods of docs/methods.md, ``assess`` and ``narrative`` turn one measure into
figures and sentences, and ``batch``/``render``/``site`` publish the bulletins.
Heavy modules are imported lazily so that ``cdrp --help`` and kernels start fast.
"""

from cdrp_lib.version import __version__ as __version__
