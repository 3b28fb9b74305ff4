"""Recomputes 钉钉's signature with Python's hmac, as DingTalk documents it: HMAC-SHA256 keyed
with the secret over "timestamp\nsecret", Base64, then URL-encoded. Prints the URL-encoded form."""
import base64
import hashlib
import hmac
import sys
import urllib.parse

timestamp, secret = sys.argv[1], sys.argv[2]
digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), digestmod=hashlib.sha256).digest()
print(urllib.parse.quote_plus(base64.b64encode(digest)))
