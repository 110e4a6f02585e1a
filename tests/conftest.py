"""Test setup: a private data dir per session, and the CI hypothesis profile."""
import os
import tempfile

import pytest

_HOME = tempfile.mkdtemp(prefix="drill-test-home-")
os.environ["DRILL_HOME"] = _HOME          # never touch the developer's real store
os.environ.pop("DRILL_WORKSPACE", None)
os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", derandomize=True, max_examples=30, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def drill_home(tmp_path, monkeypatch):
    """A fresh, empty data dir (store, default workspace) for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("DRILL_HOME", str(home))
    monkeypatch.delenv("DRILL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


requires_cuda = pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="no GPU")
