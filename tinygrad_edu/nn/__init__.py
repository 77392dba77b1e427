"""Building and training models: modules and layers, losses, optimizers, weights on
disk, and the training loop.

``from tinygrad_edu import nn`` gives the tensor layers (``nn.Linear``, ``nn.MLP``,
``nn.Sequential``, ``nn.ReLU`` …) and, under ``nn.scalar``, the one-Value-per-weight
``Neuron``/``Layer``/``MLP`` that the articles' diagrams draw.

>>> import numpy as np
>>> from tinygrad_edu import nn
>>> model = nn.MLP([4, 8, 3], rng=0)
>>> model(np.zeros((2, 4))).shape
(2, 3)

Modules: ``module`` (Module, Sequential, activations), ``layers`` (Linear, MLP,
Embedding), ``conv`` (Conv2d, MaxPool2d, AvgPool2d, Flatten), ``norm`` (LayerNorm,
BatchNorm1d/2d, Dropout),
``scalar`` (Neuron, Layer, MLP on scalar Values), ``losses``, ``optim`` (SGD, Adam),
``weights`` (save and load, ``tg.io``), ``training`` (``fit``). Imports ``core`` only.
"""

from . import losses, optim, scalar, training, weights
from .conv import AvgPool2d, Conv2d, Flatten, MaxPool2d
from .layers import ACTIVATIONS, MLP, Embedding, Linear
from .module import (
    ELU,
    GELU,
    Identity,
    Lambda,
    LeakyReLU,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Tanh,
)
from .norm import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm

__all__ = ["Module", "Sequential", "Linear", "MLP", "Sigmoid", "Tanh", "ReLU", "Identity",
           "Lambda", "ACTIVATIONS", "scalar", "losses", "optim", "weights", "training",
           # layers for images, normalisation, regularisation, lookup
           "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "LayerNorm", "BatchNorm1d",
           "BatchNorm2d", "Dropout", "Embedding",
           # the newer activations
           "LeakyReLU", "ELU", "GELU", "SiLU"]
