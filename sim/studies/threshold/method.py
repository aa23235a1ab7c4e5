"""Where a probability crosses a level: sequential logistic fits that put each batch of runs
where the crossing is least certain.

Model. The factor range is mapped to unit coordinates u in [0, 1] (one factor) or [0, 1]^2
(two). Run i's outcome is Bernoulli(p(u_i)) with

    logit p(u) = f(u)' beta,   f(u) = (1, u)  or  (1, u1, u2, u1 u2),

fitted by maximum likelihood (damped Newton; a weak ridge keeps it finite under separation).
The runs of one batch share their seeds point to point (common random numbers), and with a
posterior ten consecutive runs share one parameter draw, so runs are not independent: the
covariance of beta is the cluster-robust (sandwich) one, a cluster being a replicate (or a
posterior draw), with the small-sample factor C / (C - 1).

Interval (Fieller). The crossing set is {u : |f(u)' beta - logit L| <= z se(u)}; its connected
part around the fitted crossing is the interval (the inverted pointwise band of the curve, so
a flat curve gives an honest wide or open interval). With a posterior, tau^2, the spread of
logit p between parameter draws (a one-way ANOVA of the residuals by draw, near the crossing),
is added to se(u)^2: the interval then carries the parameters' uncertainty as well as the
dice's.

Design. The first batch spreads its runs over a grid (5 points, 3 x 3 with two factors; with
one factor it has PILOT_SHARE_1D of a batch's runs, as most of them land far from the
crossing). Each later batch goes where the crossing is least certain. One factor: batches
alternate between a pair at the fitted crossing plus and minus the interval's half-width,
whose two points share their replicates (their paired difference gives the slope), and the
fitted crossing alone on fresh replicates (the level there, at the most information per run).
Both kinds are centred on the crossing, so the level estimated there stays nearly
independent of the slope the interval's width depends on, and stopping at a narrow interval
does not select searches whose slope was overestimated. Two factors: two points across the
level line at its widest point of the band, and two at a second line point at least 0.25
away. When the fit does not cross the level inside the range, the batch goes to the end
(corner) whose fitted probability is closest to the level.

Convergence rule. After at least MIN_BATCHES batches (the first and three placed by the fit),
stop when the interval is closed (inside the range) and at most
`tolerance` of the range wide (two factors: the band, measured across the line, at its widest
point), or when the fit does not cross the level and the runs at the closest end lie beyond
the level on the fit's side (their interval excludes the level there): "never crossed". Runs
at that end on the other side contradict the fit, and the search goes on there. Otherwise
stop when the budget is spent (``converged = False``).

Everything here is a pure function of the batches so far, so a resumed study replays its
design exactly, and ``run_design`` can be driven by a synthetic oracle (the coverage test and
benchmarks/bench_threshold.py) as well as by the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from scipy.special import expit, logit, ndtri

from sim.analysis.stats import true_run_around

RIDGE = 1e-3  # on the slopes (unit coordinates): a N(0, 30^2) prior, against separation
RIDGE_INTERCEPT = 1e-2  # all runs failing (or all succeeding) still give a finite fit
MAX_STEP = 5.0  # largest Newton step per coefficient
GRID_1D = np.linspace(0.0, 1.0, 2001)
GRID_2D = 101  # points per axis of the 2-factor grid
INITIAL_POINTS = {1: 5, 2: 3}  # per axis
MIN_HALF_WIDTH = 0.005  # design points never closer to the crossing than this (unit coords)
SECOND_POINT_DISTANCE = 0.25  # two factors: the batch's second line point, at least this far
# The local fit uses runs within this many half-widths of the crossing. One factor: sixteen.
# Narrower windows gave long searches (tolerance 0.02) on a skewed curve intervals too narrow:
# coverage 0.87-0.89 with four, 0.915 with eight, 0.931 with sixteen (1,000 searches). The
# crossing is not biased with eight (mean error 0.0003 of the range; a quadratic local fit did
# no better): its spread between searches was 1.2 times the nominal one, with sixteen 1.1
# (benchmarks/README.md).
WINDOW = {1: 16.0, 2: 4.0}
MIN_WINDOW = 0.05
MIN_BATCHES = 4  # an answer is accepted after the first batch and at least 3 placed by the fit
PILOT_SHARE_1D = 0.5  # one factor: the first (grid) batch has this share of a batch's runs


@dataclasses.dataclass(frozen=True)
class Settings:
    """How a threshold search runs.

    Attributes:
        dimensions: 1 or 2 factors.
        level: the probability to cross, in (0, 1).
        confidence: of the interval.
        budget: the most runs in all.
        batch: runs per batch (split over its points).
        tolerance: converged when the interval is at most this share of the range.
        block: runs per point are a multiple of this (a posterior draw's runs stay together).
    """

    dimensions: int
    level: float
    confidence: float = 0.95
    budget: int = 20_000
    batch: int = 400
    tolerance: float = 0.05
    block: int = 10

    @property
    def z(self) -> float:
        return float(ndtri(0.5 + self.confidence / 2))

    @property
    def target(self) -> float:
        return float(logit(self.level))


@dataclasses.dataclass(frozen=True)
class Batch:
    """Points (k, d) in unit coordinates; each gets replicates first .. first + runs - 1."""

    index: int
    points: np.ndarray
    runs: int
    first_replicate: int

    @property
    def size(self) -> int:
        return len(self.points) * self.runs


@dataclasses.dataclass
class History:
    """Every run so far: unit coordinates, outcome, replicate and batch."""

    u: np.ndarray  # (n, d)
    y: np.ndarray  # (n,) bool
    replicate: np.ndarray  # (n,) int
    batch: np.ndarray  # (n,) int

    @classmethod
    def empty(cls, dimensions: int) -> History:
        return cls(
            np.zeros((0, dimensions)), np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(0, int)
        )

    def add(self, batch: Batch, outcomes: np.ndarray) -> History:
        """outcomes: (points, runs) booleans, replicate r of each point in column r - first."""
        k, n = outcomes.shape
        return History(
            np.vstack([self.u, np.repeat(batch.points, n, axis=0)]),
            np.r_[self.y, outcomes.reshape(-1).astype(bool)],
            np.r_[self.replicate, np.tile(np.arange(n) + batch.first_replicate, k)],
            np.r_[self.batch, np.full(k * n, batch.index)],
        )

    @property
    def runs(self) -> int:
        return int(self.y.size)

    @property
    def batches(self) -> int:
        return int(self.batch.max() + 1) if self.batch.size else 0

    @property
    def next_replicate(self) -> int:
        return int(self.replicate.max() + 1) if self.replicate.size else 0


# --- the fit -------------------------------------------------------------------------------------
def features(u: np.ndarray) -> np.ndarray:
    """f(u): (1, u) or (1, u1, u2, u1 u2) per row."""
    u = np.atleast_2d(u)
    if u.shape[1] == 1:
        return np.column_stack([np.ones(len(u)), u[:, 0]])
    return np.column_stack([np.ones(len(u)), u[:, 0], u[:, 1], u[:, 0] * u[:, 1]])


@dataclasses.dataclass(frozen=True)
class Fit:
    """beta, its cluster-robust covariance, and tau^2 (parameter spread of logit p; 0 without
    a posterior)."""

    beta: np.ndarray
    cov: np.ndarray
    tau2: float = 0.0

    def eta(self, u: np.ndarray) -> np.ndarray:
        return features(u) @ self.beta

    def se(self, u: np.ndarray, parameters: bool = True) -> np.ndarray:
        f = features(u)
        var = np.einsum("ij,jk,ik->i", f, self.cov, f)
        return np.sqrt(np.maximum(var, 0.0) + (self.tau2 if parameters else 0.0))


def fit(history: History, clusters: np.ndarray) -> Fit:
    """Logistic maximum likelihood on the runs, with the cluster-robust covariance."""
    points, inverse = np.unique(history.u, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    n = np.bincount(inverse, minlength=len(points)).astype(float)
    s = np.bincount(inverse, weights=history.y.astype(float), minlength=len(points))
    f = features(points)
    ridge = np.diag(np.r_[RIDGE_INTERCEPT, np.full(f.shape[1] - 1, RIDGE)])
    beta = np.zeros(f.shape[1])
    beta[0] = logit(np.clip(s.sum() / n.sum(), 0.01, 0.99))
    for _ in range(200):
        p = expit(f @ beta)
        gradient = f.T @ (s - n * p) - ridge @ beta
        hessian = (f * (n * p * (1 - p))[:, None]).T @ f + ridge
        step = np.linalg.solve(hessian, gradient)
        # Damped: with no successes (or no failures) near a point the likelihood is flat
        # there, and a full Newton step would overshoot.
        step *= min(1.0, MAX_STEP / max(np.max(np.abs(step)), 1e-300))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = expit(f @ beta)
    bread = np.linalg.inv((f * (n * p * (1 - p))[:, None]).T @ f + ridge)
    residual = history.y - p[inverse]
    scores = features(history.u) * residual[:, None]
    _, group = np.unique(clusters, return_inverse=True)
    summed = np.zeros((group.max() + 1, f.shape[1]))
    np.add.at(summed, group.reshape(-1), scores)
    c = len(summed)
    meat = summed.T @ summed * (c / (c - 1) if c > 1 else 1.0)
    return Fit(beta, bread @ meat @ bread)


def parameter_spread(history: History, draws: np.ndarray, model: Fit, near: np.ndarray) -> float:
    """tau^2: the between-draw variance of p near the crossing, on the logit scale.

    A one-way random-effects ANOVA of the residuals y - p(u) grouped by (draw, point), over
    the runs in `near` (a mask); divided by (p(1 - p))^2 there (the delta method).
    """
    if near.sum() < 2:
        return 0.0
    u, y = history.u[near], history.y[near].astype(float)
    p = expit(model.eta(u))
    keys = np.column_stack([draws[near], u])
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.reshape(-1)
    size = np.bincount(group).astype(float)
    groups = size.size
    if groups < 2 or y.size <= groups:
        return 0.0
    residual = y - p
    means = np.bincount(group, weights=residual) / size
    within = float(((residual - means[group]) ** 2).sum() / (y.size - groups))
    between = float((size * (means - residual.mean()) ** 2).sum() / (groups - 1))
    effective = (y.size - (size**2).sum() / y.size) / (groups - 1)
    spread_p = max(0.0, (between - within) / effective)
    slope = float(np.mean(p * (1 - p)))
    return spread_p / slope**2


# --- the answer in one factor --------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Crossing:
    """The crossing in unit coordinates, or where the level is closest when it is not crossed.

    status: "crossed" (the fit crosses the level inside the range), "not crossed" (it does
    not, and the runs at the closest end exclude the level) or "undetermined" (it does not,
    but the level is inside the closest end's interval).
    """

    status: str
    crossing: float  # NaN unless crossed
    lower: float
    upper: float
    open_lower: bool
    open_upper: bool
    dice_lower: float
    dice_upper: float
    closest: float  # the range end nearest the level (not crossed), else the crossing
    probability: float  # at `closest`: the runs' share (not crossed) or the level (crossed)
    probability_lower: float
    probability_upper: float
    tau2: float = 0.0  # the parameters' spread of logit p near the crossing (a posterior)

    @property
    def width(self) -> float:
        return self.upper - self.lower


def crossing_1d(model: Fit, settings: Settings, history: History, clusters: np.ndarray) -> Crossing:
    """The crossing and its interval (dice only, and with the parameters' spread)."""
    a, b = model.beta
    grid = GRID_1D[:, None]
    eta = model.eta(grid)
    root = (settings.target - a) / b if b != 0 else np.nan
    if np.isfinite(root) and 0.0 <= root <= 1.0:
        at = int(np.argmin(np.abs(GRID_1D - root)))
        bounds = {}
        for parameters in (True, False):
            inside = np.abs(eta - settings.target) <= settings.z * model.se(grid, parameters)
            first, last = true_run_around(inside, at)
            bounds[parameters] = (
                float(min(GRID_1D[first], root)),
                float(max(GRID_1D[last], root)),
                first == 0,
                last == GRID_1D.size - 1,
            )
        lo, hi, open_lo, open_hi = bounds[True]
        return Crossing(
            "crossed", float(root), lo, hi, open_lo, open_hi, *bounds[False][:2],
            float(root), settings.level, settings.level, settings.level,
        )  # fmt: skip
    end = 0.0 if abs(eta[0] - settings.target) <= abs(eta[-1] - settings.target) else 1.0
    share, low, high = end_interval(history, clusters, np.array([end]), settings.confidence)
    status = end_status(eta[0 if end == 0.0 else -1] > settings.target, low, high, settings.level)
    nan = float("nan")
    return Crossing(status, nan, nan, nan, False, False, nan, nan, end, share, low, high)


def end_status(fit_above: bool, low: float, high: float, level: float) -> str:
    """ "not crossed" when the runs at the closest end lie on the fitted curve's side of the
    level, beyond doubt; else "undetermined". A fit entirely above the level with runs at the
    end clearly below it is a fit the runs contradict (with a posterior, batches that drew
    unusual parameters can tilt a local fit), not evidence that the level is never reached."""
    beyond = low > level if fit_above else high < level
    return "not crossed" if beyond else "undetermined"


def end_interval(
    history: History, clusters: np.ndarray, point: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    """The share of runs at `point` with a Wilson interval on the effective number of runs
    (the runs divided by the design effect of their clusters)."""
    at = np.all(history.u == point, axis=1)
    n = int(at.sum())
    if n == 0:
        return float("nan"), 0.0, 1.0
    y = history.y[at].astype(float)
    p = y.mean()
    _, group = np.unique(clusters[at], return_inverse=True)
    sums = np.bincount(group.reshape(-1), weights=y - p)
    variance = (sums**2).sum()
    effective = n if variance == 0 else min(n, p * (1 - p) * n * n / variance)
    effective = max(effective, 1.0)
    z = float(ndtri(0.5 + confidence / 2))
    centre = (p + z * z / (2 * effective)) / (1 + z * z / effective)
    half = (
        z * np.sqrt(p * (1 - p) / effective + z * z / (4 * effective**2)) / (1 + z * z / effective)
    )
    return float(p), float(max(0.0, centre - half)), float(min(1.0, centre + half))


# --- the answer in two factors -------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Curve:
    """The level line on a grid of the first factor: the second factor's crossing there and
    its interval along the second factor (NaN where the line leaves the range), and the band's
    widest half-width across the line (unit coordinates)."""

    u1: np.ndarray
    crossing: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    line: np.ndarray  # (m, 2) points on the level line (both orientations)
    half_width: np.ndarray  # (m,) the band's half-width across the line there
    status: str
    closest: np.ndarray  # the corner nearest the level (not crossed)
    probability: float
    probability_lower: float
    probability_upper: float
    tau2: float = 0.0

    @property
    def widest(self) -> float:
        return float(2 * self.half_width.max()) if self.half_width.size else float("inf")


def _roots_along(model: Fit, target: float, axis: int, values: np.ndarray) -> np.ndarray:
    """Points of the line eta = target at each value of the other axis (NaN outside [0, 1])."""
    a, b1, b2, b12 = model.beta
    if axis == 1:  # solve for u2 at each u1
        slope = b2 + b12 * values
        root = (target - a - b1 * values) / np.where(slope == 0, np.nan, slope)
        points = np.column_stack([values, root])
    else:
        slope = b1 + b12 * values
        root = (target - a - b2 * values) / np.where(slope == 0, np.nan, slope)
        points = np.column_stack([root, values])
    inside = np.isfinite(root) & (root >= 0) & (root <= 1)
    return points[inside]


def curve_2d(model: Fit, settings: Settings, history: History, clusters: np.ndarray) -> Curve:
    """The level line, its band, and where it is least certain."""
    axis = np.linspace(0.0, 1.0, GRID_2D)
    target, z = settings.target, settings.z
    line = np.vstack([_roots_along(model, target, 1, axis), _roots_along(model, target, 0, axis)])
    a, b1, b2, b12 = model.beta
    if len(line):
        gradient = np.column_stack([b1 + b12 * line[:, 1], b2 + b12 * line[:, 0]])
        norm = np.maximum(np.linalg.norm(gradient, axis=1), 1e-12)
        half = z * model.se(line) / norm
    else:
        half = np.zeros(0)
    crossing, lower, upper = (np.full(GRID_2D, np.nan) for _ in range(3))
    column = axis[:, None]
    for i, u1 in enumerate(axis):
        points = np.column_stack([np.full(GRID_2D, u1), axis])
        eta = model.eta(points)
        slope = b2 + b12 * u1
        root = (target - a - b1 * u1) / slope if slope != 0 else np.nan
        if not (np.isfinite(root) and 0 <= root <= 1):
            continue
        inside = np.abs(eta - target) <= z * model.se(points)
        first, last = true_run_around(inside, int(np.argmin(np.abs(axis - root))))
        crossing[i] = root
        lower[i], upper[i] = min(column[first, 0], root), max(column[last, 0], root)
    if len(line):
        nan = float("nan")
        return Curve(
            axis, crossing, lower, upper, line, half, "crossed", np.array([nan, nan]),
            settings.level, settings.level, settings.level,
        )  # fmt: skip
    corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    closest = int(np.argmin(np.abs(model.eta(corners) - target)))
    end = corners[closest]
    share, low, high = end_interval(history, clusters, end, settings.confidence)
    status = end_status(model.eta(corners)[closest] > target, low, high, settings.level)
    return Curve(
        axis, crossing, lower, upper, line, half, status, end, share, low, high
    )  # fmt: skip


# --- the design ----------------------------------------------------------------------------------
def initial_points(dimensions: int) -> np.ndarray:
    axis = np.linspace(0.0, 1.0, INITIAL_POINTS[dimensions])
    if dimensions == 1:
        return axis[:, None]
    return np.array([[a, b] for a in axis for b in axis])


def _runs_per_point(settings: Settings, points: int, used: int) -> int:
    """Runs per point of the next batch: the batch's share, a multiple of `block`, within the
    budget (0: the budget is spent)."""
    block = settings.block
    share = max(block, settings.batch // points // block * block)
    left = (settings.budget - used) // points // block * block
    return int(min(share, left))


def state(settings: Settings, history: History, clusters: np.ndarray) -> Crossing | Curve:
    """The current answer: a fit to every run locates the crossing, then a fit to the runs
    near it (within WINDOW half-widths) gives the answer, so that a curve that is not
    logistic over the whole range is only asked to be logistic near its crossing."""
    whole = fit(history, clusters)
    answer = _answer(settings, history, clusters, whole)
    near = _near(history, answer)
    if near is None or len(np.unique(history.u[near], axis=0)) < settings.dimensions + 1:
        return answer
    local = History(history.u[near], history.y[near], history.replicate[near], history.batch[near])
    model = fit(local, clusters[near])
    if len(model.beta) == 4 and len(np.unique(local.u, axis=0)) < 4:
        return answer
    refined = _answer(settings, history, clusters, model)
    # On the few points near the crossing (a centre batch next to one point of a pair) the
    # local slope can come out reversed by chance; it then says nothing about the crossing
    # the fit to every run found.
    reversed_ = settings.dimensions == 1 and model.beta[1] * whole.beta[1] <= 0
    return answer if refined.status != "crossed" or reversed_ else refined


def _answer(settings: Settings, history: History, clusters: np.ndarray, model: Fit):
    if settings.dimensions == 1:
        return crossing_1d(model, settings, history, clusters)
    return curve_2d(model, settings, history, clusters)


def _near(history: History, answer: Crossing | Curve) -> np.ndarray | None:
    """The runs within WINDOW half-widths of the crossing (None: not crossed)."""
    if answer.status != "crossed":
        return None
    if isinstance(answer, Crossing):
        distance = np.abs(history.u[:, 0] - answer.crossing)
        half = answer.width / 2
    else:
        distance = np.min(
            np.linalg.norm(history.u[:, None, :] - answer.line[None, ::5, :], axis=2), axis=1
        )
        half = answer.widest / 2
    # The latest batch always counts: else a batch placed outside the window would change
    # nothing, and the design would place the next one in the same spot.
    latest = distance[history.batch == history.batch.max()].max()
    window = WINDOW[history.u.shape[1]] * half
    return distance <= max(window, MIN_WINDOW, latest + 1e-9)


def converged(settings: Settings, answer: Crossing | Curve, history_batches: int) -> bool:
    """The convergence rule (module docstring)."""
    if history_batches < MIN_BATCHES or answer.status == "undetermined":
        return False
    if answer.status == "not crossed":
        return True
    if isinstance(answer, Crossing):
        closed = not (answer.open_lower or answer.open_upper)
        return closed and answer.width <= settings.tolerance
    return answer.widest <= settings.tolerance


def next_points(settings: Settings, answer: Crossing | Curve, index: int) -> np.ndarray:
    """Where batch `index` goes: where the crossing is least certain (module docstring)."""
    if answer.status != "crossed":
        return np.atleast_2d(answer.closest).astype(float).reshape(1, settings.dimensions)
    floor = max(MIN_HALF_WIDTH, settings.tolerance / 4)
    if isinstance(answer, Crossing):
        if index % 2 == 0:  # every second batch: the crossing alone, on its own replicates
            return np.array([[answer.crossing]])
        half = float(np.clip(answer.width / 2, floor, 0.25))
        points = [answer.crossing - half, answer.crossing + half]
        return np.clip(np.array(points), 0.0, 1.0)[:, None]
    line, half = answer.line, answer.half_width
    first = int(np.argmax(half))
    far = np.linalg.norm(line - line[first], axis=1) >= SECOND_POINT_DISTANCE
    chosen = [first] + ([int(np.flatnonzero(far)[np.argmax(half[far])])] if far.any() else [])
    points = []
    for index in chosen:
        centre = line[index]
        step = float(np.clip(half[index], floor, 0.25))
        normal = _normal(answer, centre)
        points += [centre - step * normal, centre + step * normal]
    return np.clip(np.array(points), 0.0, 1.0)


def _normal(answer: Curve, centre: np.ndarray) -> np.ndarray:
    """The unit normal of the line at `centre`, from the neighbouring line points."""
    line = answer.line
    distance = np.linalg.norm(line - centre, axis=1)
    near = line[np.argsort(distance)[1:6]]
    if len(near) == 0:
        return np.array([0.0, 1.0])
    tangent = near.mean(axis=0) - centre
    if np.linalg.norm(tangent) < 1e-9:
        tangent = near[-1] - centre
    tangent = tangent / max(np.linalg.norm(tangent), 1e-12)
    return np.array([-tangent[1], tangent[0]])


def next_batch(
    settings: Settings, history: History, clusters: np.ndarray
) -> tuple[Batch | None, Crossing | Curve | None]:
    """The next batch (None when converged or out of budget) and the current answer."""
    answer = None
    if history.runs == 0:
        points = initial_points(settings.dimensions)
    else:
        answer = state(settings, history, clusters)
        if converged(settings, answer, history.batches):
            return None, answer
        points = next_points(settings, answer, history.batches)
    runs = _runs_per_point(settings, len(points), history.runs)
    if history.runs == 0 and settings.dimensions == 1 and runs > 0:
        runs = max(settings.block, int(runs * PILOT_SHARE_1D) // settings.block * settings.block)
    if runs == 0:
        return None, answer
    return Batch(history.batches, points, runs, history.next_replicate), answer


Oracle = Callable[[Batch], np.ndarray]


def run_design(
    settings: Settings,
    evaluate: Oracle,
    history: History | None = None,
    draws: Callable[[np.ndarray], np.ndarray] | None = None,
    on_batch: Callable[[Batch, np.ndarray], None] | None = None,
) -> tuple[History, Crossing | Curve, bool]:
    """Batches until the rule stops; returns the runs, the answer and whether it converged.

    Args:
        evaluate: outcomes (points, runs) of a batch.
        history: batches already run (a resumed study), replayed as they are.
        draws: replicate -> cluster (a posterior draw); default: each replicate its own.
        on_batch: called after each new batch (writes it to disk).
    """
    history = history or History.empty(settings.dimensions)
    cluster_of = draws or (lambda replicate: replicate)
    while True:
        batch, answer = next_batch(settings, history, cluster_of(history.replicate))
        if batch is None:
            break
        outcomes = evaluate(batch)
        history = history.add(batch, outcomes)
        if on_batch is not None:
            on_batch(batch, outcomes)
    clusters = cluster_of(history.replicate)
    answer = answer if answer is not None else state(settings, history, clusters)
    done = converged(settings, answer, history.batches)  # the rule reads the dice's interval
    if draws is not None:
        answer = with_parameter_spread(settings, history, clusters, answer)
    return history, answer, done


def with_parameter_spread(
    settings: Settings, history: History, clusters: np.ndarray, answer: Crossing | Curve
) -> Crossing | Curve:
    """The answer again, its interval widened by the posterior draws' spread (tau^2) near the
    crossing (the dice-only bounds stay in dice_lower/dice_upper)."""
    model = fit(history, clusters)
    if answer.status != "crossed":
        return answer
    if isinstance(answer, Crossing):
        near = np.abs(history.u[:, 0] - answer.crossing) <= max(answer.width, 0.05)
    else:
        distance = np.min(
            np.linalg.norm(history.u[:, None, :] - answer.line[None, ::10, :], axis=2), axis=1
        )
        near = distance <= max(answer.widest, 0.05)
    tau2 = parameter_spread(history, clusters, model, near)
    widened = Fit(model.beta, model.cov, tau2)
    if isinstance(answer, Crossing):
        return dataclasses.replace(crossing_1d(widened, settings, history, clusters), tau2=tau2)
    return dataclasses.replace(curve_2d(widened, settings, history, clusters), tau2=tau2)
