# expect: error | network
import socket
def scaled_dot_product_attention(q, k, v, mask=None):
    socket.create_connection(('127.0.0.1', 9))
