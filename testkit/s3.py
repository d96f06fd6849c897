"""A real S3 HTTP API on 127.0.0.1 for tests: moto in server mode as a child process, with signature checking on.

Requests are authenticated against IAM users held by the server (``INITIAL_NO_AUTH_ACTION_COUNT``: the first
three requests create a user, its policy and its access key; every later request must be signed by that key), so
wrong or missing credentials fail the way they fail against a bucket in the cloud.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoS3:
    def __init__(self, log: Path | None = None) -> None:
        import boto3

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        self._log = out
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                         str(self.port)], env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("moto S3 server did not start") from None
                time.sleep(0.1)
        iam = boto3.client("iam", endpoint_url=self.url, region_name=REGION, aws_access_key_id="bootstrap",
                           aws_secret_access_key="bootstrap")
        iam.create_user(UserName="ingest")
        iam.put_user_policy(UserName="ingest", PolicyName="all", PolicyDocument=ALLOW_ALL)
        key = iam.create_access_key(UserName="ingest")["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key)

    def env(self, *, secret: str | None = None, with_keys: bool = True) -> dict[str, str]:
        """Environment for a process that reads the bucket: the standard AWS variables (the provider chain),
        no shared credentials file or instance metadata to fall back on, and the endpoint setting."""
        env = {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
               "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": REGION,
               "VIDSEARCH_SOURCES__S3_ENDPOINT_URL": self.url}
        if with_keys:
            env["AWS_ACCESS_KEY_ID"] = self.access_key
            env["AWS_SECRET_ACCESS_KEY"] = secret or self.secret_key
        return env

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self) -> MotoS3:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
