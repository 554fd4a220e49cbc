"""Keep the crawler off the network it runs in (SSRF).

A public page, a redirect or a DNS answer can point the crawler at loopback, a private
network or a cloud metadata address; fetching them would let any site read the operator's
internal services. Unless ``NEWS_ALLOW_PRIVATE_NETWORKS`` is on, two checks refuse every
address that is not globally routable and not in ``NEWS_PRIVATE_ADDRESSES_ALLOWED``: ``PrivateNetworkMiddleware`` before a request is sent
(a clear reason in the log and ``news/refused/private_network`` in the stats), and
``PublicOnlyResolver`` at connection time, so a name that resolves elsewhere on a second lookup
(DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

SETTING = "NEWS_ALLOW_PRIVATE_NETWORKS"
ALLOWED = "NEWS_PRIVATE_ADDRESSES_ALLOWED"
HINT = f"set {SETTING}=True (or --allow-private-networks), or list the network in {ALLOWED}, to crawl it"


class PrivateAddress(DNSLookupError):
    """A host that is, or resolves to, an address the crawler must not connect to."""


class AddressPolicy:
    """Which addresses the crawler may connect to: globally routable ones, and the networks the
    operator allows (``NEWS_PRIVATE_ADDRESSES_ALLOWED``: an intranet site, a proxy)."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self.allowed = [ipaddress.ip_network(network, strict=False) for network in allowed]

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> AddressPolicy | None:
        """The policy the settings ask for; None when every address is allowed. Raises
        ValueError, naming the setting, for an entry that is no address or network."""
        if settings.getbool(SETTING):
            return None
        try:
            return cls(settings.getlist(ALLOWED))
        except ValueError as exc:
            raise ValueError(f"{ALLOWED}: {exc}") from None

    def refuses(self, address: str) -> bool:
        """Anything but a globally routable address, unless allowed: loopback, private ranges,
        link-local (cloud metadata at 169.254.169.254), unique-local IPv6, shared and reserved
        space, IPv4 written inside IPv6."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_global and not ip.is_multicast:
            return False
        return not any(ip in network for network in self.allowed)

    def refusal(self, url: str) -> str | None:
        """Why a URL is refused, its host resolved as the system resolves it; None when it is not
        (a name that does not resolve is left to fail as the crawl would)."""
        host = (urlsplit(url).hostname or "").rstrip(".")
        try:
            addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
        except (OSError, UnicodeError):
            return None
        refused = sorted(a for a in addresses if self.refuses(a))
        if not refused:
            return None
        return f"{host} is a private address" if literal(host) else f"{host} resolves to {refused[0]}"


def literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, failing for names whose address the policy refuses; the
    check runs on every lookup, cached answers included."""

    policy: AddressPolicy | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = AddressPolicy.from_settings(crawler.settings)
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = super().getHostByName(name, timeout)
        if self.policy is not None:
            answer.addCallback(self._public, name, self.policy)
        return answer

    @staticmethod
    def _public(address: str, name: str, policy: AddressPolicy) -> str:
        if policy.refuses(address):
            raise PrivateAddress(f"{name} resolves to {address}")
        return address


class PrivateNetworkMiddleware:
    """Refuses requests to private addresses before they are sent, with the reason logged."""

    def __init__(self, crawler: Crawler) -> None:
        policy = AddressPolicy.from_settings(crawler.settings)
        if policy is None:
            raise NotConfigured  # allowed: nothing to refuse, nothing to say
        self.policy = policy
        assert crawler.stats is not None
        self.stats = crawler.stats
        from twisted.internet import reactor

        self.reactor: Any = reactor

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = (urlsplit(request.url).hostname or "").rstrip(".")
        if not host:
            return
        if literal(host):
            reason = f"{host} is a private address" if self.policy.refuses(host) else None
        else:
            try:
                await maybe_deferred_to_future(self.reactor.resolve(host))
                reason = None
            except PrivateAddress as exc:
                reason = str(exc.args[0])
            except DNSLookupError:
                return  # the download fails with the lookup error, counted as such
        if reason is None:
            return
        self.stats.inc_value("news/refused/private_network")
        logger.warning("refused %(url)s: %(reason)s; %(hint)s", {"url": request.url, "reason": reason, "hint": HINT})
        raise IgnoreRequest(f"private network: {reason}")
