"""lifetimes' fitter on a summary CSV, as a user of lifetimes runs it: for `npm run bench -- lifetimes`.

    python3 test/bench/lifetimes-fit.py FILE.csv bg-nbd|mbg-nbd|pareto-nbd|gamma-gamma [--condense]

Reads `customer_id,frequency,recency,T[,monetary_value]` with pandas and fits BetaGeoFitter,
ModifiedBetaGeoFitter, ParetoNBDFitter or GammaGammaFitter (on the rows with frequency > 0 and a
monetary value above 0, as lifetimes' docs and `clv fit` do) with lifetimes' defaults. With --condense,
identical rows are first counted once and passed as lifetimes' `weights` (its own way to fit many
customers, Fader & Hardie's condensed RFM matrix). Prints one JSON line: the seconds spent importing,
reading and fitting, the whole process's CPU time and peak RSS, the parameters in the file's time unit
and the log-likelihood in that unit. lifetimes fits on time rescaled to max(T) = 10, which shifts its
reported likelihood by sum(x) * log(scale): the log-likelihood printed is its own likelihood function
evaluated at the fitted parameters on the unscaled data, the figure `clv fit --json` prints.

lifetimes is not a dependency of this project; see README's Benchmarks for how the bench finds it.
"""
import json
import os
import resource
import sys
import time

start = time.perf_counter()
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

imported = time.perf_counter()
path, model = sys.argv[1], sys.argv[2]
condense = "--condense" in sys.argv[3:]
data = pd.read_csv(path)
if model == "gamma-gamma":
    data = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    columns = ["frequency", "monetary_value"]
else:
    columns = ["frequency", "recency", "T"]
if condense:
    data = data.groupby(columns, sort=False).size().rename("weights").reset_index()
weights = data["weights"].to_numpy() if condense else np.ones(len(data), dtype=np.int64)
read = time.perf_counter()

np.random.seed(0)  # ParetoNBDFitter starts from a random point
x = data["frequency"].to_numpy()
if model == "gamma-gamma":
    fitter = GammaGammaFitter().fit(x, data["monetary_value"], weights=weights if condense else None)
    p = fitter.params_
    params = {"p": p["p"], "q": p["q"], "gamma": p["v"]}
    ll = -GammaGammaFitter._negative_log_likelihood(np.log(p.to_numpy()), x.astype(float), data["monetary_value"].to_numpy(), weights, 0) * weights.sum()
else:
    tx, T = data["recency"].to_numpy(), data["T"].to_numpy()
    Fitter = {"bg-nbd": BetaGeoFitter, "mbg-nbd": ModifiedBetaGeoFitter, "pareto-nbd": ParetoNBDFitter}[model]
    fitter = Fitter().fit(x, tx, T, weights=weights if condense else None)
    p = fitter.params_
    if model == "pareto-nbd":
        params = {"r": p["r"], "alpha": p["alpha"], "s": p["s"], "beta": p["beta"]}
        ll = float((weights * ParetoNBDFitter._conditional_log_likelihood(p.to_numpy(), x, tx, T)).sum())
    else:
        params = {"r": p["r"], "alpha": p["alpha"], "a": p["a"], "b": p["b"]}
        ll = -Fitter._negative_log_likelihood(np.log(p.to_numpy()), x, tx, T, weights, 0) * weights.sum()
fitted = time.perf_counter()

print(json.dumps({
    "model": model,
    "customers": int(weights.sum()),
    "rows": int(len(data)),
    "condensed": condense,
    "importSeconds": imported - start,
    "readSeconds": read - imported,
    "fitSeconds": fitted - read,
    "params": {k: float(v) for k, v in params.items()},
    "logLikelihood": float(ll),
    # The whole process, interpreter start-up and imports included, as the bench measures clv.
    "cpuSeconds": sum(os.times()[:2]),
    "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
