"""localstripe, extended with what Plumbline needs and localstripe lacks, bound to 127.0.0.1.

localstripe (PyPI) fakes Stripe's API for customers, PaymentIntents, charges, declines, refunds and
signed webhooks. Plumbline also needs, following Stripe's documented behaviour:

- Connect accounts: POST/GET /v1/accounts[/{id}], POST /v1/account_links, and a hosted
  "onboarding" page (/_harness/connect/onboard/{token}) that completes onboarding, sends
  `account.updated` and redirects to return_url (an expired or used link goes to refresh_url);
- transfers: POST/GET /v1/transfers[/{id}], reversals (POST/GET /v1/transfers/{id}/reversals),
  checked against the destination's `transfers` capability and the platform's available balance,
  with balance transactions and `transfer.created` / `transfer.reversed` webhooks;
- a computed GET /v1/balance (available = the sum of balance transactions, per currency);
- idempotency keys on every POST: the same key with the same parameters replays the first
  response (header `Idempotent-Replayed: true`); with different parameters (or another endpoint)
  it is refused with 400 `idempotency_error`; a concurrent request with a key in flight gets 409;
  validation errors are not saved; keys expire after 24 hours;
- PaymentIntents accept `description` and `automatic_payment_methods` at creation, report
  `amount_received`, and can be confirmed with a `payment_method` (also after a decline, as a new
  attempt), as Stripe allows.

Tests start it in a background thread (`LocalStripe().start()`); the demo runs it as a process:
`python -m payments.testing.localstripe_server --port 8420 --webhook-url http://127.0.0.1:8000/stripe/webhook/`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import pickle
import secrets
import threading
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

with warnings.catch_warnings():  # localstripe registers plain functions as aiohttp handlers
    warnings.simplefilter("ignore", DeprecationWarning)
    from localstripe import resources as ls
    from localstripe import server as ls_server
    from localstripe.errors import UserError
    from localstripe.webhooks import register_webhook, schedule_webhook

logger = logging.getLogger(__name__)

IDEMPOTENCY_TTL = 24 * 60 * 60
ACCOUNT_LINK_TTL = 300
CURRENCY_OF_COUNTRY = {"US": "usd", "GB": "gbp"}


def _json(body: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.json_response(
        body, status=status, headers=headers, dumps=lambda x: json.dumps(x, sort_keys=True)
    )


def _error(
    status: int, message: str, *, type_: str = "invalid_request_error", **extra
) -> web.Response:
    return _json({"error": {"type": type_, "message": message, **extra}}, status=status)


def _int(value: Any, name: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    converted = ls.try_convert_to_int(value)
    if type(converted) is not int or converted <= 0:
        raise UserError(400, f"Invalid positive integer: {name}", {"param": name})
    return converted


def _check_known(data: dict, allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise UserError(400, f"Received unknown parameter: {unknown[0]}", {"param": unknown[0]})


def _metadata(value: Any) -> dict:
    if value in (None, ""):
        return {}
    if type(value) is not dict:
        raise UserError(400, "Invalid metadata", {"param": "metadata"})
    return {str(k): str(v) for k, v in value.items()}


def _balance_txn(*, amount: int, currency: str, type_: str, source: str, description: str):
    """A balance transaction of a kind localstripe's constructor refuses (transfers)."""
    txn = ls.BalanceTransaction.__new__(ls.BalanceTransaction)
    ls.StripeObject.__init__(txn)
    txn.amount = amount
    txn.available_on = txn.created
    txn.currency = currency
    txn.description = description
    txn.exchange_rate = None
    txn.fee = 0
    txn.fee_details = []
    txn.reporting_category = type_
    txn.source = source
    txn.status = "available"
    txn.type = type_
    return txn


def available_balance(currency: str) -> int:
    return sum(
        obj.amount
        for key, obj in ls.store.items()
        if key.startswith("balance_transaction:") and obj.currency == currency
    )


# --- Connect ---------------------------------------------------------------------------------


class Account(ls.StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type=None,
        country=None,
        email=None,
        business_type=None,
        capabilities=None,
        metadata=None,
        default_currency=None,
        business_profile=None,
        controller=None,
        **kwargs,
    ):
        _check_known(kwargs, set())
        if type not in (None, "standard", "express", "custom"):
            raise UserError(
                400, "Invalid type: must be one of custom, express, or standard", {"param": "type"}
            )
        if type is None and not controller:
            raise UserError(400, "You must provide `type` or `controller`.", {"param": "type"})
        country = (country or "US").upper()
        requested = {
            name
            for name, spec in (capabilities or {}).items()
            if ls.try_convert_to_bool((spec or {}).get("requested")) is True
        }
        super().__init__()
        self.type = type or "custom"
        self.country = country
        self.email = email
        self.business_type = business_type
        self.business_profile = business_profile or {}
        self.default_currency = default_currency or CURRENCY_OF_COUNTRY.get(country, "eur")
        self.metadata = _metadata(metadata)
        self.capabilities = {name: "inactive" for name in sorted(requested)}
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = {
            "currently_due": ["external_account", "tos_acceptance.date", "individual.dob.day"],
            "disabled_reason": "requirements.past_due",
        }

    def _complete_onboarding(self):
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = {name: "active" for name in self.capabilities} or {
            "transfers": "active"
        }
        self.requirements = {"currently_due": [], "disabled_reason": None}
        schedule_webhook(ls.Event("account.updated", self))

    def _update(self, **data):
        _check_known(data, {"email", "metadata", "business_profile", "default_currency"})
        super()._update(**data)

    @classmethod
    def _api_list_all(cls, url, limit=None, starting_after=None, **kwargs):
        _check_known(kwargs, {"created"})
        return super()._api_list_all(url, limit=limit, starting_after=starting_after)


_account_links: dict[str, dict] = {}


async def account_link_create(request: web.Request) -> web.Response:
    data = await ls_server.get_post_data(request) or {}
    _check_known(
        data, {"account", "refresh_url", "return_url", "type", "collect", "collection_options"}
    )
    for name in ("account", "type"):
        if not data.get(name):
            raise UserError(400, f"Missing required param: {name}.", {"param": name})
    if data["type"] not in ("account_onboarding", "account_update"):
        raise UserError(400, "Invalid type", {"param": "type"})
    for name in ("refresh_url", "return_url"):
        if not str(data.get(name) or "").startswith("http"):
            raise UserError(
                400, f"Missing or invalid {name}: must be an http(s) URL", {"param": name}
            )
    Account._api_retrieve(data["account"])  # 404 if unknown
    token = secrets.token_urlsafe(16)
    created = int(time.time())
    _account_links[token] = {**data, "expires_at": created + ACCOUNT_LINK_TTL, "used": False}
    base = f"{request.scheme}://{request.host}"
    return _json(
        {
            "object": "account_link",
            "created": created,
            "expires_at": created + ACCOUNT_LINK_TTL,
            "url": f"{base}/_harness/connect/onboard/{token}",
        }
    )


async def account_onboard(request: web.Request) -> web.Response:
    """The 'hosted onboarding' page: the expert 'fills it in' by visiting it."""
    link = _account_links.get(request.match_info["token"])
    if link is None:
        raise web.HTTPNotFound()
    if link["used"] or time.time() > link["expires_at"]:
        raise web.HTTPFound(link["refresh_url"])
    link["used"] = True
    Account._api_retrieve(link["account"])._complete_onboarding()
    raise web.HTTPFound(link["return_url"])


# --- Transfers -------------------------------------------------------------------------------


class TransferReversal(ls.StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer, amount, metadata=None, description=None):
        super().__init__()
        self.transfer = transfer.id
        self.amount = amount
        self.currency = transfer.currency
        self.metadata = _metadata(metadata)
        self.description = description
        self.destination_payment_refund = "pyr_" + ls.random_id(14)
        txn = _balance_txn(
            amount=amount,
            currency=transfer.currency,
            type_="transfer_refund",
            source=self.id,
            description=f"Reversal of {transfer.id}",
        )
        self.balance_transaction = txn.id


class Transfer(ls.StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount=None,
        currency=None,
        destination=None,
        description=None,
        metadata=None,
        transfer_group=None,
        source_transaction=None,
        source_type=None,
        **kwargs,
    ):
        _check_known(kwargs, set())
        amount = _int(amount, "amount")
        if not isinstance(currency, str) or len(currency) != 3:
            raise UserError(400, "Missing required param: currency.", {"param": "currency"})
        currency = currency.lower()
        if not isinstance(destination, str) or not destination:
            raise UserError(400, "Missing required param: destination.", {"param": "destination"})
        account = ls.store.get("account:" + destination)
        if account is None:
            raise UserError(
                400,
                f"No such destination: '{destination}'",
                {"param": "destination", "code": "resource_missing"},
            )
        if account.capabilities.get("transfers") != "active":
            raise UserError(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                {"param": "destination"},
            )
        if source_transaction is not None:
            charge = ls.Charge._api_retrieve(source_transaction)
            if charge.currency.lower() != currency or amount > charge.amount:
                raise UserError(
                    400, "The transfer exceeds the source transaction.", {"param": "amount"}
                )
        elif available_balance(currency) < amount:
            raise UserError(
                400,
                "You have insufficient available funds in your Stripe account. Try adding funds "
                "directly to your available balance by creating Charges using the "
                "4000000000000077 test card.",
                {"code": "balance_insufficient"},
            )
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.destination = destination
        self.destination_payment = "py_" + ls.random_id(14)
        self.description = description
        self.metadata = _metadata(metadata)
        self.transfer_group = transfer_group
        self.source_transaction = source_transaction
        self.source_type = source_type or "card"
        self._reversals: list[str] = []
        txn = _balance_txn(
            amount=-amount,
            currency=currency,
            type_="transfer",
            source=self.id,
            description=description or f"Transfer to {destination}",
        )
        self.balance_transaction = txn.id
        schedule_webhook(ls.Event("transfer.created", self))

    @property
    def amount_reversed(self):
        return sum(ls.store["transfer_reversal:" + rid].amount for rid in self._reversals)

    @property
    def reversed(self):
        return self.amount_reversed >= self.amount

    @property
    def reversals(self):
        li = ls.List(f"/v1/transfers/{self.id}/reversals")
        li._list = [ls.store["transfer_reversal:" + rid] for rid in self._reversals]
        return li

    def _update(self, **data):
        _check_known(data, {"description", "metadata"})
        super()._update(**data)

    @classmethod
    def _api_list_all(
        cls,
        url,
        limit=None,
        starting_after=None,
        destination=None,
        transfer_group=None,
        created=None,
        **kwargs,
    ):
        _check_known(kwargs, set())
        li = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        if destination:
            li._list = [t for t in li._list if t.destination == destination]
        if transfer_group:
            li._list = [t for t in li._list if t.transfer_group == transfer_group]
        li._list.sort(key=lambda t: t.created, reverse=True)
        return li

    @classmethod
    def _api_delete(cls, id):
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_reverse(
        cls, id, amount=None, metadata=None, description=None, refund_application_fee=None, **kwargs
    ):
        _check_known(kwargs, set())
        transfer = cls._api_retrieve(id)
        remaining = transfer.amount - transfer.amount_reversed
        amount = remaining if amount is None else _int(amount, "amount")
        if amount > remaining:
            raise UserError(
                400,
                f"Amount ({amount}) is greater than the amount that can be reversed ({remaining}).",
                {"param": "amount"},
            )
        reversal = TransferReversal(transfer, amount, metadata=metadata, description=description)
        transfer._reversals.append(reversal.id)
        schedule_webhook(ls.Event("transfer.reversed", transfer))
        return reversal

    @classmethod
    def _api_list_reversals(cls, id, limit=None, starting_after=None, **kwargs):
        transfer = cls._api_retrieve(id)
        li = ls.List(f"/v1/transfers/{id}/reversals", limit=limit, starting_after=starting_after)
        li._list = [ls.store["transfer_reversal:" + rid] for rid in transfer._reversals]
        return li

    @classmethod
    def _api_retrieve_reversal(cls, id, reversal_id=None, **kwargs):
        transfer = cls._api_retrieve(id)
        if reversal_id not in transfer._reversals:
            raise UserError(404, "Not Found")
        return ls.store["transfer_reversal:" + reversal_id]


async def balance_retrieve(request: web.Request) -> web.Response:
    currencies = sorted(
        {obj.currency for key, obj in ls.store.items() if key.startswith("balance_transaction:")}
    ) or ["usd"]
    return _json(
        {
            "object": "balance",
            "livemode": False,
            "available": [
                {
                    "amount": available_balance(c),
                    "currency": c,
                    "source_types": {"card": available_balance(c)},
                }
                for c in currencies
            ],
            "pending": [
                {"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies
            ],
        }
    )


# --- PaymentIntent additions -----------------------------------------------------------------

ls.PaymentIntent.description = None
ls.PaymentIntent.automatic_payment_methods = None
ls.PaymentIntent.amount_received = property(  # type: ignore[attr-defined]
    lambda self: self.amount if self.status == "succeeded" else 0
)


async def payment_intent_create(request: web.Request) -> web.Response:
    data = await ls_server.get_post_data(request) or {}
    expand = data.pop("expand", None)
    description = data.pop("description", None)
    automatic = data.pop("automatic_payment_methods", None)
    pi = ls.PaymentIntent._api_create(**data)
    pi.description = description
    if automatic is not None:
        pi.automatic_payment_methods = {
            "enabled": ls.try_convert_to_bool(automatic.get("enabled")) is True,
            "allow_redirects": automatic.get("allow_redirects", "always"),
        }
    return _json(pi._export(expand=expand))


async def payment_intent_confirm(request: web.Request) -> web.Response:
    """Stripe accepts `payment_method` on confirm, also to retry after a declined attempt."""
    data = await ls_server.get_post_data(request) or {}
    expand = data.pop("expand", None)
    payment_method = data.pop("payment_method", None)
    data.pop("return_url", None)
    _check_known(data, {"off_session", "use_stripe_sdk", "client_secret"})
    pi = ls.PaymentIntent._api_retrieve(request.match_info["id"])
    if payment_method is not None:
        if pi.status not in ("requires_payment_method", "requires_confirmation"):
            raise UserError(
                400,
                f"You cannot confirm this PaymentIntent because it has a status of {pi.status}.",
                {"code": "payment_intent_unexpected_state"},
            )
        method = ls.PaymentMethod._api_retrieve(payment_method)
        pi.payment_method = method.id
        pi._authentication_failed = False
        if pi.latest_charge is not None and pi.latest_charge.status == "failed":
            pi.latest_charge = None  # a new attempt
    elif pi.status != "requires_confirmation":
        raise UserError(
            400,
            f"You cannot confirm this PaymentIntent because it has a status of {pi.status}.",
            {"code": "payment_intent_unexpected_state"},
        )
    pi._confirm(on_failure_now=pi._report_failure)
    return _json(pi._export(expand=expand))


# --- Idempotency keys ------------------------------------------------------------------------


class _Idempotency:
    def __init__(self):
        self.saved: dict[tuple[str, str], dict] = {}
        self.in_flight: set[tuple[str, str]] = set()

    def prune(self):
        cutoff = time.time() - IDEMPOTENCY_TTL
        for key in [k for k, v in self.saved.items() if v["at"] < cutoff]:
            del self.saved[key]


_idempotency = _Idempotency()


def _fingerprint(request: web.Request, body: bytes) -> str:
    if request.content_type == "application/json":
        try:
            params = json.dumps(json.loads(body or b"{}"), sort_keys=True)
        except ValueError:
            params = body.decode("utf-8", "replace")
    else:
        params = json.dumps(
            sorted(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        )
    return f"{request.method} {request.path} {params}"


def _saveable(status: int) -> bool:
    """Stripe saves the result once the endpoint started executing (successes, card errors,
    server errors), not validation failures or conflicts."""
    return status < 400 or status == 402 or status >= 500


@web.middleware
async def idempotency_middleware(request: web.Request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or request.path.startswith(("/_config/", "/_harness/")):
        return await handler(request)
    if len(key) > 255:
        return _error(
            400, "Idempotency keys are at most 255 characters long.", type_="idempotency_error"
        )
    scope = (ls_server.get_api_key(request) or "", key)
    fingerprint = _fingerprint(request, await request.read())
    _idempotency.prune()
    saved = _idempotency.saved.get(scope)
    if saved is not None:
        if saved["fingerprint"] != fingerprint:
            return _error(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type_="idempotency_error",
            )
        return web.Response(
            body=saved["body"],
            status=saved["status"],
            content_type="application/json",
            headers={"Idempotent-Replayed": "true", "Idempotency-Key": key},
        )
    if scope in _idempotency.in_flight:
        return _error(
            409,
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going through): "
            f"{key}. Please try again later.",
            type_="idempotency_error",
        )
    _idempotency.in_flight.add(scope)
    try:
        try:
            response = await handler(request)
        except UserError as exc:
            response = exc.to_response()
        if _saveable(response.status) and isinstance(response, web.Response):
            _idempotency.saved[scope] = {
                "fingerprint": fingerprint,
                "status": response.status,
                "body": response.body,
                "at": time.time(),
            }
        response.headers["Idempotency-Key"] = key
        return response
    finally:
        _idempotency.in_flight.discard(scope)


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if request.path.startswith("/_harness/"):  # the 'hosted' pages a browser visits
        return await handler(request)
    return await ls_server.auth_middleware(request, handler)


# --- the app ---------------------------------------------------------------------------------


def _flush_extensions() -> None:
    _account_links.clear()
    _idempotency.saved.clear()


async def flush(request: web.Request) -> web.Response:
    ls.store.clear()
    _flush_extensions()
    return web.Response()


def build_app() -> web.Application:
    """A fresh aiohttp app: our routes first (they take precedence), then localstripe's."""
    with warnings.catch_warnings():  # localstripe's handlers are plain functions
        warnings.simplefilter("ignore", DeprecationWarning)
        return _build_app()


def _build_app() -> web.Application:
    app = web.Application(
        middlewares=[ls_server.error_middleware, auth_middleware, idempotency_middleware]
    )
    app.on_response_prepare.append(ls_server.add_cors_headers)
    r = app.router
    r.add_post("/v1/payment_intents", payment_intent_create)
    r.add_post("/v1/payment_intents/{id}/confirm", payment_intent_confirm)
    r.add_get("/v1/balance", balance_retrieve)
    r.add_post("/v1/account_links", account_link_create)
    r.add_get("/_harness/connect/onboard/{token}", account_onboard)
    r.add_delete("/_config/data", flush)

    async def reverse(request):
        data = await ls_server.get_post_data(request) or {}
        expand = data.pop("expand", None)
        return _json(Transfer._api_reverse(request.match_info["id"], **data)._export(expand=expand))

    async def list_reversals(request):
        data = ls_server.unflatten_data(request.query)
        return _json(Transfer._api_list_reversals(request.match_info["id"], **data)._export())

    async def get_reversal(request):
        return _json(
            Transfer._api_retrieve_reversal(
                request.match_info["id"], reversal_id=request.match_info["reversal_id"]
            )._export()
        )

    r.add_post("/v1/transfers/{id}/reversals", reverse)
    r.add_get("/v1/transfers/{id}/reversals", list_reversals)
    r.add_get("/v1/transfers/{id}/reversals/{reversal_id}", get_reversal)
    for cls in (Account, Transfer):
        base = f"/v1/{cls.object}s"
        r.add_post(base, ls_server.api_create(cls, base))
        r.add_get(base + "/{id}", ls_server.api_retrieve(cls, base))
        r.add_post(base + "/{id}", ls_server.api_update(cls, base))
        r.add_delete(base + "/{id}", ls_server.api_delete(cls, base))
        r.add_get(base, ls_server.api_list_all(cls, base))
    for route in ls_server.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path and route.method != "HEAD":
            with contextlib.suppress(RuntimeError):  # ours (above) take precedence
                r.add_route(route.method, path, route.handler)
    return app


def _set_persistence(path: Path | None) -> None:
    """localstripe pickles its whole store to /tmp on every write; keep it in `path` or nowhere."""

    def dump() -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as f:
                pickle.dump(dict(ls.store), f, protocol=pickle.HIGHEST_PROTOCOL)

    def load() -> None:
        if path is not None and path.exists():
            with open(path, "rb") as f:
                ls.store.clear()
                ls.store.update(pickle.load(f))  # noqa: S301 - our own file

    ls.store.dump_to_disk = dump
    ls.store.try_load_from_disk = load


class LocalStripe:
    """localstripe + extensions in a background thread, listening on 127.0.0.1 only."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, persist: Path | None = None):
        self.host = host
        self.port = port
        self.persist = persist
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> LocalStripe:
        _set_persistence(self.persist)
        ls.store.try_load_from_disk()
        self._thread = threading.Thread(target=self._run, name="localstripe", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("localstripe did not start")
        if self._error:
            raise RuntimeError("localstripe failed to start") from self._error
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._runner = web.AppRunner(build_app(), access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, self.host, self.port)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
        for task in pending:  # undelivered webhooks
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def stop(self) -> None:
        if self._loop and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(timeout=10)

    def call(self, fn, *args):
        """Run fn(*args) on the server's loop thread (the store is not thread-safe)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(fn, *args), self._loop)
        return future.result(timeout=10)

    def configure_webhook(self, *, name: str, url: str, secret: str, events=None) -> None:
        self.call(register_webhook, name, url, secret, events)

    def remove_webhooks(self) -> None:
        from localstripe import webhooks

        self.call(webhooks._webhooks.clear)

    def flush(self) -> None:
        def _flush():
            ls.store.clear()
            _flush_extensions()

        self.call(_flush)


async def _as_coroutine(fn, *args):
    return fn(*args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--webhook-url", help="where to send signed webhooks")
    parser.add_argument("--webhook-secret", help="signing secret (default: STRIPE_WEBHOOK_SECRET)")
    parser.add_argument("--persist", type=Path, help="keep the store in this file across restarts")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    server = LocalStripe(host=args.host, port=args.port, persist=args.persist).start()
    if args.webhook_url:
        import os

        secret = args.webhook_secret or os.environ.get(
            "STRIPE_WEBHOOK_SECRET", "whsec_plumbline_localstripe_test"
        )
        server.configure_webhook(name="plumbline", url=args.webhook_url, secret=secret)
    print(f"localstripe (Plumbline harness) listening on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    # Re-import under the package name so pickled objects name importable classes.
    from payments.testing.localstripe_server import main as _main

    _main()
