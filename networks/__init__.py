"""Reusable neural-network components: the tutorial's models from the perceptron to ResNet.

Two families, both importable from here (``from networks import RBM, LSTM``):

* ``networks.classic``: numpy models with scikit-learn's estimator conventions (``fit``,
  ``predict``, ``transform``, ``score``; hyperparameters stored as given in ``__init__``, learned
  state ending in ``_``, ``random_state`` for every random choice).
* ``networks.deep``: torch ``nn.Module``s with torch's calling conventions. The Go engine's
  policy/value trunk is built from :mod:`networks.deep.resnet`'s residual blocks.

Names are resolved lazily (PEP 562), so ``from networks import Perceptron`` never imports torch.
``networks`` does not import ``go_engine``.
"""

from __future__ import annotations

from networks._lazy import lazy_names

_LOCATIONS = {
    # classic: numpy estimators
    "Perceptron": "networks.classic.perceptron",
    "Adaline": "networks.classic.adaline",
    "MLP": "networks.classic.mlp",
    "HopfieldNetwork": "networks.classic.hopfield",
    "RBFNetwork": "networks.classic.rbf",
    "OjaPCA": "networks.classic.hebbian_pca",
    "SangerPCA": "networks.classic.hebbian_pca",
    "SVM": "networks.classic.svm",
    "CompetitiveLayer": "networks.classic.competitive",
    "SOM": "networks.classic.som",
    "BoltzmannMachine": "networks.classic.boltzmann",
    "RBM": "networks.classic.rbm",
    "DBN": "networks.classic.dbn",
    # deep: torch modules
    "Autoencoder": "networks.deep.autoencoder",
    "SparseAutoencoder": "networks.deep.autoencoder",
    "ElmanRNN": "networks.deep.recurrent",
    "LSTM": "networks.deep.recurrent",
    "GRU": "networks.deep.recurrent",
    "LeNet5": "networks.deep.lenet",
    "AlexNet": "networks.deep.alexnet",
    "ResNet": "networks.deep.resnet",
    "BasicBlock": "networks.deep.resnet",
    "Bottleneck": "networks.deep.resnet",
    # go: the engine's policy/value network and its checkpoints
    "NetConfig": "networks.go.policy_value",
    "PolicyValueNet": "networks.go.policy_value",
    "build_network": "networks.go.policy_value",
    "CheckpointError": "networks.go.checkpoint",
    "save_checkpoint": "networks.go.checkpoint",
    "load_checkpoint": "networks.go.checkpoint",
    "export_for_inference": "networks.go.inference",
}

__all__, __getattr__, __dir__ = lazy_names("networks", _LOCATIONS)
