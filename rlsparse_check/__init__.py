"""rlsparse-check: does RL fine-tuning update only a small subnetwork of your model?

The public API is small and nothing heavy is imported here: the diff path never imports torch.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
