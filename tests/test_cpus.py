"""fastopt's compiled results do not depend on the CPU they are compiled for.

The kernels are compiled without fast-math flags, so LLVM may not reorder,
contract (FMA) or vectorise any floating-point reduction, whatever the vector
width: code generated for a plain x86-64 (SSE2, no FMA), for this machine and
for an AVX-512 Xeon computes the same bits. This test compiles the kernels for
Numba's ``generic`` target (no CPU features at all) in a fresh process with an
empty cache, checks that no floating-point instruction of the driver carries a
fast-math flag, and compares a digest of several runs with this machine's.
Measured: with ``fastmath={"contract"}`` in ``jit.py`` the host's code has 855
FMA instructions and the digests differ; without, they agree. (NumPy's own
reductions and BLAS are another matter: what fastopt computes with them is
listed in the README's guarantees.)
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.jit,
    pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="the generic target is x86-64's"),
]

RUNS = """
import hashlib, os, re, numpy as np, fastopt
rng = np.random.default_rng(0)
X = rng.normal(size=(400, 3)); y = X @ [1.0, -2.0, 0.5] + rng.normal(size=400)
digest = hashlib.sha256()
for method in fastopt.METHODS:
    digest.update(fastopt.fit(X, y, method, epochs=30, seed=1, stopping_threshold=0).params.tobytes())
mlp = fastopt.fit(X, y, "adam", model=fastopt.MLP((8, 4), activation="tanh"), epochs=10, seed=2, stopping_threshold=0)
digest.update(mlp.params.tobytes())
digest.update(fastopt.minimize("rosenbrock", [-1.0, 1.0], "adam", steps=300, learning_rate=0.01).path.tobytes())
print(digest.hexdigest())
if os.environ.get("NUMBA_CPU_NAME"):  # compiled in this process (cached code keeps no IR)
    from fastopt.engine.specialise import compiled_variants
    from fastopt.engine.kernels import EPOCHS, fit_kernel
    from fastopt.api.minimize import minimize_kernel
    # the driver, every epoch and minimize's driver compiled (each whole, too, once a process compiled enough
    # variants), and the rules the networks and minimize call by address
    kernels = [fit_kernel.dispatcher, minimize_kernel.dispatcher, *(m.rule for m in fastopt.methods.ORDER)]
    kernels += [v for f in [*EPOCHS.values(), minimize_kernel] for v in [*compiled_variants(f).values(), f]]
    kernels = [k.dispatcher if hasattr(k, "dispatcher") else k for k in kernels]
    ir = "".join(text for kernel in kernels for text in kernel.inspect_llvm().values())
    flagged = re.findall(r"= f(?:add|sub|mul|div|neg|cmp) (?:fast|contract|reassoc|nnan|ninf|nsz|arcp|afn)\\b", ir)
    print(len(re.findall(r"= f(?:add|sub|mul|div) ", ir)), len(flagged))
"""


def _run(tmp_path, cpu_name: str | None) -> list[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_CPU")}
    env.pop("NUMBA_DISABLE_JIT", None)
    if cpu_name is not None:
        env["NUMBA_CPU_NAME"] = cpu_name
        env["NUMBA_CACHE_DIR"] = str(tmp_path / cpu_name)  # never mixed with the host's cached code
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", RUNS], env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_code_compiled_for_a_generic_x86_64_computes_the_same_bits(tmp_path):
    generic_digest, instructions, flagged = _run(tmp_path, "generic")
    assert int(instructions) > 1000 and int(flagged) == 0  # the driver's float arithmetic, none of it fast-math
    host_digest, *_ = _run(tmp_path, None)
    assert generic_digest == host_digest
