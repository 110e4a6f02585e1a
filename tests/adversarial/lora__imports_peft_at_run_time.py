# expect: error | does not allow
import importlib
from torch import nn

class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__()
        importlib.import_module('pe' + 'ft')
