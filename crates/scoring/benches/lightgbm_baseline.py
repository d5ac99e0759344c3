"""LightGBM baseline beside `cargo bench -p scoring --bench trees`, on the same data, folds and protocol.

Scratch tool, never a project dependency. Run it in a throwaway virtual environment, in the same session as the
Rust bench so that time ratios mean something:

    python3 -m venv /tmp/venv-trees && /tmp/venv-trees/bin/pip install lightgbm scikit-learn pandas
    /tmp/venv-trees/bin/python crates/scoring/benches/lightgbm_baseline.py

Measured with lightgbm 4.7.0, pandas 3.1.1, numpy 2.4.6, Python 3.11. Single-threaded (num_threads=1).

Two configurations, each 5-fold over the committed fold files (train on four folds, test on the fifth):
- `lgbm_cons`: the README's conservative model (500 trees, learning rate 0.03, 15 leaves, min_child_samples 50,
  0.8 row and column subsampling, L2 1), all 500 trees.
- `lgbm_cons_es`: the same with early stopping (50 rounds, binary log loss) on a fifth of the training folds (every
  fifth training row in file order; our Rust model holds out a seeded, stratified 20% instead). The test fold is
  never seen.
Fit time is the whole `fit` call (dataset construction included); predict time is `predict_proba` on the test fold.
"""

import statistics
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

DATA = Path(__file__).resolve().parents[3] / "data" / "credit"
if len(sys.argv) > 1:
    DATA = Path(sys.argv[1])


def ks(y, p):
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def model(early_stopping):
    return lgb.LGBMClassifier(
        n_estimators=500,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=50,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        reg_lambda=1.0,
        num_threads=1,
        random_state=42,
        verbose=-1,
    )


def run(name, early_stopping):
    frame = pd.read_csv(DATA / f"{name}.csv")
    folds = pd.read_csv(DATA / f"{name}.folds.csv")["fold"].to_numpy()
    y = frame.pop("bad").to_numpy()
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith("str"):
            frame[column] = frame[column].astype("category")
    aucs, kss, fits, rates, trees = [], [], [], [], []
    for k in range(5):
        train = np.flatnonzero(folds != k)
        test = np.flatnonzero(folds == k)
        clf = model(early_stopping)
        start = time.perf_counter()
        if early_stopping:
            fit, val = train[np.arange(len(train)) % 5 != 0], train[np.arange(len(train)) % 5 == 0]
            clf.fit(
                frame.iloc[fit], y[fit],
                eval_X=(frame.iloc[val],), eval_y=(y[val],), eval_metric="binary_logloss",
                callbacks=[lgb.early_stopping(50, verbose=False)],
            )
        else:
            clf.fit(frame.iloc[train], y[train])
        fits.append(time.perf_counter() - start)
        x_test = frame.iloc[test]
        start = time.perf_counter()
        p = clf.predict_proba(x_test)[:, 1]
        rates.append(len(test) / (time.perf_counter() - start))
        aucs.append(roc_auc_score(y[test], p))
        kss.append(ks(y[test], p))
        trees.append(clf.best_iteration_ if early_stopping and clf.best_iteration_ else 500)
    label = "lgbm_cons_es" if early_stopping else "lgbm_cons"
    print(
        f"| {name} | {label} | {statistics.mean(aucs):.4f} ± {statistics.stdev(aucs):.4f} "
        f"| {statistics.mean(kss):.4f} ± {statistics.stdev(kss):.4f} | {statistics.median(fits):.3f} "
        f"| {statistics.median(rates):,.0f} | {statistics.median(trees):.0f} |"
    )
    print(f"    folds AUC {' '.join(f'{a:.4f}' for a in aucs)}", file=sys.stderr)


if __name__ == "__main__":
    print("| dataset | model | AUC mean ± sd | KS mean ± sd | fit s per fold (median) | predict rows/s | trees |")
    print("|---|---|---|---|---|---|---|")
    for name in ["german", "taiwan_sample", "bloan"]:
        for early_stopping in [False, True]:
            run(name, early_stopping)
