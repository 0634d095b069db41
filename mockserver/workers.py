"""``serve --workers N``: N processes serving one listening socket.

The parent builds the app, binds the socket, then forks; each child serves the same socket with
its own event loop (the kernel spreads connections between them). State is shared only through
the engine, so this needs one that lives outside the process (Redis); redis-py opens fresh
connections in each child (its pools notice the fork).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType

from .server import STOP_SIGNALS


def run_workers(count: int, sock: socket.socket, serve: Callable[[socket.socket], None]) -> int:
    """Fork ``count`` children that each run ``serve(sock)``; wait for all of them.

    Ctrl-C or SIGTERM in the parent is passed to every child (each stops gracefully). Answers
    0 when every child ended well, else 1.
    """
    children: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                # A group of its own: a terminal's Ctrl-C reaches the parent only, which passes it
                # on once (a second signal would stop a child without waiting for its requests).
                os.setpgid(0, 0)
                serve(sock)
            except KeyboardInterrupt:
                pass
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
        children.append(pid)
    sock.close()

    def forward(signum: int, frame: FrameType | None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    worst = 0
    remaining = set(children)
    while remaining:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        remaining.discard(pid)
        if os.waitstatus_to_exitcode(status) not in (0, -signal.SIGINT, -signal.SIGTERM):
            worst = 1
    return worst
