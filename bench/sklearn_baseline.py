#!/usr/bin/python3
"""The scikit-learn side of bench_ml: reads a CSV of the kind the ML examples read, trains
MiniBatchKMeans.partial_fit or SGDClassifier.partial_fit on consecutive mini-batches of it, and
prints one JSON line: the seconds spent parsing and training, and the final model's parameters
(bench_ml scores them on its held-out set with the same code that scores Sluice's model).

Run by bench_ml with Debian's /usr/bin/python3 (python3-sklearn); usable by hand too:
  /usr/bin/python3 bench/sklearn_baseline.py kmeans points.csv --columns 10 --init init.csv
"""
import argparse
import json
import os
import sys
import time
import warnings


def parse_csv(np, path, columns):
    """numpy 1.24's np.loadtxt is a C parser; on this data it beat np.fromstring(sep=",") over
    the whole file (0.43 s against 0.65 s for 200 000 rows of 11 values). pandas, whose reader
    may be faster still, does not come with python3-sklearn."""
    data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    if data.shape[1] != columns:
        sys.exit(f"sklearn_baseline: {path}: rows of {data.shape[1]} values, expected {columns}")
    return data


def train_kmeans(np, data, args):
    from sklearn.cluster import MiniBatchKMeans
    init = np.loadtxt(args.init, delimiter=",", ndmin=2)
    # The same initial centres as Sluice and one init. reassignment_ratio=0: Sluice (as Spark)
    # never moves a low-count centre to a random point. compute_labels=True (the default) scores
    # every batch, as Sluice's prequential evaluation does.
    model = MiniBatchKMeans(n_clusters=init.shape[0], init=init, n_init=1,
                            batch_size=args.batch_size, reassignment_ratio=0.0,
                            random_state=args.seed)
    for start in range(0, data.shape[0], args.batch_size):
        model.partial_fit(data[start:start + args.batch_size])
    return {"centres": model.cluster_centers_.tolist(), "weights": model._counts.tolist()}


def train_logistic(np, data, args):
    from sklearn.linear_model import SGDClassifier
    features, labels = data[:, :-1], data[:, -1]
    # Spark's SGD decays its step as step_size / sqrt(i); sklearn's "invscaling" as
    # eta0 / t^power_t over the samples seen. The same loss (log), the same L2 weight, an
    # intercept (Sluice's --intercept); partial_fit makes one pass, no shuffling.
    model = SGDClassifier(loss="log_loss", penalty="l2", alpha=args.reg_param,
                          learning_rate="invscaling", eta0=args.step_size, power_t=0.5,
                          fit_intercept=True, random_state=args.seed)
    classes = np.array([0.0, 1.0])
    for start in range(0, data.shape[0], args.batch_size):
        end = start + args.batch_size
        model.partial_fit(features[start:end], labels[start:end], classes=classes)
    return {"weights": model.coef_[0].tolist(), "intercept": float(model.intercept_[0])}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", choices=["kmeans", "logistic"])
    p.add_argument("csv")
    p.add_argument("--columns", type=int, required=True, help="values per CSV row")
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--init", help="k-means: CSV of the initial centres")
    p.add_argument("--step-size", type=float, default=1.0)
    p.add_argument("--reg-param", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1,
                   help="OpenMP threads of scikit-learn's k-means (OMP_NUM_THREADS)")
    args = p.parse_args()
    # Must be set before scikit-learn loads its OpenMP runtime. On a 2-core machine shared with
    # other work, 2 spinning OpenMP threads made MiniBatchKMeans.partial_fit 25x slower than 1.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    # Imported before the clock starts: importing scikit-learn takes about a second of start-up.
    import numpy as np
    import sklearn.cluster  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    warnings.simplefilter("ignore")  # notes about init arrays and n_init

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    data = parse_csv(np, args.csv, args.columns)
    t1 = time.perf_counter()
    params = (train_kmeans if args.model == "kmeans" else train_logistic)(np, data, args)
    t2 = time.perf_counter()
    cpu = time.process_time() - cpu0  # all threads of the process, as Sluice's figure
    print(json.dumps({"rows": int(data.shape[0]), "parse_seconds": t1 - t0,
                      "train_seconds": t2 - t1, "seconds": t2 - t0, "cpu_seconds": cpu,
                      **params}))


if __name__ == "__main__":
    main()
