"""Energy-based models and autoencoders on their standard tasks, beside a reference.

* BoltzmannMachine: the 4-2-4 encoder with exact gradients over 10 seeds. No library ships a
  Boltzmann machine, so the reference is the same model and objective (the exact log-likelihood,
  enumerated) maximised by torch autograd from the same initial weights: it checks the
  hand-written learning rule; the issue's own figure (4/10 perfect, mean 0.82) is quoted too.
* RBM: 4x4 bars-and-stripes, KL(data || model) computed exactly by enumerating all 2**16
  visible states; reference scikit-learn's BernoulliRBM (PCD-1) with the same hyperparameters
  as our PCD-1 (CD-10 runs at its own, larger learning rate).
* DBN: digits 70/30, 100 labels (10 per class) for fine-tuning, all training images for
  pretraining; reference the same network and fine-tuning from random weights.
* Autoencoder: digits, 16-number code, test reconstruction error against scikit-learn's PCA(16).
* SparseAutoencoder: digits, 64-100-64, rho = 0.05; mean hidden activation and a logistic
  regression probe on the codes (reference: the same probe on the raw pixels).
"""

from __future__ import annotations

import numpy as np
import torch
from components_common import Row, stopwatch

from networks import DBN, RBM, Autoencoder, BoltzmannMachine, SparseAutoencoder
from networks.classic.boltzmann import binary_states
from networks.deep.autoencoder import reconstruction_error, train_autoencoder
from networks.tasks.digits import load_digits_split
from networks.tasks.energy import bars_and_stripes, encoder_connectivity, encoder_patterns

# ---------------------------------------------------------------------------- BoltzmannMachine
ENCODER = dict(n_hidden=2, learning_rate=0.5, momentum=0.5, init_scale=0.5, n_iter=1000)


def _encoder_scores(log_p_correct: np.ndarray) -> tuple[bool, float]:
    """(perfect, mean p(correct)): perfect when every pattern's right answer has p > 0.5."""
    p = np.exp(log_p_correct)
    return bool(np.all(p > 0.5)), float(p.mean())


def _torch_encoder_run(initial: BoltzmannMachine, X: np.ndarray, mask: np.ndarray,
                       n_iter: int) -> np.ndarray:
    """The reference: exact log-likelihood by enumeration, maximised by autograd + SGD.

    Returns log p(V2 = target | V1 = input) for each pattern, also computed in torch.
    """
    n_visible, n_units = X.shape[1], len(initial.biases_)
    upper = torch.tensor(np.triu(mask, 1), dtype=torch.float64)
    w = torch.tensor(np.triu(initial.weights_, 1), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(initial.biases_, dtype=torch.float64, requires_grad=True)
    states = torch.tensor(binary_states(n_units), dtype=torch.float64)
    data = torch.tensor(X, dtype=torch.float64)
    visible_code = states[:, :n_visible]
    matches = (visible_code[None, :, :] == data[:, None, :]).all(dim=2)  # (patterns, states)

    def neg_energy() -> torch.Tensor:
        return ((states @ (w * upper)) * states).sum(dim=1) + states @ b

    optimizer = torch.optim.SGD([w, b], lr=ENCODER["learning_rate"], momentum=ENCODER["momentum"])
    for _ in range(n_iter):
        optimizer.zero_grad()
        logits = neg_energy()
        clamped = torch.where(matches, logits[None, :], -torch.inf).logsumexp(dim=1)
        loss = -(clamped.mean() - logits.logsumexp(dim=0))
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        logits = neg_energy()
        half = n_visible // 2
        same_v1 = (visible_code[None, :, :half] == data[:, None, :half]).all(dim=2)
        joint = torch.where(matches, logits[None, :], -torch.inf).logsumexp(dim=1)
        given_v1 = torch.where(same_v1, logits[None, :], -torch.inf).logsumexp(dim=1)
        return (joint - given_v1).numpy()


def boltzmann_task(quick: bool) -> list[Row]:
    """4-2-4 encoder, exact gradients: perfect runs and mean p(correct) over the seeds."""
    X, mask = encoder_patterns(4), encoder_connectivity(4, 2)
    v1 = np.r_[np.ones(4, dtype=bool), np.zeros(4, dtype=bool)]
    n_seeds, n_iter = (3, 300) if quick else (10, ENCODER["n_iter"])
    ours, reference = [], []
    with stopwatch() as elapsed:
        for seed in range(n_seeds):
            params = dict(ENCODER, n_iter=n_iter, connectivity=mask, random_state=seed)
            bm = BoltzmannMachine(**params).fit(X)
            ours.append(_encoder_scores(bm.conditional_log_proba(X, v1)))
    seconds = elapsed()
    for seed in range(n_seeds):
        initial = BoltzmannMachine(**dict(ENCODER, n_iter=0, connectivity=mask,
                                          random_state=seed)).fit(X)
        reference.append(_encoder_scores(_torch_encoder_run(initial, X, mask, n_iter)))
    task = f"4-2-4 encoder, exact gradients, {n_seeds} seeds"
    perfect = sum(p for p, _ in ours)
    ref_perfect = sum(p for p, _ in reference)
    mean, ref_mean = np.mean([m for _, m in ours]), np.mean([m for _, m in reference])
    need = int(np.ceil(0.3 * n_seeds))
    return [
        Row("BoltzmannMachine", task, "perfect runs", f"{perfect}/{n_seeds}",
            f"{ref_perfect}/{n_seeds} (torch autograd; issue 4/10)", f">= {need}/{n_seeds}",
            perfect >= need, seconds),
        Row("BoltzmannMachine", task, "mean p(correct)", f"{mean:.3f}",
            f"{ref_mean:.3f} (torch autograd; issue 0.82)", ">= 0.75", mean >= 0.75, seconds),
    ]


# ---------------------------------------------------------------------------- RBM
# Full-batch updates on the 30 images. PCD-1 (ours and scikit-learn's) needs a small learning
# rate: with 0.05 both drift to KL 1.4-1.8 (the persistent chains lag behind the fast-changing
# model); CD-10 does best with the larger one.
PCD_PARAMS = dict(n_components=16, learning_rate=0.02, batch_size=30, n_iter=10_000)
CD_PARAMS = dict(n_components=16, learning_rate=0.05, batch_size=30, n_iter=5_000)


def exact_kl(weights: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray,
             patterns: np.ndarray) -> float:
    """KL(uniform over ``patterns`` || RBM) by enumerating every visible state.

    Written separately from :class:`networks.RBM` so that scikit-learn's and our weights are
    scored by the same independent code: ``log P(v) = -F(v) - log Z``.
    """
    def neg_free_energy(V: np.ndarray) -> np.ndarray:
        return V @ visible_bias + np.logaddexp(0.0, V @ weights.T + hidden_bias).sum(axis=1)

    every = binary_states(weights.shape[1])
    log_z = np.logaddexp.reduce(neg_free_energy(every))
    return float(-np.log(len(patterns)) - np.mean(neg_free_energy(patterns) - log_z))


def _describe(params: dict) -> str:
    return (f"4x4 bars-and-stripes, {params['n_components']} hidden, full batch, "
            f"lr {params['learning_rate']}, {params['n_iter']} epochs")


def rbm_task(quick: bool) -> list[Row]:
    """Bars-and-stripes 4x4: exact KL of CD-10 and PCD-1 against scikit-learn's PCD-1."""
    from sklearn.neural_network import BernoulliRBM

    X = bars_and_stripes(4)
    cd_params, pcd_params = CD_PARAMS, PCD_PARAMS
    if quick:
        cd_params, pcd_params = dict(CD_PARAMS, n_iter=500), dict(PCD_PARAMS, n_iter=1000)
    seeds = range(1 if quick else 5)

    def kl_of(model) -> float:
        return exact_kl(model.components_, model.intercept_visible_, model.intercept_hidden_, X)

    with stopwatch() as elapsed:
        cd = [kl_of(RBM(k=10, random_state=s, **cd_params).fit(X)) for s in seeds]
    cd_seconds = elapsed()
    with stopwatch() as elapsed:
        pcd = [kl_of(RBM(k=1, persistent=True, random_state=s, **pcd_params).fit(X))
               for s in seeds]
    pcd_seconds = elapsed()
    sk = [kl_of(BernoulliRBM(random_state=s, **pcd_params).fit(X)) for s in seeds]
    reference = f"{np.mean(sk):.3f} (sklearn BernoulliRBM PCD-1, lr {pcd_params['learning_rate']})"
    n = f", {len(seeds)} seeds"
    return [
        Row("RBM", _describe(cd_params) + n, "KL(data||model), CD-10", f"{np.mean(cd):.3f}",
            reference, "<= 0.7", np.mean(cd) <= 0.7, cd_seconds),
        Row("RBM", _describe(pcd_params) + n, "KL(data||model), PCD-1", f"{np.mean(pcd):.3f}",
            reference, "<= 1.5", np.mean(pcd) <= 1.5, pcd_seconds),
    ]


# ---------------------------------------------------------------------------- DBN
DBN_PARAMS = dict(hidden_layer_sizes=(128, 128, 64), rbm_n_iter=50, n_epochs=1000)


def _labelled_subset(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` examples of every class, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                           for c in np.unique(y)])


def dbn_task(quick: bool) -> list[Row]:
    """Digits with 100 labels: pretrained DBN against the same network from random weights."""
    X_train, X_test, y_train, y_test = load_digits_split()
    params = dict(DBN_PARAMS, rbm_n_iter=5, n_epochs=200) if quick else DBN_PARAMS
    seeds = range(1 if quick else 5)
    pretrained, random_init = [], []
    with stopwatch() as elapsed:
        for seed in seeds:
            rows = _labelled_subset(y_train, 10, seed)
            dbn = DBN(random_state=seed, **params)
            dbn.fit(X_train[rows], y_train[rows], X_unlabelled=X_train)
            pretrained.append(dbn.score(X_test, y_test))
    seconds = elapsed()
    for seed in seeds:
        rows = _labelled_subset(y_train, 10, seed)
        dbn = DBN(pretrain=False, random_state=seed, **params).fit(X_train[rows], y_train[rows])
        random_init.append(dbn.score(X_test, y_test))
    gain = np.mean(pretrained) - np.mean(random_init)
    task = (f"digits 70/30, 100 labels, {'-'.join(map(str, params['hidden_layer_sizes']))} "
            f"sigmoid net, {len(seeds)} label draws")
    return [Row("DBN", task, "test accuracy (gain)", f"{np.mean(pretrained):.3f} ({gain:+.3f})",
                f"{np.mean(random_init):.3f} (same net, random init)", ">= random init + 0.03",
                gain >= 0.03, seconds)]


# ---------------------------------------------------------------------------- autoencoders
AE_LAYERS = (64, 128, 64, 16)
AE_TRAIN = dict(n_epochs=300, learning_rate=1e-3, batch_size=64, weight_decay=0.1)
SPARSE = dict(n_features=64, n_hidden=100, sparsity_target=0.05, sparsity_weight=3.0,
              weight_decay=1e-4)
SPARSE_TRAIN = dict(n_epochs=300, learning_rate=3e-3, batch_size=64)


def _digits_tensors() -> tuple[np.ndarray, ...]:
    """Digits split as numpy arrays plus float32 tensors of the two image sets."""
    X_train, X_test, y_train, y_test = load_digits_split()
    as_tensor = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return X_train, X_test, y_train, y_test, as_tensor(X_train), as_tensor(X_test)


def autoencoder_task(quick: bool) -> list[Row]:
    """Digits, code 16: test reconstruction error of the deep autoencoder against PCA(16)."""
    from sklearn.decomposition import PCA

    X_train, X_test, _, _, train, test = _digits_tensors()
    train_params = dict(AE_TRAIN, n_epochs=20) if quick else AE_TRAIN
    torch.manual_seed(0)
    with stopwatch() as elapsed:
        model = Autoencoder(AE_LAYERS)
        train_autoencoder(model, train, generator=torch.Generator().manual_seed(0), **train_params)
        with torch.no_grad():
            error = reconstruction_error(model(test), test).item()
    seconds = elapsed()
    pca = PCA(n_components=AE_LAYERS[-1], random_state=0).fit(X_train)
    pca_error = float(np.mean(np.sum((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2,
                                     axis=1)))
    task = (f"digits 70/30, {'-'.join(map(str, AE_LAYERS))} ReLU, AdamW, "
            f"{train_params['n_epochs']} epochs")
    return [Row("Autoencoder", task, "test squared error per image", f"{error:.3f}",
                f"{pca_error:.3f} (sklearn PCA(16))", "<= 0.45", error <= 0.45, seconds)]


def sparse_autoencoder_task(quick: bool) -> list[Row]:
    """Digits, 64-100-64 with rho = 0.05: mean hidden activation and a linear probe's accuracy."""
    from sklearn.linear_model import LogisticRegression

    X_train, X_test, y_train, y_test, train, test = _digits_tensors()
    train_params = dict(SPARSE_TRAIN, n_epochs=20) if quick else SPARSE_TRAIN
    torch.manual_seed(0)
    with stopwatch() as elapsed:
        model = SparseAutoencoder(**SPARSE)
        train_autoencoder(model, train, generator=torch.Generator().manual_seed(0), **train_params)
        with torch.no_grad():
            codes_train, codes_test = model.encode(train).numpy(), model.encode(test).numpy()
    seconds = elapsed()
    probe = LogisticRegression(max_iter=5000).fit(codes_train, y_train).score(codes_test, y_test)
    raw = LogisticRegression(max_iter=5000).fit(X_train, y_train).score(X_test, y_test)
    activation = float(codes_test.mean())
    task = f"digits 70/30, 64-100-64, rho 0.05, {train_params['n_epochs']} epochs"
    return [
        Row("SparseAutoencoder", task, "mean hidden activation (test)", f"{activation:.3f}",
            "0.050 (target rho)", "0.04 to 0.07", 0.04 <= activation <= 0.07, seconds),
        Row("SparseAutoencoder", task, "linear probe accuracy", f"{probe:.3f}",
            f"{raw:.3f} (same probe on raw pixels)", ">= 0.95", probe >= 0.95, seconds),
    ]


TASKS = {
    "BoltzmannMachine": boltzmann_task,
    "RBM": rbm_task,
    "DBN": dbn_task,
    "Autoencoder": autoencoder_task,
    "SparseAutoencoder": sparse_autoencoder_task,
}
