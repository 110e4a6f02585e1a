"""The static scan of user files: forbidden APIs, aliases, strings, banned packages, the reference."""
import pytest

from grader.guard import scan_source

SDPA = ("torch.nn.functional.scaled_dot_product_attention", "torch.ops.aten.scaled_dot_product_attention",
        "torch.nn.RMSNorm")


@pytest.mark.parametrize("src", [
    "import torch.nn.functional as F\ny = F.scaled_dot_product_attention(q, k, v)\n",
    "from torch.nn.functional import scaled_dot_product_attention as f\n",
    "import torch\nm = torch.nn.RMSNorm(8)\n",
    "import torch\nop = getattr(torch.nn, 'RMSNorm')\n",
    "from solutions.attention import scaled_dot_product_attention\n",
    "import solutions\n",
    "p = 'solutions/attention.py'\n",
    "import peft\n",
    "from peft.tuners.lora import Linear\n",
])
def test_flagged(src):
    assert scan_source(src, SDPA + ("peft",), ("scaled_dot_product_attention", "RMSNorm"))


@pytest.mark.parametrize("src", [
    "def scaled_dot_product_attention(q, k, v, mask=None):\n    return self_made(q)\n",
    "class RMSNorm:\n    '''Not torch.nn.RMSNorm: my own.'''\n    def f(self):\n        return self.RMSNorm\n",
    "__all__ = ['scaled_dot_product_attention']\n",
    "import torch\nx = torch.nn.Linear(2, 3)\n",
    "import pefty\n",
])
def test_not_flagged(src):
    assert scan_source(src, SDPA + ("peft",), ("scaled_dot_product_attention", "RMSNorm")) == []


def test_findings_carry_line_numbers():
    src = "import torch\n\n\ny = torch.nn.RMSNorm(3)\n"
    assert [f.line for f in scan_source(src, SDPA)] == [4]
