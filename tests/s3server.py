"""An S3-compatible server for the tests: moto's, in this process on a free port, so the object
store is exercised over HTTP through boto3 exactly as against MinIO or AWS."""

from __future__ import annotations

import os
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

# moto accepts any credentials; these only keep boto3 from looking for real ones.
TEST_ENV = {"AWS_ACCESS_KEY_ID": "panel-test", "AWS_SECRET_ACCESS_KEY": "panel-test",
            "AWS_DEFAULT_REGION": "eu-west-2"}


@contextmanager
def s3_server(bucket: str = "panel-test"):
    """Yield the endpoint URL of a running server with `bucket` created."""
    saved = {k: os.environ.get(k) for k in TEST_ENV}
    os.environ.update(TEST_ENV)
    # Port 0: the kernel picks a free port as the server binds it, so the two test workers can
    # never race for one.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        boto3.client("s3", endpoint_url=url).create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": TEST_ENV["AWS_DEFAULT_REGION"]})
        yield url
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
