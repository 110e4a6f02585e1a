# expect: fail | differ
import threading, time, torch
def _spin():
    while True:
        time.sleep(0.001)
for _ in range(8):
    threading.Thread(target=_spin, daemon=False).start()

def scaled_dot_product_attention(q, k, v, mask=None):
    return torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
