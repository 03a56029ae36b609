"""Where a report's kernel listens: Unix sockets in a private folder, not TCP ports.

jupyter_client picks a kernel's five TCP ports by binding to port 0 and closing
the sockets, and the kernel binds them a second or two later. Reports running
side by side (``--jobs``), and the connections their clients open meanwhile,
take ephemeral ports from the same range, so now and then a kernel finds a port
taken and dies before it replies ("Kernel died before replying to kernel_info").
Unix sockets in a folder that only this run uses cannot collide. Where Unix
sockets are not available (Windows), the kernel keeps TCP.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def private_kernel_channels() -> Iterator[dict[str, Any]]:
    """Yield papermill keyword arguments that make the kernel listen on private Unix sockets."""
    if os.name != "posix":
        yield {}
        return
    from traitlets.config import Config

    # a short path under the system temp folder: a Unix socket path must stay under ~100 bytes
    folder = tempfile.mkdtemp(prefix="revops-kernel-")
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = os.path.join(folder, "k")
    try:
        yield {"config": config}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
