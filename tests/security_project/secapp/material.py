"""Secrets and public keys the tests generate for each run.

The tests write them into the directory named by ``SECURITY_MATERIAL_DIR`` and keep
the private keys to themselves; the server only ever sees public keys (and the HMAC
secrets, which both sides must know).
"""
import os
from pathlib import Path

DIR = Path(os.environ["SECURITY_MATERIAL_DIR"])


def read(name: str) -> str:
    return (DIR / name).read_text()


HS_SECRET = read("hs.secret")
ALIAS_SECRET = read("alias.secret")
RSA_PUBLIC = read("rsa.pub.pem")
EC256_PUBLIC = read("ec256.pub.pem")
EC384_PUBLIC = read("ec384.pub.pem")
EC521_PUBLIC = read("ec521.pub.pem")
ED25519_PUBLIC = read("ed25519.pub.pem")
