"""What users call: :func:`~fastopt.api.optimize.fit`, :func:`~fastopt.api.sweep.sweep` (threads or
Dask, :mod:`~fastopt.api.cluster`), :func:`~fastopt.api.minimize.minimize`, the
:class:`~fastopt.api.result.FitResult` they return, and the checks that turn their arguments into a
problem the engine runs (:mod:`~fastopt.api.validation`, :mod:`~fastopt.api.checks`).

The public names are re-exported by :mod:`fastopt` itself; import them from there.
"""
