"""The attach API's one schema: snapshots, deltas, traces and actions as JSON, validated by pydantic.

The served core and the attached window speak the same frozen dataclasses the window already
reads (`CoreSnapshot` and what it holds), so there is no second model of the core to drift from
the first: pydantic builds the schema from those dataclasses, serialises them on the server and
validates them on the client. Field names stay the dataclasses' own (snake_case); the envelope
adds camelCase summaries for readers that only want the headline (`tradingState`, `identity`, and
`trading`: the window's trading badge in words, "PAUSED: exchange_info open" while a breaker forces
a pause whatever `tradingState` says).
Actions are a pydantic union discriminated by `type`; a body that does not match is a 400 that
says which field and why.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar, get_type_hints

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from perps_desktop.app.snapshot import CoreSnapshot
from perps_desktop.app.timeline import TimelineData
from perps_desktop.core.caching import CacheStats
from perps_desktop.core.models import ActionReport, Trace, TracePage, TraceQuery, TradingState
from perps_desktop.core.pauses import trading_words

__all__ = [
    "ACTION_TYPES",
    "API_VERSION",
    "ActionRequest",
    "ActionResult",
    "StoryQuery",
    "TimelineQuery",
    "WireError",
    "apply_delta",
    "decode_snapshot",
    "delta_json",
    "encode_event",
    "envelope_json",
    "page_from_wire",
    "page_to_wire",
    "parse_action",
    "parse_query",
    "parse_trace_query",
    "report_from_wire",
    "shorten",
    "snapshot_json",
    "timeline_from_wire",
    "timeline_to_wire",
    "trace_from_wire",
]

API_VERSION = 1
_Q = TypeVar("_Q", bound=BaseModel)


class WireError(ValueError):
    """A body or query that does not match the schema; the message names the field and the reason."""


_JSON = ConfigDict(ser_json_inf_nan="strings")        # a histogram's +Inf bound travels as "Infinity"


class _Field:
    """One value's schema. Wrapped in a 1-tuple so the JSON config reaches the dataclasses inside
    (pydantic takes no config for a dataclass itself)."""

    __slots__ = ("ta",)

    def __init__(self, tp: Any) -> None:
        self.ta: TypeAdapter[Any] = TypeAdapter(tuple[tp], config=_JSON)
        self.ta.rebuild(_types_namespace={"CacheStats": CacheStats})   # models.py imports it for type checkers

    def dump(self, value: Any) -> bytes:
        return self.ta.dump_json((value,))[1:-1]

    def load(self, raw: Any) -> Any:
        return self.ta.validate_python((raw,))[0]


_SNAPSHOT = _Field(CoreSnapshot)
_FIELDS: dict[str, _Field] = {
    name: _Field(tp) for name, tp in get_type_hints(CoreSnapshot, localns={"CacheStats": CacheStats}).items()}


# A trace on the wire: every field but the in-process handle (`story`) and the stored blob (the
# payload travels decoded).
_TRACE_WIRE = dataclasses.make_dataclass(
    "TraceWire", [(f.name, get_type_hints(Trace)[f.name], f) for f in dataclasses.fields(Trace)
                  if f.name not in ("story", "payload_blob")], frozen=True, kw_only=True)
_PAGE: TypeAdapter[Any] = TypeAdapter(list[_TRACE_WIRE])  # type: ignore[valid-type]
_QUERY = TypeAdapter(TraceQuery)


def shorten(address: str | None) -> str:
    """0x1234…abcd: enough to tell accounts apart, not the whole address on every screen."""
    return f"{address[:6]}…{address[-4:]}" if address and len(address) > 12 else (address or "")


def _message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        where = ".".join(str(p) for p in e.get("loc", ())) or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


# --- snapshots ---------------------------------------------------------------------------------
def snapshot_json(snap: CoreSnapshot) -> bytes:
    """Every field of the snapshot, as JSON."""
    return _SNAPSHOT.dump(snap)


def decode_snapshot(data: Any) -> CoreSnapshot:
    """A snapshot from its decoded JSON (`snapshot_json`), validated."""
    try:
        return _SNAPSHOT.load(data)
    except ValidationError as exc:
        raise WireError(f"snapshot: {_message(exc)}") from None


def envelope_json(snap: CoreSnapshot, bot: str, **extra: Any) -> bytes:
    """GET /api/v1/snapshot: the headline (who, where, trading state) and the whole snapshot."""
    risk = snap.risk
    head = {**extra, "apiVersion": API_VERSION, "bot": bot,
            "identity": {"mode": snap.mode, "network": snap.network, "account": shorten(snap.address)},
            "tradingState": risk.trading_state.value if risk is not None else None,
            "trading": trading_words(risk.trading_state.value, snap.pause_reason) if risk is not None else None}
    return orjson.dumps(head)[:-1] + b',"snapshot":' + snapshot_json(snap) + b"}"


def delta_json(old: CoreSnapshot, new: CoreSnapshot) -> bytes:
    """The fields of `new` that differ from `old`, as one JSON object (`{}` when none do)."""
    parts = []
    for name, f in _FIELDS.items():
        value = getattr(new, name)
        if value is not getattr(old, name) and value != getattr(old, name):
            parts.append(b'"' + name.encode() + b'":' + f.dump(value))
    return b"{" + b",".join(parts) + b"}"


def apply_delta(base: CoreSnapshot, changed: dict[str, Any]) -> CoreSnapshot:
    """`base` with the changed fields validated and put in (only those fields are decoded)."""
    values: dict[str, Any] = {}
    for name, raw in changed.items():
        f = _FIELDS.get(name)
        if f is None:
            continue                    # a newer server's field: ignored, not an error
        try:
            values[name] = f.load(raw)
        except ValidationError as exc:
            raise WireError(f"snapshot.{name}: {_message(exc)}") from None
    return dataclasses.replace(base, **values)


def encode_event(topic: str, event: object) -> dict[str, Any]:
    return {"topic": topic, "event": to_jsonable_python(event, fallback=str)}


# --- traces --------------------------------------------------------------------------------------
def page_to_wire(page: TracePage, decode: Any) -> dict[str, Any]:
    """A page of traces; `decode` reads a trace's payload from its stored blob (`store.decode_payload`)."""
    rows = []
    for t in page.traces:
        payload = t.payload if t.payload is not None or t.payload_blob is None else decode(t)
        rows.append({f.name: (payload if f.name == "payload" else getattr(t, f.name))
                     for f in dataclasses.fields(_TRACE_WIRE)})
    return {"traces": to_jsonable_python(rows), "offset": page.offset, "limit": page.limit, "total": page.total}


def trace_from_wire(raw: Any) -> Trace:
    try:
        (w,) = _PAGE.validate_python([raw])
    except ValidationError as exc:
        raise WireError(f"trace: {_message(exc)}") from None
    return Trace(**{f.name: getattr(w, f.name) for f in dataclasses.fields(w)})


def page_from_wire(data: Any) -> TracePage:
    try:
        rows = _PAGE.validate_python(data["traces"])
        return TracePage(traces=tuple(Trace(**{f.name: getattr(w, f.name) for f in dataclasses.fields(w)})
                                      for w in rows),
                         offset=int(data["offset"]), limit=int(data["limit"]), total=data.get("total"))
    except ValidationError as exc:
        raise WireError(f"traces: {_message(exc)}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"traces: {exc}") from None


_REPORT = TypeAdapter(ActionReport)


def report_from_wire(raw: Any) -> ActionReport:
    try:
        return _REPORT.validate_python(raw)
    except ValidationError as exc:
        raise WireError(f"report: {_message(exc)}") from None


def parse_trace_query(params: dict[str, str]) -> TraceQuery:
    """GET /api/v1/traces?symbol=&kind=&strategy=&bot=&text=&since_ms=&until_ms=&limit=&offset="""
    allowed = {f.name for f in dataclasses.fields(TraceQuery)}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise WireError(f"unknown query parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    try:
        q = _QUERY.validate_python(dict(params))
    except ValidationError as exc:
        raise WireError(_message(exc)) from None
    if not 0 < q.limit <= 1000 or q.offset < 0:
        raise WireError("limit: 1 to 1000; offset: 0 or more")
    return q


# --- the timeline dock ---------------------------------------------------------------------------
class TimelineQuery(BaseModel):
    """GET /api/v1/timeline?symbol=&since_ms=&until_ms="""

    model_config = ConfigDict(extra="forbid", frozen=True)
    symbol: str = Field(min_length=1, max_length=32)
    since_ms: int = Field(ge=0)
    until_ms: int = Field(ge=0)


class StoryQuery(BaseModel):
    """GET /api/v1/story?what=position|fill|order&symbol=&key=&time_ms="""

    model_config = ConfigDict(extra="forbid", frozen=True)
    what: Literal["position", "fill", "order"]
    symbol: str = Field(min_length=1, max_length=32)
    key: int | None = None
    time_ms: int | None = None


def parse_query(model: type[_Q], params: dict[str, str]) -> _Q:
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise WireError(_message(exc)) from None


def timeline_to_wire(data: TimelineData, decode: Any) -> dict[str, Any]:
    page = page_to_wire(TracePage(traces=data.traces, offset=0, limit=len(data.traces)), decode)
    return {"symbol": data.symbol, "since_ms": data.since_ms, "until_ms": data.until_ms,
            "mids": [list(m) for m in data.mids], "traces": page["traces"], "truncated": data.truncated}


def timeline_from_wire(raw: Any) -> TimelineData:
    try:
        traces = page_from_wire({"traces": raw["traces"], "offset": 0, "limit": len(raw["traces"])}).traces
        return TimelineData(symbol=str(raw["symbol"]), since_ms=int(raw["since_ms"]), until_ms=int(raw["until_ms"]),
                            mids=tuple((int(t), float(px)) for t, px in raw["mids"]), traces=traces,
                            truncated=bool(raw.get("truncated")))
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"timeline: {exc}") from None


# --- actions -------------------------------------------------------------------------------------
class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClosePosition(_Action):
    type: Literal["closePosition"]
    symbol: str = Field(min_length=1, max_length=32)


class ReducePosition(_Action):
    type: Literal["reducePosition"]
    symbol: str = Field(min_length=1, max_length=32)
    fraction: float = Field(gt=0, le=1)
    size: Decimal | None = Field(None, gt=0)


class CancelOrder(_Action):
    type: Literal["cancelOrder"]
    symbol: str = Field(min_length=1, max_length=32)
    oid: int = Field(ge=0)


class CancelAll(_Action):
    type: Literal["cancelAll"]


class FlattenAll(_Action):
    type: Literal["flattenAll"]


class SetTradingState(_Action):
    type: Literal["setTradingState"]
    state: TradingState
    reason: str = Field("set over the API", max_length=500)


class ResetBreaker(_Action):
    type: Literal["resetBreaker"]
    name: str = Field(min_length=1, max_length=100)


class ForceOpenBreaker(_Action):
    type: Literal["forceOpenBreaker"]
    name: str = Field(min_length=1, max_length=100)


class RunRecovery(_Action):
    type: Literal["runRecovery"]


ActionRequest = Annotated[
    ClosePosition | ReducePosition | CancelOrder | CancelAll | FlattenAll | SetTradingState | ResetBreaker
    | ForceOpenBreaker | RunRecovery, Field(discriminator="type")]
_ACTION: TypeAdapter[Any] = TypeAdapter(ActionRequest)
ACTION_TYPES = ("closePosition", "reducePosition", "cancelOrder", "cancelAll", "flattenAll", "setTradingState",
                "resetBreaker", "forceOpenBreaker", "runRecovery")


def parse_action(raw: bytes | str) -> ActionRequest:
    try:
        return _ACTION.validate_json(raw)
    except ValidationError as exc:
        raise WireError(_message(exc)) from None


class ActionResult(BaseModel):
    """POST /api/v1/actions answer: the core's report (None for a state change) or why it failed."""

    model_config = ConfigDict(frozen=True)
    ok: bool
    report: dict[str, Any] | None = None
    error: str | None = None
    replayed: bool = False              # the same idempotency key was seen: this is the first answer again
