"""Distances on the WGS84 ellipsoid, in kilometres.

Two entry points because they serve different callers:

* `geodesic_km` is for the matching engine, which scores thousands of member/need pairs at
  once. It runs Vincenty's inverse formula vectorised over numpy arrays (sub-millimetre on
  the ellipsoid) and hands the few near-antipodal pairs where Vincenty does not converge to
  Karney's algorithm, so every pair gets an answer.
* `geodesic_km_exact` is Karney's algorithm for one pair. PostGIS computes geography
  distances (`ST_Distance`, `ST_DWithin`) with the same algorithm on the same ellipsoid, so
  registering this as a SQLite function makes the embedded backend select the same rows.

`great_circle_km` is the cheap stand-in on the mean sphere, within `SPHERE_MARGIN` of the
ellipsoid: for bounds and prefilters that a geodesic distance then decides.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from geographiclib.geodesic import Geodesic

# WGS84 defining constants; the semi-minor axis follows from them.
_SEMI_MAJOR_AXIS_M = 6378137.0
_FLATTENING = 1 / 298.257223563
_SEMI_MINOR_AXIS_M = (1 - _FLATTENING) * _SEMI_MAJOR_AXIS_M

SPHERE_MARGIN = 0.01
"""Relative band around a distance where sphere and spheroid may disagree (they differ by
< 0.6%: the ellipsoid's radii of curvature lie within that of the mean radius)."""
MEAN_EARTH_RADIUS_KM = 6371.0088

# Vincenty converges in a handful of iterations except close to the antipode, where it can
# crawl or oscillate; rather than iterate on, those pairs go to Karney (exact, slower).
_MAX_ITERATIONS = 100
# Change in the auxiliary longitude at which we stop: 1e-12 rad is ~6 micrometres.
_CONVERGENCE_TOLERANCE_RAD = 1e-12


def geodesic_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Ellipsoidal distance in km between point arrays, broadcast like numpy arithmetic.

    Latitudes must lie in [-90, 90]; longitudes may be any finite value (only their
    difference matters, so the antimeridian needs no special care by the caller).
    Raises ValueError otherwise, because a silently wrong distance would mis-rank matches.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (lat1, lon1, lat2, lon2))
    )
    shape = arrays[0].shape
    flat_lat1, flat_lon1, flat_lat2, flat_lon2 = (a.ravel() for a in arrays)
    _check_coordinates(flat_lat1, flat_lon1)
    _check_coordinates(flat_lat2, flat_lon2)

    metres = _vincenty_inverse_m(flat_lat1, flat_lon1, flat_lat2, flat_lon2)
    for i in np.flatnonzero(np.isnan(metres)):
        metres[i] = _karney_m(flat_lat1[i], flat_lon1[i], flat_lat2[i], flat_lon2[i])
    return (metres / 1000.0).reshape(shape)


def great_circle_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Haversine distance in km on the mean sphere, broadcast like numpy arithmetic.

    A tenth of `geodesic_km`'s cost and within `SPHERE_MARGIN` of it: multiply by
    ``1 - SPHERE_MARGIN`` for a distance that is never more than the geodesic one.
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = np.radians(np.subtract(lon2, lon1)) / 2
    term = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    return np.asarray(
        2 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(term, 0.0, 1.0))), dtype=np.float64
    )


def geodesic_km_exact(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km for one pair by Karney's algorithm, matching PostGIS geography.

    Raises ValueError on an out-of-range latitude or non-finite coordinate so that bad rows
    fail the query loudly instead of comparing as NaN (which is never "within" anything).
    """
    # Plain comparisons rather than _check_coordinates: SQLite calls this once per row.
    if not (abs(lat1) <= 90.0 and abs(lat2) <= 90.0):
        raise ValueError("latitude must be within [-90, 90] degrees")
    if not (math.isfinite(lon1) and math.isfinite(lon2)):
        raise ValueError("longitude must be finite")
    return _karney_m(lat1, lon1, lat2, lon2) / 1000.0


def _check_coordinates(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> None:
    # Written as "not inside" so NaN fails too.
    if not np.all(np.abs(lat) <= 90.0):
        raise ValueError("latitude must be within [-90, 90] degrees")
    if not np.all(np.isfinite(lon)):
        raise ValueError("longitude must be finite")


def _karney_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    result = Geodesic.WGS84.Inverse(
        float(lat1), float(lon1), float(lat2), float(lon2), Geodesic.DISTANCE
    )
    return float(result["s12"])


def _vincenty_inverse_m(
    lat1: npt.NDArray[np.float64],
    lon1: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Vincenty (1975) inverse on flat arrays; NaN marks pairs that did not converge."""
    f = _FLATTENING
    # Wrapping the longitude difference into [-180, 180) is all the antimeridian needs.
    lon_difference = np.radians(np.remainder(lon2 - lon1 + 180.0, 360.0) - 180.0)
    # Reduced latitudes via atan2 rather than atan(tan(...)), which is ill-defined at the poles.
    reduced1 = np.arctan2((1 - f) * np.sin(np.radians(lat1)), np.cos(np.radians(lat1)))
    reduced2 = np.arctan2((1 - f) * np.sin(np.radians(lat2)), np.cos(np.radians(lat2)))
    sin_u1, cos_u1 = np.sin(reduced1), np.cos(reduced1)
    sin_u2, cos_u2 = np.sin(reduced2), np.cos(reduced2)

    count = lon_difference.size
    sin_sigma = np.zeros(count)
    cos_sigma = np.zeros(count)
    sigma = np.zeros(count)
    cos_sq_alpha = np.zeros(count)
    cos_2sigma_m = np.zeros(count)
    lam = lon_difference.copy()
    converged = np.zeros(count, dtype=bool)
    # Iterate only the pairs still moving, so one slow pair does not cost a full pass each time.
    active = np.arange(count)

    for _ in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        su1, cu1, su2, cu2 = sin_u1[active], cos_u1[active], sin_u2[active], cos_u2[active]
        lam_a = lam[active]
        sin_lam, cos_lam = np.sin(lam_a), np.cos(lam_a)

        sin_sigma_a = np.hypot(cu2 * sin_lam, cu1 * su2 - su1 * cu2 * cos_lam)
        cos_sigma_a = su1 * su2 + cu1 * cu2 * cos_lam
        sigma_a = np.arctan2(sin_sigma_a, cos_sigma_a)
        # sin(sigma) == 0 means coincident points (or both at one pole): distance is 0.
        sin_alpha = np.divide(
            cu1 * cu2 * sin_lam, sin_sigma_a, out=np.zeros_like(sin_lam), where=sin_sigma_a != 0
        )
        cos_sq_alpha_a = 1.0 - sin_alpha**2
        # cos^2(alpha) == 0 only for lines along the equator, where cos(2 sigma_m) is 0.
        cos_2sigma_m_a = cos_sigma_a - np.divide(
            2.0 * su1 * su2,
            cos_sq_alpha_a,
            out=np.zeros_like(sin_lam),
            where=cos_sq_alpha_a != 0,
        )
        c = f / 16.0 * cos_sq_alpha_a * (4.0 + f * (4.0 - 3.0 * cos_sq_alpha_a))
        lam_next = lon_difference[active] + (1.0 - c) * f * sin_alpha * (
            sigma_a
            + c
            * sin_sigma_a
            * (cos_2sigma_m_a + c * cos_sigma_a * (-1.0 + 2.0 * cos_2sigma_m_a**2))
        )

        sin_sigma[active] = sin_sigma_a
        cos_sigma[active] = cos_sigma_a
        sigma[active] = sigma_a
        cos_sq_alpha[active] = cos_sq_alpha_a
        cos_2sigma_m[active] = cos_2sigma_m_a
        lam[active] = lam_next

        finished = np.abs(lam_next - lam_a) <= _CONVERGENCE_TOLERANCE_RAD
        converged[active[finished]] = True
        # |lambda| beyond pi is Vincenty's antipodal breakdown: stop and leave it unconverged.
        diverged = np.abs(lam_next) > np.pi
        active = active[~(finished | diverged)]

    a, b = _SEMI_MAJOR_AXIS_M, _SEMI_MINOR_AXIS_M
    u_sq = cos_sq_alpha * (a * a - b * b) / (b * b)
    big_a = 1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)))
    big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)))
    delta_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sigma_m
            + big_b
            / 4.0
            * (
                cos_sigma * (-1.0 + 2.0 * cos_2sigma_m**2)
                - big_b
                / 6.0
                * cos_2sigma_m
                * (-3.0 + 4.0 * sin_sigma**2)
                * (-3.0 + 4.0 * cos_2sigma_m**2)
            )
        )
    )
    metres = b * big_a * (sigma - delta_sigma)
    return np.where(converged, metres, np.nan)
