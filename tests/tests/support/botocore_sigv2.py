"""Signs requests with botocore's HmacV1Auth (Signature Version 2), the independent
implementation s3drv's SigV2 signer is compared with.

Reads a JSON list of {method, url, headers: [[name, value]], date, access_key, secret_key,
token} on stdin; prints one `Authorization` value per request.
"""
import json
import sys
from urllib.parse import urlsplit

from botocore.auth import HmacV1Auth
from botocore.awsrequest import HTTPHeaders
from botocore.credentials import Credentials

for request in json.load(sys.stdin):
    auth = HmacV1Auth(
        Credentials(request["access_key"], request["secret_key"], request["token"])
    )
    auth._get_date = lambda date=request["date"]: date
    headers = HTTPHeaders()
    for name, value in request["headers"]:
        headers[name] = value
    signature = auth.get_signature(
        request["method"], urlsplit(request["url"]), headers
    )
    print(f"AWS {request['access_key']}:{signature}")
