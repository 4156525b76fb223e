"""The engine: the compiled drivers and what they run.

- :mod:`~fastopt.engine.jit`: the one set of Numba options, and the source stamp of Numba's cache;
- :mod:`~fastopt.engine.status`: the codes the drivers return, and the divergence check;
- :mod:`~fastopt.engine.kernels`: the drivers (epochs, stopping rule, divergence) of a fit and of a sweep group;
- :mod:`~fastopt.engine.linear`: the linear model's hot loop; :mod:`~fastopt.engine.network`: the
  built-in models' compiled passes;
- :mod:`~fastopt.engine.shuffle`: per-epoch permutations and noise; :mod:`~fastopt.engine.chunks`: runs
  split into chunks of epochs (Ctrl-C, progress); :mod:`~fastopt.engine.groups`: a sweep's tasks.

Nothing here checks a user's input: :mod:`fastopt.api` does, once, before a driver starts.
"""
