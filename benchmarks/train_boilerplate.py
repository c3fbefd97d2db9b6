"""Train the plain-text block classifier: writes cleanwire/boilerplate/weights.json.

Usage: python benchmarks/train_boilerplate.py DEVDATA [--output PATH]

Needs the ``bench`` extra (scikit-learn).

DEVDATA is the boilerplate development set (``html/``, ``text/``, ``labels.jsonl``).
Only the training split is used (``benchmarks/boilerplate.py`` holds every third page
out); the held-out pages are for evaluation.  Deterministic: no random numbers (the trees
use no subsampling, no early stopping and a fixed seed, and one thread), the same data
give the same weights.

Labels, one per block of each page's text dump (blocks as ``extract_article`` sees
them):

* gold: a block containing a "without" snippet is boilerplate; a block containing a
  "with" snippet is article (where a snippet occurs in several blocks, those that
  trafilatura also keeps).  Weight ``GOLD_WEIGHT``.
* silver, for every other block: article when trafilatura's extraction of the page's
  HTML (comments excluded) contains it.  Weight 1.  The dump's blocks and trafilatura's
  paragraphs are compared on their letters and digits only.

Model (see ``cleanwire/boilerplate/model.py``): a lexicon, a logistic regression over
the blocks' hashed words (scikit-learn's ``LogisticRegression``, L2 penalty
``LEXICON_C``); first, gradient-boosted trees on the block features and the lexicon's
score (scikit-learn's ``HistGradientBoostingClassifier``; both are used here only: the
weights and trees are exported to ``weights.json`` and evaluated with numpy at run
time); second, a logistic regression on those plus context computed from first scores.
The trees are trained on lexicon scores of pages the lexicon did not see, and the
second stage on first scores of pages the trees did not see (two folds each), so each
stage learns how far to trust the one before; the second is fitted by Newton's method
with an L2 penalty.
The threshold maximises the mean of with-recall and without-rejection of
``extract_article`` on the training pages, each scored by a model trained on the other
training pages (three folds), preferring the lower (more recall) where the mean is
flat.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.boilerplate import load_pages, score  # noqa: E402
from cleanwire.boilerplate.features import BlockTable, block_features  # noqa: E402
from cleanwire.boilerplate.model import (  # noqa: E402
    CONTEXT_NAMES, LEXICON_UNIT, MODEL_FEATURES, NEVER_RIGHT, WEIGHTS, BlockModel, Lexicon, TreeEnsemble,
    context_features, lexical_entries,
)
from cleanwire.boilerplate.text import extract_article  # noqa: E402
from cleanwire.text.normalize import normalize_text  # noqa: E402

GOLD_WEIGHT = 20.0
L2 = 1.0
# The lexicon: 2**18 word buckets (few collisions for the words of 200 pages) and the
# inverse L2 penalty chosen by cross-validation on the training pages (1 and 3 scored
# alike, 0.1 lower).
LEXICON_BUCKETS = 1 << 18
LEXICON_C = 1.0
# The first stage's trees: few and shallow, with large leaves, because 200 pages are few
# (deeper or more trees fit the training pages better and new pages no better).
TREES = {"max_iter": 100, "learning_rate": 0.1, "max_depth": 3, "max_leaf_nodes": 8, "min_samples_leaf": 100,
         "l2_regularization": 1.0}
THRESHOLDS = np.round(np.arange(-2.0, 1.51, 0.25), 2)
MEAN_TOLERANCE = 0.005
THRESHOLD_FOLDS = 3
_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"\W+")


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = L2, iterations: int = 50) -> np.ndarray:
    """Weighted L2-penalised logistic regression by Newton's method.

    Column 0 of ``x`` is the bias, which is not penalised.  Returns the weights."""
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 1e-6
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
        gradient = x.T @ (weight * (p - y)) + penalty * beta
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def fit_trees(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> TreeEnsemble:
    """Gradient-boosted trees (``TREES``) for log-odds of ``y``, exported as a
    ``TreeEnsemble``; checks that the export scores ``x`` as scikit-learn does."""
    # scikit-learn (the bench extra) only when training, so that --help works without it.
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    model = HistGradientBoostingClassifier(**TREES, early_stopping=False, random_state=0)
    with threadpool_limits(1):  # one thread: the same sums in the same order on every machine
        model.fit(x, y.astype(int), sample_weight=weight)
    # Each tree made complete, in heap order (see TreeEnsemble): a leaf above the
    # deepest level becomes splits that send every block left, above copies of it.
    depth = max(int(predictor.nodes["depth"].max()) for (predictor,) in model._predictors)
    features = np.zeros((len(model._predictors), 2**depth - 1), dtype=np.int64)
    thresholds = np.full(features.shape, NEVER_RIGHT)
    values = np.zeros((len(model._predictors), 2**depth))
    for t, (predictor,) in enumerate(model._predictors):  # one tree per round for two classes
        nodes = predictor.nodes
        pending = [(0, 0, 0)]  # (node of the trained tree, heap position, level)
        while pending:
            node, heap, level = pending.pop()
            if level == depth:
                values[t, heap - (2**depth - 1)] = nodes[node]["value"]
            elif nodes[node]["is_leaf"]:
                pending += [(node, 2 * heap + 1, level + 1), (node, 2 * heap + 2, level + 1)]
            else:
                features[t, heap], thresholds[t, heap] = nodes[node]["feature_idx"], nodes[node]["num_threshold"]
                pending += [(int(nodes[node]["left"]), 2 * heap + 1, level + 1), (int(nodes[node]["right"]), 2 * heap + 2, level + 1)]
    ensemble = TreeEnsemble(float(np.ravel(model._baseline_prediction)[0]), depth, features, thresholds, values)
    if not np.allclose(ensemble.predict(x), model.decision_function(x), rtol=0, atol=1e-9):
        raise AssertionError("the exported trees do not score as scikit-learn's")
    return ensemble


def lexicon_matrix(table: BlockTable) -> scipy.sparse.csr_matrix:
    """The lexicon's input rows for the blocks of ``table`` (``lexical_entries``)."""
    import scipy.sparse

    rows, buckets, values = lexical_entries(table, LEXICON_BUCKETS)
    return scipy.sparse.csr_matrix((values, (rows, buckets)), shape=(table.features.shape[0], LEXICON_BUCKETS))


def fit_lexicon(examples: list[dict]) -> Lexicon:
    """The lexicon of ``examples`` (``label_page`` results): a weighted L2-penalised
    logistic regression on ``lexicon_matrix`` rows."""
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    x = scipy.sparse.vstack([lexicon_matrix(e["table"]) for e in examples], format="csr")
    y = np.concatenate([e["labels"] for e in examples]) > 0.5
    weight = np.concatenate([e["weights"] for e in examples])
    model = LogisticRegression(C=LEXICON_C, max_iter=5000, tol=1e-8)
    with threadpool_limits(1):
        model.fit(x, y.astype(int), sample_weight=weight)
    # Rounded as weights.json stores them, so the threshold is chosen on what ships.
    return Lexicon(round(float(model.intercept_[0]), 6), np.rint(model.coef_[0] / LEXICON_UNIT) * LEXICON_UNIT)


def _key(text: str) -> str:
    return _NON_WORD.sub("", text.lower())


def label_page(page: dict) -> dict:
    """Blocks, block features, labels and label weights of one page."""
    blocks = [line for line in normalize_text(page["text"]).split("\n") if line]
    extracted = normalize_text(trafilatura.extract(page["html"], include_comments=False) or "")
    kept_lines = {_key(line) for line in extracted.split("\n")}
    kept_text = _key(extracted)
    keys = [_key(block) for block in blocks]
    silver = np.array([bool(k) and (k in kept_lines or (len(k) >= 12 and k in kept_text)) for k in keys], dtype=float)
    gold = np.zeros(len(blocks))
    spaced = [_SPACE.sub(" ", block) for block in blocks]
    for snippet in page["without"]:
        wanted = _SPACE.sub(" ", snippet).strip()
        for k, block in enumerate(spaced):
            if wanted in block:
                gold[k] = -1
    for snippet in page["with"]:
        wanted = _SPACE.sub(" ", snippet).strip()
        hits = [k for k, block in enumerate(spaced) if wanted in block]
        if len(hits) > 1 and any(silver[k] for k in hits):
            hits = [k for k in hits if silver[k]]
        for k in hits:
            gold[k] = 1
    labels = np.where(gold == 1, 1.0, np.where(gold == -1, 0.0, silver))
    weights = np.where(gold != 0, GOLD_WEIGHT, 1.0)
    return {"page": page, "table": block_features([blocks]), "labels": labels, "weights": weights}


def _stack(examples: list[dict], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.vstack([e[key] for e in examples]),
        np.concatenate([e["labels"] for e in examples]),
        np.concatenate([e["weights"] for e in examples]),
    )


def train(examples: list[dict]) -> BlockModel:
    """Fit the lexicon and both stages on ``examples`` (``label_page`` results); threshold 0."""
    folds = [examples[0::2], examples[1::2]]
    for held, rest in ((folds[0], folds[1]), (folds[1], folds[0])):
        lexicon = fit_lexicon(rest)
        for e in held:
            e["local"] = lexicon.with_score(e["table"])
    for held, rest in ((folds[0], folds[1]), (folds[1], folds[0])):
        first = fit_trees(*_stack(rest, "local"))
        for e in held:
            e["both"] = np.hstack([e["local"], context_features(e["local"], first.predict(e["local"]))])
    first = fit_trees(*_stack(examples, "local"))
    second = fit_logistic(*_stack(examples, "both"))
    return BlockModel(fit_lexicon(examples), first, second, 0.0)


def choose_threshold(examples: list[dict]) -> tuple[float, list[tuple[float, dict]]]:
    """The lowest threshold whose mean score of ``extract_article`` is within
    ``MEAN_TOLERANCE`` of the best, on scores of pages the model did not see: each of
    ``THRESHOLD_FOLDS`` folds of ``examples`` is scored by a model trained on the others
    (a model's scores on its own training pages are surer than on new pages, which
    would bias the threshold).  Where the mean hardly changes, article text lost costs
    a reader more than boilerplate kept."""
    folds = [examples[k::THRESHOLD_FOLDS] for k in range(THRESHOLD_FOLDS)]
    models = [train([e for j, e in enumerate(examples) if j % THRESHOLD_FOLDS != k]) for k in range(THRESHOLD_FOLDS)]
    pages = [e["page"] for fold in folds for e in fold]
    results = []
    for threshold in THRESHOLDS.tolist():
        outputs = [
            extract_article(e["page"]["text"], model=replace(model, threshold=threshold)).text
            for model, fold in zip(models, folds) for e in fold
        ]
        results.append((threshold, score(pages, outputs)["all"]))
    best = max(row["mean"] for _, row in results)
    return min(value for value, row in results if row["mean"] >= best - MEAN_TOLERANCE), results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devdata", type=Path, help="the development set: a folder with labels.jsonl, html/ and text/")
    parser.add_argument("--output", type=Path, default=WEIGHTS, help="where to write the weights (default: the shipped file)")
    args = parser.parse_args(argv)
    pages = load_pages(args.devdata, "train")
    print(f"training on {len(pages)} pages of the training split")
    examples = [label_page(page) for page in pages]
    model = train(examples)
    threshold, results = choose_threshold(examples)
    for value, row in results:
        print(f"threshold {value:+.2f}: with-recall {row['with_recall']:.3f} without-rejection "
              f"{row['without_rejection']:.3f} mean {row['mean']:.3f}")
    print(f"chosen threshold {threshold:+.2f}")
    weights = {
        "about": "Block classifier of cleanwire's plain-text boilerplate removal; written by "
        "benchmarks/train_boilerplate.py from the training split of the boilerplate development set.",
        "training": {"pages": len(pages), "gold_weight": GOLD_WEIGHT, "l2": L2, "trees": TREES, "folds": 2,
                     "threshold_folds": THRESHOLD_FOLDS, "lexicon_c": LEXICON_C},
        "features": list(MODEL_FEATURES),
        "context": list(CONTEXT_NAMES),
        "first": model.first.to_json(),
        "second": [round(w, 6) for w in model.second.tolist()],
        "threshold": threshold,
    }
    # The trees go last, one line each, and the lexicon on one line before them, which
    # keeps the file small and its head readable.
    first = weights.pop("first")
    head = json.dumps(weights, indent=1).removesuffix("\n}")
    lexicon = json.dumps(model.lexicon.to_json(), separators=(",", ":"))
    trees = ",\n".join("  " + json.dumps(tree, separators=(",", ":")) for tree in first["trees"])
    text = (f'{head},\n "lexicon": {lexicon},\n'
            f' "first": {{"base": {json.dumps(first["base"])}, "depth": {first["depth"]}, "trees": [\n{trees}\n ]}}\n}}\n')
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
