"""Which hosts and credentials the control-plane guard accepts, by the address the server is bound to."""

from __future__ import annotations

import pytest

from mockserver.admin_guard import is_loopback, new_admin_token, policy_for


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_addresses_and_names(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "192.168.0.5", "myhost", "localhost.example"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_loopback_policy_lists_the_loopback_names_the_bound_name_and_extra_hosts() -> None:
    policy = policy_for("devbox", 8080, allow_hosts=["Proxy.Test", "other.test:9000", " "], address="127.0.1.1")
    assert policy.token is None
    assert policy.allowed_hosts is not None
    for host in ("localhost", "127.0.0.1", "[::1]", "devbox", "proxy.test", "other.test:9000"):
        assert host in policy.allowed_hosts
    for host in ("localhost:8080", "127.0.0.1:8080", "[::1]:8080", "devbox:8080", "proxy.test:8080"):
        assert host in policy.allowed_hosts
    assert "other.test:8080" not in policy.allowed_hosts  # given with its own port
    assert "" not in policy.allowed_hosts


def test_an_ipv6_bind_is_listed_in_brackets() -> None:
    policy = policy_for("::1", 8080)
    assert policy.allowed_hosts is not None and "[::1]:8080" in policy.allowed_hosts


def test_beyond_loopback_the_host_is_not_checked_and_a_token_is_needed() -> None:
    token = new_admin_token()
    policy = policy_for("0.0.0.0", 8080, token=token)
    assert policy.allowed_hosts is None and policy.token == token
    with pytest.raises(ValueError):
        policy_for("0.0.0.0", 8080)
    # A name that resolves beyond loopback is judged by the address it got.
    assert policy_for("localhost", 8080, token=token, address="10.0.0.7").allowed_hosts is None


def test_generated_tokens_differ() -> None:
    assert new_admin_token() != new_admin_token()
    assert len(new_admin_token()) > 30
