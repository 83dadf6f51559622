"""Failed logins, counted per account name and per client address, in the server's memory.

After ``limit`` failures within ``window`` seconds a key is locked for ``base_delay`` seconds;
each further lockout while failures keep coming doubles it, up to ``max_delay``. A locked key
is answered at once (429, Retry-After) without checking a password, whether or not the account
exists, so locking says nothing about which names are accounts. A good login clears its
account's record (not its address's: one's own account must not reset the address's count).
A restart forgets everything; failures are also logged by the server for an operator's own
tools (fail2ban and the like).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Record:
    failures: deque = field(default_factory=deque)
    locked_until: float = 0.0
    lockouts: int = 0
    last_failure: float = 0.0


class LoginThrottle:
    """Counts failures per key; ``retry_after`` says how long a key must still wait."""

    def __init__(self, *, limit: int = 5, window: float = 15 * 60, base_delay: float = 60, max_delay: float = 60 * 60,
                 max_keys: int = 100_000, timer: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.base_delay, self.max_delay = limit, window, base_delay, max_delay
        self.max_keys, self.timer = max_keys, timer
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()

    def retry_after(self, *keys: tuple[str, str]) -> int:
        """Seconds until every key may try again (0: now)."""
        now = self.timer()
        waits = [record.locked_until - now for key in keys if (record := self._records.get(key))]
        return max([0, *(math.ceil(w) for w in waits if w > 0)])

    def failed(self, *keys: tuple[str, str]) -> None:
        now = self.timer()
        for key in keys:
            record = self._records.pop(key, None) or _Record()
            if now - max(record.last_failure, record.locked_until) > self.window:
                record.lockouts = 0  # quiet for a whole window since the last lockout: start afresh
            while record.failures and record.failures[0] <= now - self.window:
                record.failures.popleft()
            record.failures.append(now)
            record.last_failure = now
            if len(record.failures) >= self.limit:
                record.lockouts += 1
                record.locked_until = now + min(self.base_delay * 2 ** (record.lockouts - 1), self.max_delay)
            self._records[key] = record  # most recent last, so the oldest go first when full
        while len(self._records) > self.max_keys:
            self._records.popitem(last=False)

    def succeeded(self, key: tuple[str, str]) -> None:
        self._records.pop(key, None)
