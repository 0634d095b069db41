# httpx loads httpcore on first use and keeps a map of its exception classes. Loaded first inside
# an in-process pytester run, httpcore would be dropped from sys.modules afterwards and loaded
# anew, and connection errors would then escape httpx untranslated.
import httpcore  # noqa: F401

pytest_plugins = ["pytester"]
