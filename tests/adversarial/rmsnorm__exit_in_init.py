# expect: fail | SystemExit
import sys
from torch import nn

class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        sys.exit(0)
