"""Helpers the benchmark scripts share: an App key pair, a throwaway database, CPU readings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def keypair() -> tuple[str, str]:
    """(private PEM for Beadle's settings, public PEM for FakeGitHub), made for this run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


def database(spec: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """(DATABASE_URL, cleanup) for `--database`: "sqlite" gives a file in `tmp`; a PostgreSQL
    URL allowed to create databases gives a fresh one (as tests/conftest.py does), dropped by
    the cleanup."""
    if spec == "sqlite":
        return f"sqlite:///{tmp / 'beadle.sqlite3'}", lambda: None
    import psycopg
    from psycopg import sql

    admin = "postgresql://" + spec.split("://", 1)[1]  # libpq's URI, without `+driver`
    name = f"beadle_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    return f"{admin.rpartition('/')[0]}/{name}", drop


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
