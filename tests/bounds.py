"""Rounding-error bounds for tests whose results are rounded differently on different CPUs.

NumPy's reductions and matrix products (and so ``fastopt.reference`` and
``np.linalg``) sum in an order that depends on the CPU: the SIMD width of
NumPy's loops and the BLAS kernel OpenBLAS picks for the processor. A test of
such a result must hold for any summation order. The bounds here are the
textbook worst cases (Higham, *Accuracy and Stability of Numerical
Algorithms*): a sum of ``k`` terms computed in any order is within
``gamma(k) * sum(|terms|)`` of the exact sum, ``gamma(k) = k u / (1 - k u)``
with the unit roundoff ``u = 2**-53``.

The least-squares bounds turn a fit's gradient into a distance from the
optimum, which holds for any iterate whatever path led to it: for the mean
squared error of a linear model with design ``D`` (n rows),
``g(θ) = H (θ - θ*)`` with ``H = 2 DᵀD / n``, so
``||θ - θ*|| <= ||g(θ)|| / λ_min(H)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fastopt.models.scaling import Scaling

U = np.finfo(np.float64).eps / 2  # unit roundoff of float64
U32 = np.finfo(np.float32).eps / 2  # unit roundoff of float32 (2**-24)


def gamma(k: int, u: float = U) -> float:
    """Higham's γ_k = k u / (1 - k u): the relative error bound of a k-term sum or product (unit roundoff u)."""
    return k * u / (1 - k * u)


@dataclass(frozen=True)
class StandardizedLeastSquares:
    """Ordinary least squares in the coordinates a ``standardize=True`` linear fit trains in.

    The standardized design ``D = [(X - mean) / std, 1]`` is well conditioned
    (κ close to 1 for uncorrelated columns), so its least-squares solution has
    a rounding error of a few units of ``n u`` on any CPU, where the raw
    design's (κ in the tens of thousands for columns of very different scales)
    carries ``κ² u`` and depends on the BLAS kernel. Least squares is invariant
    under the affine change of coordinates, so ``to_original(optimum)`` *is*
    the least-squares fit of the raw data.
    """

    scaling: Scaling
    design: np.ndarray  # (n, d + 1): standardized features and a column of ones
    target: np.ndarray  # (n,): standardized targets
    optimum: np.ndarray  # θ*, standardized coordinates
    optimum_error: float  # bound on ||computed θ* - exact θ*||
    lambda_min: float  # lower bound on the smallest eigenvalue of H = 2 DᵀD / n
    lambda_max: float  # upper bound on the largest

    @classmethod
    def of(cls, X: np.ndarray, y: np.ndarray) -> StandardizedLeastSquares:
        scaling = Scaling.of(X, y, scale_targets=True)  # the same function, so the same numbers, as the fit's
        n, d = X.shape
        design = np.column_stack([scaling.features(X), np.ones(n)])
        target = np.asarray(scaling.targets(y))
        optimum = np.linalg.lstsq(design, target, rcond=None)[0]
        singular = np.linalg.svd(design, compute_uv=False)
        kappa = singular[0] / singular[-1]
        # Backward stable solver: the exact solution of a problem perturbed by ε relative, with ε at most a
        # small multiple of n (d + 1) u (10x here); forward error (Golub & Van Loan, Thm 5.3.1):
        # ||δθ|| / ||θ|| <= ε (2 κ / cos φ + κ² tan φ), sin φ = ||r|| / ||t||.
        epsilon = 10 * n * (d + 1) * U
        sin_phi = np.linalg.norm(design @ optimum - target) / np.linalg.norm(target)
        cos_phi = np.sqrt(max(1.0 - sin_phi**2, 1e-300))
        optimum_error = epsilon * (2 * kappa / cos_phi + kappa**2 * sin_phi / cos_phi) * np.linalg.norm(optimum)
        # Eigenvalues of H from the singular values, which the SVD gets to ε σ_max in absolute terms.
        sigma_error = epsilon * singular[0]
        lambda_min = 2 * (singular[-1] - sigma_error) ** 2 / n
        lambda_max = 2 * (singular[0] + sigma_error) ** 2 / n
        return cls(scaling, design, target, optimum, float(optimum_error), float(lambda_min), float(lambda_max))

    def standardized(self, params: np.ndarray) -> np.ndarray:
        """A fit's parameters in the data's units -> standardized coordinates."""
        return self.scaling.to_standardized(params, (self.design.shape[1] - 1, 1))

    def gradient(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """The MSE gradient at ``theta`` and a bound on its rounding error (2-norm), for any summation order."""
        n, p = self.design.shape
        residual = self.design @ theta - self.target
        magnitude = np.abs(self.design) @ np.abs(theta) + np.abs(self.target)  # Σ|terms| of each residual
        gradient = 2.0 / n * (self.design.T @ residual)
        error = gamma(n + p + 3) * 2.0 / n * (np.abs(self.design).T @ (np.abs(residual) + magnitude))
        return gradient, float(np.linalg.norm(error))

    def distance_bound(self, theta: np.ndarray) -> float:
        """A bound on ``||theta - θ*||`` (exact θ*) from the gradient at ``theta``: valid for any iterate."""
        gradient, error = self.gradient(theta)
        return (float(np.linalg.norm(gradient)) * (1 + gamma(len(theta))) + error) / self.lambda_min

    def prediction_bounds(self, X: np.ndarray, params: np.ndarray, distance: float) -> np.ndarray:
        """Per-row bounds on ``|prediction(params) - least-squares prediction|`` in the data's units.

        ``distance`` bounds ``||θ - θ*||`` in standardized coordinates. Added:
        the computed θ*'s own error, and the rounding of the maps between the
        two coordinate systems and of both predictions, each a sum of at most
        ``2 (d + 4)`` terms whose magnitudes are summed here.
        """
        scaling, d = self.scaling, X.shape[1]
        rows = np.column_stack([(X - scaling.x_mean) / scaling.x_scale, np.ones(len(X))])
        theta = self.standardized(params)
        terms = (np.abs(X) @ np.abs(params[:-1]) + np.abs(params[-1])
                 + scaling.y_scale * (np.abs(rows) @ (np.abs(theta) + np.abs(self.optimum))) + abs(scaling.y_mean))  # fmt: skip
        return scaling.y_scale * np.linalg.norm(rows, axis=1) * (distance + self.optimum_error) + gamma(
            4 * (d + 4)
        ) * terms

    def predictions(self, X: np.ndarray) -> np.ndarray:
        """Least squares' predictions in the data's units."""
        rows = self.scaling.features(X)
        return (rows @ self.optimum[:-1] + self.optimum[-1]) * self.scaling.y_scale + self.scaling.y_mean
