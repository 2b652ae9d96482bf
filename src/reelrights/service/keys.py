"""API keys: created with a role (and a party), stored as a slow hash, revoked."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from reelrights.domain.problems import InvalidInput, Problem
from reelrights.service.catalog import ListingJobs
from reelrights.service.permissions import check_new_key
from reelrights.store.repository import KeyRow

ApiKey = KeyRow  # what the outer layers call a stored API key


class KeyJobs(ListingJobs):
    """Creating, listing, revoking and verifying API keys."""

    def create_key(
        self, role: str, party: str | None = None, note: str | None = None
    ) -> tuple[KeyRow, str]:
        """A new API key: (its stored row, the key itself, shown only this once). Only a
        slow hash of the secret is stored. An admin key cannot be bound to a party (see
        :func:`~reelrights.service.permissions.check_new_key`)."""
        check_new_key(role, party, (p.id for p in self.parties()))
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(24)
        row = KeyRow(key_id, _hash_secret(secret), role, party, note, datetime.now(UTC), None)
        with self._writing() as writer:
            writer.add_key(row)
            writer.log(
                self._who().actor,
                "create",
                "api_key",
                key_id,
                None,
                {"role": role, "party": party, "note": note},
            )
        return row, f"rr_{key_id}_{secret}"

    def keys(self) -> list[KeyRow]:
        with self.store.reading() as reader:
            return reader.keys()

    def revoke_key(self, key_id: str) -> None:
        with self._writing() as writer:
            if not writer.revoke_key(key_id, datetime.now(UTC)):
                raise InvalidInput([Problem(f"no active key '{key_id}'", field="key")])
            writer.log(self._who().actor, "revoke", "api_key", key_id, None, None)

    def verify_key(self, key: str, client: str | None = None) -> KeyRow | None:
        """The active key row for a presented key, or None (malformed, unknown, revoked
        or wrong). A key verified once is remembered by its digest, so the slow hash is
        paid once per key and process; revocation is read from the store every time.

        Failures count against ``client`` (an address) and the key id: too many lately
        raise :class:`~reelrights.service.signin.TooManyAttempts` instead of checking
        (see :mod:`.signin`); a key verified before is still recognised."""
        match = re.fullmatch(r"rr_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})", key or "")
        row = None
        if match is not None:
            key_id, secret = match.groups()
            with self.store.reading() as reader:
                row = reader.key(key_id)
            digest = hashlib.sha256(key.encode()).hexdigest()
            if row is not None and row.revoked is None and self._verified.get(key_id) == digest:
                return row
        self._sign_ins.check(client, match.group(1) if match else None)
        if match is None or row is None or row.revoked is not None:
            self._sign_ins.failed(client, None)
            return None
        if not _check_secret(secret, row.hash):
            self._sign_ins.failed(client, key_id)
            return None
        self._verified[key_id] = digest
        return row


def _hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def _check_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(
        secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(computed.hex(), digest)
