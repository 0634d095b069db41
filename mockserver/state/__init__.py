"""Where the fakes' state lives: one :class:`~.world.World` per session, kept by an engine.

The memory engine (``memory``) keeps live worlds in this process; the Redis engine
(``redis_engine``) keeps them in Redis and materialises one per transaction, committing its
changes atomically. ``engine`` holds the interface both implement.
"""
