"""Station configuration: one TOML file, typed settings declared once with their defaults.

Every setting is a dataclass field below; the TOML file mirrors the dataclass tree
(`[station]`, `[oms]`, `[devices.scanner]`, ...). Loading validates every key and type and
raises `ConfigError` whose message names the bad key in one line, e.g.
``config /etc/packstation.toml: devices.scale.kind: expected one of simulated, serial, none; got 'usb'``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import platformdirs

APP_NAME = "packstation"
CONFIG_ENV = "PACKSTATION_CONFIG"


STATION_ID_MAX = 64  # the OMS contract's limit for station_id
OMS_BATCH_MAX = 5000  # the OMS contract's limit for events in one batch


class ConfigError(ValueError):
    """A configuration problem, with a one-line message naming the key."""


@dataclass
class StationSettings:
    id: str = "ST-01"
    name: str = "Pack station 1"
    warehouse_tz: str = "Asia/Shanghai"  # day boundaries for "today" and reports; storage is always UTC
    language: Literal["en", "zh_CN"] = "en"
    kiosk: bool = False
    data_dir: str = ""  # empty: the platform's user data dir
    # minutes without a key, click or scan before the operator is logged out (their open orders kept); 0: never.
    # The last minute is counted down on screen. 15: a break is longer, packing one parcel is not.
    idle_logout_min: float = 15.0


@dataclass
class OmsSettings:
    url: str = "http://127.0.0.1:8765"
    token_file: str = ""  # file with the bearer token, must be mode 0600; empty: no token / keyring
    ca_bundle: str = ""  # custom CA bundle for TLS; empty: system defaults (verification stays on)
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    poll_interval_s: float = 60.0
    intercept_timeout_s: float = 2.0
    # events a request after an outage: 500 (~120-300 KB) drains a backlog in 2.5x fewer requests than 200 (fewer
    # to count against an OMS's rate limit; 100,000 events 12-25 % sooner against the reference OMS)
    batch_size: int = 500


@dataclass
class ScannerSettings:
    kind: Literal["wedge", "evdev", "serial", "simulated", "none"] = "wedge"
    device: str = ""  # evdev name/path or serial port
    baudrate: int = 9600
    prefix: str = ""
    suffix: str = ""
    max_key_gap_ms: float = 35.0  # scanners type a key every 2-15 ms; people rarely under 50 ms
    min_length: int = 4
    # what the scanner types for the GS1 separator (FNC1): "ctrl+]" (ASCII GS, always understood), a function key
    # ("f8") or one character the scanner is set to send instead (e.g. "~"); each becomes GS inside a scan
    gs_key: str = "ctrl+]"
    no_terminator_min_length: int = 6  # a burst without Enter/Tab this long is a scan ended by timeout; 0 = never
    double_read_ms: float = 150.0  # the same code again from this scanner within this time is one scan read twice


@dataclass
class CameraSettings:
    kind: Literal["opencv", "files", "none"] = "none"
    device: str = "0"  # camera index, video file or folder of images
    backend: Literal["zxing", "pyzbar"] = "zxing"
    width: int = 1280
    height: int = 720


@dataclass
class ScaleSettings:
    kind: Literal["serial", "simulated", "none"] = "simulated"
    device: str = ""
    baudrate: int = 9600
    protocol: Literal["continuous", "sics"] = "continuous"
    stable_readings: int = 3


@dataclass
class PrinterSettings:
    # tcp://HOST:PORT, usb://VID:PID, serial:///dev/ttyX, file:PATH, cups://QUEUE, simulated:, none:
    uri: str = "simulated:"
    profile: str = "default"  # python-escpos capability profile
    dots: int = 576  # printable width in dots: most Chinese 80 mm printers are 576, TM-T88V 512
    chinese: Literal["gb18030", "image"] = "gb18030"
    kind: Literal["receipt", "label"] = "receipt"


@dataclass
class DeviceSettings:
    scanner: ScannerSettings = field(default_factory=ScannerSettings)
    camera: CameraSettings = field(default_factory=CameraSettings)
    scale: ScaleSettings = field(default_factory=ScaleSettings)
    label_printer: PrinterSettings = field(default_factory=PrinterSettings)
    slip_printer: PrinterSettings = field(default_factory=lambda: PrinterSettings(kind="receipt"))


@dataclass
class SlaSettings:
    """Per-step targets in minutes (one brand's 48-hour promise, broken down)."""

    pick_min: float = 120.0
    verify_min: float = 30.0
    pack_min: float = 30.0
    weigh_min: float = 5.0
    label_min: float = 3.0


@dataclass
class WorkflowSettings:
    steps: list[str] = field(default_factory=lambda: ["pick", "verify", "pack", "weigh", "label"])
    weight_tolerance_pct: float = 5.0
    weight_tolerance_min_g: float = 20.0
    # how a bin label begins: such a code is a bin even when no line of the order is in it (then a wrong bin, not an
    # unknown barcode); the bins of the open orders are known without it
    bin_label_prefixes: list[str] = field(default_factory=lambda: ["BIN-"])


@dataclass
class Settings:
    station: StationSettings = field(default_factory=StationSettings)
    oms: OmsSettings = field(default_factory=OmsSettings)
    devices: DeviceSettings = field(default_factory=DeviceSettings)
    sla: SlaSettings = field(default_factory=SlaSettings)
    workflow: WorkflowSettings = field(default_factory=WorkflowSettings)
    source: str = ""  # where it was loaded from (not a TOML key)

    @property
    def data_dir(self) -> Path:
        return Path(self.station.data_dir or platformdirs.user_data_dir(APP_NAME))

    @property
    def db_path(self) -> Path:
        return self.data_dir / "station.sqlite3"


STEP_NAMES = ("pick", "verify", "pack", "weigh", "label")


def default_config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "station.toml"


def load(path: str | Path | None = None) -> Settings:
    """Load settings from `path` (or the default location). A missing default file gives defaults;
    a missing explicitly named file is an error."""
    explicit = path is not None
    p = Path(path) if path is not None else default_config_path()
    if not p.exists():
        if explicit:
            raise ConfigError(f"config {p}: file not found")
        return Settings(source="(defaults)")
    try:
        # utf-8-sig: a file saved by Windows Notepad begins with a byte-order mark, which TOML calls an "invalid
        # statement at line 1, column 1" (a technician sees nothing wrong on that line)
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {p}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion: a hostile file nests them deeper
        raise ConfigError(f"config {p}: not valid TOML: arrays or tables nested too deeply") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config {p}: cannot read: {exc}") from None
    settings = from_dict(data, where=str(p))
    settings.source = str(p)
    return settings


def from_dict(data: dict[str, Any], where: str = "config") -> Settings:
    try:
        settings = _build(Settings, data, prefix="")
    except ConfigError as exc:
        raise ConfigError(f"config {where}: {exc}") from None
    _validate(settings, where)
    return settings


def to_dict(settings: Settings) -> dict[str, Any]:
    d = dataclasses.asdict(settings)
    d.pop("source", None)
    return d


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or '(top)'}: expected a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{prefix}{key}: unknown setting (known: {', '.join(sorted(fields))})")
        kwargs[key] = _coerce(hints[key], value, f"{prefix}{key}")
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, key: str) -> Any:
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, prefix=key + ".")
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(f"{key}: expected one of {', '.join(map(str, allowed))}; got {value!r}")
        return value
    if origin is list:
        (item_tp,) = get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list; got {type(value).__name__}")
        return [_coerce(item_tp, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin in (types.UnionType, typing.Union):
        raise ConfigError(f"{key}: unsupported type")  # not used by any setting
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false; got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected a whole number; got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number; got {value!r}")
        # TOML has nan and inf, and a float beyond 1e308 reads as inf: no setting means either. NaN passed every
        # `x <= 0` check (a NaN poll interval polled the OMS without a pause; a NaN weight tolerance failed every
        # parcel), and inf made a timeout that no wait can take
        if not math.isfinite(value):
            raise ConfigError(f"{key}: expected a finite number; got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string; got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported type {tp}")


def _validate(s: Settings, where: str) -> None:
    def bad(key: str, msg: str) -> ConfigError:
        return ConfigError(f"config {where}: {key}: {msg}")

    if not s.station.id.strip():
        raise bad("station.id", "must not be empty")
    # what the OMS contract accepts (resources/openapi.yaml: station_id 1..64 characters); a longer id
    # would pass here and then have every event batch refused
    if len(s.station.id) > STATION_ID_MAX:
        raise bad("station.id", f"at most {STATION_ID_MAX} characters (the OMS refuses longer ids); "
                                f"got {len(s.station.id)}")
    if s.station.id != s.station.id.strip() or not s.station.id.isprintable():
        raise bad("station.id", f"no spaces around it and no control characters; got {s.station.id!r}")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(s.station.warehouse_tz)
    except Exception:
        raise bad("station.warehouse_tz", f"unknown time zone {s.station.warehouse_tz!r}") from None
    if not 0 <= s.station.idle_logout_min <= 24 * 60 or s.station.idle_logout_min != s.station.idle_logout_min:
        raise bad("station.idle_logout_min", f"expected 0..1440 minutes (0: never); got {s.station.idle_logout_min}")
    if not s.oms.url.startswith(("http://", "https://")):
        raise bad("oms.url", f"expected an http:// or https:// URL; got {s.oms.url!r}")
    # every wait of the sync takes these: above a day (1e308 passed, and a wait that long overflows) a worker thread
    # dies or a call never gives up; a poll more often than once a second is the polling that draws 429s
    for name, low, high in (("connect_timeout_s", 0, 600), ("read_timeout_s", 0, 3600),
                            ("intercept_timeout_s", 0, 600), ("poll_interval_s", 1, 86400)):
        value = getattr(s.oms, name)
        if value <= 0 or not low <= value <= high:
            raise bad(f"oms.{name}", f"expected {'more than 0' if low == 0 else low}..{high} seconds; got {value}")
    if not 1 <= s.oms.batch_size <= OMS_BATCH_MAX:
        raise bad("oms.batch_size", f"must be 1..{OMS_BATCH_MAX} (the OMS takes at most {OMS_BATCH_MAX} events "
                                    f"a batch); got {s.oms.batch_size}")
    unknown = [st for st in s.workflow.steps if st not in STEP_NAMES]
    if unknown:
        raise bad("workflow.steps", f"unknown step {unknown[0]!r} (known: {', '.join(STEP_NAMES)})")
    if not s.workflow.steps:  # an order with no step would be finished the moment it opened
        raise bad("workflow.steps", f"at least one step (known: {', '.join(STEP_NAMES)})")
    if len(set(s.workflow.steps)) != len(s.workflow.steps):
        twice = next(st for st in s.workflow.steps if s.workflow.steps.count(st) > 1)
        raise bad("workflow.steps", f"step {twice!r} is listed twice")
    # the weight check: a negative tolerance fails every parcel, one of 100 kg passes any parcel
    if not 0 <= s.workflow.weight_tolerance_pct <= 100:
        raise bad("workflow.weight_tolerance_pct", f"expected 0..100 %; got {s.workflow.weight_tolerance_pct}")
    if not 0 <= s.workflow.weight_tolerance_min_g <= 100_000:
        raise bad("workflow.weight_tolerance_min_g", f"expected 0..100000 g; got {s.workflow.weight_tolerance_min_g}")
    for pr in ("label_printer", "slip_printer"):
        p: PrinterSettings = getattr(s.devices, pr)
        if p.dots < 128 or p.dots > 2048:
            raise bad(f"devices.{pr}.dots", f"expected 128..2048 dots; got {p.dots}")
        if not any(p.uri.startswith(x) for x in ("tcp://", "usb://", "serial://", "file:", "cups://", "simulated:", "none:")):
            raise bad(f"devices.{pr}.uri", f"unsupported printer URI {p.uri!r}")
    gk = s.devices.scanner.gs_key.strip().lower()
    if not (gk == "ctrl+]" or (len(gk) == 1 and gk.isprintable() and not gk.isspace())
            or (gk[:1] == "f" and gk[1:].isdigit() and 1 <= int(gk[1:]) <= 12)):
        raise bad("devices.scanner.gs_key", f"expected ctrl+], f1..f12 or one character; got {s.devices.scanner.gs_key!r}")
    if s.devices.scanner.double_read_ms < 0 or s.devices.scanner.double_read_ms > 2000:
        raise bad("devices.scanner.double_read_ms", "expected 0..2000 ms")
    sc = s.devices.scanner
    # the key filter tells a scanner from a person by these: a gap of 0 or less takes no key as a scanner's
    if not 0 < sc.max_key_gap_ms <= 1000:
        raise bad("devices.scanner.max_key_gap_ms", f"expected more than 0..1000 ms; got {sc.max_key_gap_ms}")
    if not 1 <= sc.min_length <= 1000:
        raise bad("devices.scanner.min_length", f"expected 1..1000 characters; got {sc.min_length}")
    if not 0 <= sc.no_terminator_min_length <= 1000:
        raise bad("devices.scanner.no_terminator_min_length",
                  f"expected 0..1000 characters (0: never); got {sc.no_terminator_min_length}")
    for key, rate in (("scanner", sc.baudrate), ("scale", s.devices.scale.baudrate)):
        if not 0 < rate <= 4_000_000:
            raise bad(f"devices.{key}.baudrate", f"expected a serial speed such as 9600; got {rate}")
    if not 1 <= s.devices.scale.stable_readings <= 100:
        raise bad("devices.scale.stable_readings", f"expected 1..100 readings; got {s.devices.scale.stable_readings}")
    cam = s.devices.camera
    for name, value in (("width", cam.width), ("height", cam.height)):
        if not 1 <= value <= 10_000:
            raise bad(f"devices.camera.{name}", f"expected 1..10000 pixels; got {value}")
    for name in ("pick_min", "verify_min", "pack_min", "weigh_min", "label_min"):
        if not 0 < getattr(s.sla, name) <= 7 * 24 * 60:
            raise bad(f"sla.{name}", f"expected more than 0..{7 * 24 * 60} minutes (a week); got {getattr(s.sla, name)}")
