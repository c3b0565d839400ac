"""Thread pinning of the training processes."""

from __future__ import annotations


def test_thread_pinning_limits_torch_and_every_native_pool_to_one_thread():
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from rlsparse_check.recipes.threads import pin_threads

    before = torch.get_num_threads()
    with threadpool_limits():  # restores the native pools afterwards
        try:
            done = pin_threads(1)
            assert torch.get_num_threads() == 1
            assert done and all(":" in entry for entry in done)
            assert {pool["num_threads"] for pool in threadpool_info()} == {1}
        finally:
            torch.set_num_threads(before)
