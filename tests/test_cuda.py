"""The cuda path: every reference passes on the GPU when there is one; otherwise it is
reported as skipped (never silently treated as a pass)."""
import pytest
import torch

from grader.catalog import load_catalog
from grader.runner import grade

CATALOG = load_catalog()
HAS_CUDA = torch.cuda.is_available()


@pytest.mark.skipif(HAS_CUDA, reason="a GPU is present")
def test_cuda_is_reported_as_skipped_without_a_gpu():
    drill = CATALOG.get("attention")
    result = grade(drill, drill.solution_path, profile="ci", check_pristine=False, diagnose=False)
    assert result.devices == {"cpu": "ran", "cuda": "skipped: no GPU"}
    assert {p.device for p in result.properties} == {"cpu"}


@pytest.mark.cuda
@pytest.mark.skipif(not HAS_CUDA, reason="no GPU")
@pytest.mark.parametrize("slug", CATALOG.slugs)
def test_reference_passes_on_cuda(slug):
    drill = CATALOG.get(slug)
    result = grade(drill, drill.solution_path, profile="ci", devices=("cuda",), check_pristine=False, diagnose=False)
    assert result.devices.get("cuda") == "ran"
    assert result.status == "pass", [(p.name, p.dtype, p.message) for p in result.failing()]


@pytest.mark.cuda
@pytest.mark.skipif(not HAS_CUDA, reason="no GPU")
def test_a_wrong_device_is_reported_on_cuda(tmp_path):
    drill = CATALOG.get("attention")
    wrong = tmp_path / "cpu_only.py"
    wrong.write_text(drill.solution_path.read_text().replace("return weights.to(v.dtype) @ v",
                                                             "return (weights.to(v.dtype) @ v).cpu()"))
    result = grade(drill, wrong, profile="ci", devices=("cuda",), diagnose=False)
    assert result.status == "fail" and any(p.code == "wrong_device" for p in result.properties)
