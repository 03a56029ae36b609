"""A report's kernel listens on private Unix sockets, so kernels started side by side cannot take each other's ports."""

import json
import os
from pathlib import Path

import nbformat
import pytest

from revops_nb.report.kernel_channels import private_kernel_channels

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix sockets exist only on POSIX systems")


def test_channels_are_unix_sockets_in_a_private_folder_removed_afterwards():
    with private_kernel_channels() as channels:
        manager = channels["config"].KernelManager
        folder = Path(manager.ip).parent
        assert manager.transport == "ipc"
        assert folder.is_dir() and folder.name.startswith("revops-kernel-")
        assert len(manager.ip) < 90  # a Unix socket path is limited to about 100 bytes
    assert not folder.exists()


def test_two_runs_get_different_folders():
    with private_kernel_channels() as first, private_kernel_channels() as second:
        assert first["config"].KernelManager.ip != second["config"].KernelManager.ip


def test_papermill_kernel_started_with_the_channels_listens_on_unix_sockets(tmp_path):
    import papermill as pm

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import ipykernel, json\n"
            "info = ipykernel.get_connection_info(unpack=True)\n"
            "print(json.dumps({'transport': info['transport'], 'ip': info['ip']}))"
        )
    ]
    source = tmp_path / "probe.ipynb"
    nbformat.write(notebook, source)
    with private_kernel_channels() as channels:
        ip = channels["config"].KernelManager.ip
        result = pm.execute_notebook(
            str(source), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False, **channels
        )
    info = json.loads(result.cells[0].outputs[0]["text"])
    assert info["transport"] == "ipc"
    assert info["ip"] == ip
