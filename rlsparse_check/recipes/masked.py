"""Fine-tuning restricted to a mask: entries outside it stay bit-identical to the base.

Two mechanisms, both needed:

* a gradient hook on each parameter zeroes the gradient outside the mask, so clipping norms,
  Adam moments and the update itself see only in-mask gradients;
* after every optimizer step the out-of-mask entries are written back from a copy of their
  starting values, so nothing else (decoupled weight decay, optimizer quirks, autocast) can move
  them either.

Parameters absent from the mask are frozen whole. Masks come as ``{name: bool array}`` or as a
MaskSet ``.npz`` written by ``rlsparse-check diff --masks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rlsparse_check.errors import TrainingError

__all__ = ["load_mask", "MaskGuard"]


def load_mask(path: str | Path) -> dict[str, np.ndarray]:
    """Read a MaskSet ``.npz`` into ``{tensor name: dense bool array}``."""
    from rlsparse_check.masks import MaskSet

    path = Path(path)
    if not path.is_file():
        raise TrainingError(
            f"--mask {path}: no such file; write one with rlsparse-check diff --masks"
        )
    masks = MaskSet.load(path)
    return {name: np.asarray(masks.dense(name), dtype=bool) for name in masks.names}


class MaskGuard:
    """Attach to a model: hooks zero out-of-mask gradients; :meth:`restore` (call after every
    optimizer step, e.g. through :meth:`callback`) resets out-of-mask entries."""

    def __init__(self, model: Any, masks: Mapping[str, np.ndarray]) -> None:
        import torch

        params = dict(model.named_parameters())
        unknown = sorted(set(masks) - set(params))
        if unknown and len(unknown) == len(masks):
            raise TrainingError(
                f"mask names none of the model's parameters (e.g. {unknown[0]!r}): was it made "
                "from checkpoints of this model?"
            )
        self.entries: list[tuple[Any, Any, Any]] = []
        self.handles = []
        self.trainable = 0
        for name, param in params.items():
            if name not in masks:
                param.requires_grad_(False)
                continue
            dense = np.asarray(masks[name], dtype=bool)
            if dense.shape != tuple(param.shape):
                raise TrainingError(
                    f"mask of {name} has shape {dense.shape}, the parameter {tuple(param.shape)}: "
                    "use a mask made from checkpoints of this model"
                )
            keep = torch.from_numpy(dense.copy()).to(param.device)
            original = param.detach().clone()
            self.entries.append((param, keep, original))
            self.trainable += int(dense.sum())
            self.handles.append(param.register_hook(_zero_outside(keep)))

    def restore(self) -> None:
        """Write the starting values back into every out-of-mask entry."""
        import torch

        with torch.no_grad():
            for index, (param, keep, original) in enumerate(self.entries):
                if keep.device != param.device:
                    keep, original = keep.to(param.device), original.to(param.device)
                    self.entries[index] = (param, keep, original)
                param.copy_(torch.where(keep, param, original.to(param.dtype)))

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def callback(self) -> Any:
        """A transformers TrainerCallback that restores after each optimizer step."""
        from transformers import TrainerCallback

        guard = self

        class _Restore(TrainerCallback):
            def on_optimizer_step(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                guard.restore()

            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                guard.restore()

        return _Restore()


def _zero_outside(keep: Any) -> Any:
    import torch

    def hook(grad: Any) -> Any:
        mask = keep if keep.device == grad.device else keep.to(grad.device)
        return torch.where(mask, grad, torch.zeros((), dtype=grad.dtype, device=grad.device))

    return hook
