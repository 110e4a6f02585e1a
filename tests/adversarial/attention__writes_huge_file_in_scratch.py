# expect: fail | File too large
def scaled_dot_product_attention(q, k, v, mask=None):
    with open('big.bin', 'wb') as f:
        for _ in range(200):
            f.write(b'0' * (1 << 20))
