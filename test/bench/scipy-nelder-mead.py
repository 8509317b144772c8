"""Baseline for `npm run bench`: BG/NBD fitted by plain scipy Nelder-Mead on the CDNOW sample.

The same likelihood as functions/domain/clv/bg-nbd.ts (Fader, Hardie & Lee 2005, eq. 6), vectorized
with numpy, minimized over log-parameters from (1, 1, 1, 1), as lifetimes did before it moved to
autograd. Prints one JSON line: {"seconds": median wall time of the fit, "params": ..., "ll": ...}.
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

rows = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=(1, 2, 3))
x, tx, T = rows[:, 0], rows[:, 1], rows[:, 2]


def negative_log_likelihood(log_params):
    r, alpha, a, b = np.exp(log_params)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + T)
    dropped = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return -np.sum(common + np.logaddexp(alive, dropped))


times = []
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 5):
    start = time.perf_counter()
    result = minimize(negative_log_likelihood, np.zeros(4), method="Nelder-Mead", options={"maxiter": 10000, "xatol": 1e-8, "fatol": 1e-8})
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "params": np.exp(result.x).tolist(), "ll": -result.fun, "evaluations": int(result.nfev)}))
