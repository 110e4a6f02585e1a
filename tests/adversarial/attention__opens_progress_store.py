# expect: error | SQLite
import sqlite3
def scaled_dot_product_attention(q, k, v, mask=None):
    sqlite3.connect('progress.sqlite3').execute('select 1')
