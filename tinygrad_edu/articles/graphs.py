"""The articles' networks as Values, ready to draw (used by the CLI, docs and tests).

This module owns building article I's perceptron and article II's 2-3-1 network on the
OR gate, with the articles' starting weights (article II's from
:mod:`tinygrad_edu.articles.cases`, which the training runs use too) and the data from
:mod:`tinygrad_edu.articles.manual`. It returns the loss; nothing is trained here.

Imports: ``core``, ``articles.manual`` and ``articles.cases`` (data only); not the drawings.
"""

from __future__ import annotations

import numpy as np

from ..core import Value
from . import manual
from .cases import ARTICLE2_W_H, ARTICLE2_W_O

__all__ = ["article1_loss", "article2_loss", "ARTICLES"]


def article1_loss() -> Value:
    """Article I: ``L = ½ Σ (σ(X @ w + b) − t)²`` on the OR gate, w = [.1, .2], b = .3.

    >>> round(article1_loss().item(), 6) == round(manual.perceptron_grads(
    ...     manual.OR_X, manual.OR_T, [0.1, 0.2], 0.3)["loss"], 6)
    True
    """
    X = Value(manual.OR_X, requires_grad=False, name="X")
    t = Value(manual.OR_T, requires_grad=False, name="t")
    w = Value(np.array([[0.1], [0.2]]), name="w")
    b = Value(0.3, name="b")
    z = X @ w + b
    z.name = "z"
    o = z.sigmoid()
    o.name = "o"
    loss = 0.5 * ((o - t) ** 2).sum()
    loss.name = "L"
    return loss


def article2_loss() -> Value:
    """Article II: 2-3-1 network, no biases, sigmoid on both layers, ``L = Σ ½ (o − t)²``.

    >>> round(article2_loss().item(), 6)      # article II's first printed loss
    0.347948
    """
    X = Value(manual.OR_X, requires_grad=False, name="X")
    t = Value(manual.OR_T, requires_grad=False, name="t")
    W_h = Value(np.array(ARTICLE2_W_H), name="W_h")
    W_o = Value(np.array(ARTICLE2_W_O), name="W_o")
    h = (X @ W_h).sigmoid()
    h.name = "h"
    o = (h @ W_o).sigmoid()
    o.name = "o"
    loss = (0.5 * (o - t) ** 2).sum()
    loss.name = "L"
    return loss


#: CLI name -> builder.
ARTICLES = {"article1": article1_loss, "article2": article2_loss}
