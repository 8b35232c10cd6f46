"""The shared kernel every layer may import: ``records`` (what an archive becomes),
``config``, ``jobs`` (progress and cancel), ``errors``, ``fsutil`` (private folders,
atomic writes), ``netpolicy`` (what may reach the network) and ``privacy`` (the
offline and umask switches an entry point sets). It imports nothing else of ownvoice.
"""
