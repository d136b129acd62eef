"""Configuration: typed, defaulted, and a bad key is one clear line, not a traceback."""

import json

import pytest

from app import config
from app.config import ConfigError
from tests.conftest import run_cli


def test_missing_default_file_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv(config.CONFIG_ENV, str(tmp_path / "nope.toml"))
    s = config.load()
    assert s.station.id == "ST-01"
    assert s.devices.label_printer.dots == 576
    assert s.sla.label_min == 3.0


def test_values_from_file_are_typed(tmp_path):
    p = tmp_path / "st.toml"
    p.write_text('[station]\nid = "PK-07"\nlanguage = "zh_CN"\n[sla]\npick_min = 90\n'
                 '[devices.scale]\nkind = "serial"\ndevice = "/dev/ttyUSB0"\n', encoding="utf-8")
    s = config.load(p)
    assert s.station.id == "PK-07"
    assert s.station.language == "zh_CN"
    assert s.sla.pick_min == 90.0 and isinstance(s.sla.pick_min, float)
    assert s.devices.scale.kind == "serial"
    assert s.devices.scanner.kind == "wedge"  # untouched default


@pytest.mark.parametrize(
    "toml, key",
    [
        ('[station]\nidd = "x"\n', "station.idd"),
        ('[devices.scale]\nkind = "usb"\n', "devices.scale.kind"),
        ('[oms]\nread_timeout_s = "fast"\n', "oms.read_timeout_s"),
        ('[oms]\nurl = "ftp://oms"\n', "oms.url"),
        ('[station]\nwarehouse_tz = "Mars/Olympus"\n', "station.warehouse_tz"),
        ('[workflow]\nsteps = ["pick", "dance"]\n', "workflow.steps"),
        ('[devices.label_printer]\ndots = 12\n', "devices.label_printer.dots"),
        ('[station]\nkiosk = "yes"\n', "station.kiosk"),
    ],
)
def test_bad_setting_names_the_key(tmp_path, toml, key):
    p = tmp_path / "st.toml"
    p.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config.load(p)
    assert key in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_config_on_the_command_line_is_one_line_not_a_traceback(tmp_path):
    p = tmp_path / "st.toml"
    p.write_text('[devices.scale]\nkind = "usb"\n', encoding="utf-8")
    r = run_cli("--config", str(p), "config", "check")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "devices.scale.kind" in lines[0]
    assert "Traceback" not in r.stderr


def test_broken_toml_is_reported(tmp_path):
    p = tmp_path / "st.toml"
    p.write_text("[station\nid=", encoding="utf-8")
    r = run_cli("--config", str(p), "config", "check")
    assert r.returncode == 2 and "not valid TOML" in r.stderr and "Traceback" not in r.stderr


def test_config_init_writes_a_file_that_loads_back(tmp_path):
    p = tmp_path / "new.toml"
    r = run_cli("config", "init", str(p))
    assert r.returncode == 0, r.stderr
    s = config.load(p)
    assert s.station.id == "ST-01" and s.workflow.steps == ["pick", "verify", "pack", "weigh", "label"]


@pytest.mark.parametrize("sid, ok", [("S" * 64, True), ("S" * 65, False), ("站" * 65, False), (" ST-1", False),
                                     ("ST\x07-1", False), ("包装台-1", True)])
def test_config_check_refuses_a_station_id_the_oms_would_refuse(tmp_path, sid, ok):
    # a 65-character id used to pass here, and then the OMS refused every event batch of the station
    p = tmp_path / "st.toml"
    p.write_text(f"[station]\nid = {json.dumps(sid)}\n", encoding="utf-8")
    r = run_cli("--config", str(p), "config", "check")
    if ok:
        assert r.returncode == 0, r.stderr
        return
    assert r.returncode == 2
    assert "station.id" in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_config_check_refuses_a_batch_size_the_oms_would_refuse(tmp_path):
    p = tmp_path / "st.toml"
    p.write_text("[oms]\nbatch_size = 5001\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="oms.batch_size"):
        config.load(p)


@pytest.mark.parametrize(
    "toml, key",
    [
        # NaN passed every `x <= 0` check: the pull polled the OMS without a pause
        ("[oms]\npoll_interval_s = nan\n", "oms.poll_interval_s"),
        # inf and a float beyond what a wait can take: the pull thread died of OverflowError, no pick list came again
        ("[oms]\npoll_interval_s = inf\n", "oms.poll_interval_s"),
        ("[oms]\npoll_interval_s = 1e308\n", "oms.poll_interval_s"),
        ("[oms]\npoll_interval_s = 0.01\n", "oms.poll_interval_s"),
        ("[oms]\nconnect_timeout_s = nan\n", "oms.connect_timeout_s"),
        ("[oms]\nread_timeout_s = 1e300\n", "oms.read_timeout_s"),
        ("[oms]\nintercept_timeout_s = -inf\n", "oms.intercept_timeout_s"),
        # the weight check: NaN failed every parcel, inf passed any parcel
        ("[workflow]\nweight_tolerance_pct = nan\n", "workflow.weight_tolerance_pct"),
        ("[workflow]\nweight_tolerance_pct = -5\n", "workflow.weight_tolerance_pct"),
        ("[workflow]\nweight_tolerance_min_g = inf\n", "workflow.weight_tolerance_min_g"),
        ("[workflow]\nweight_tolerance_min_g = 1e9\n", "workflow.weight_tolerance_min_g"),
        ("[workflow]\nsteps = []\n", "workflow.steps"),
        ('[workflow]\nsteps = ["pick", "pack", "pick"]\n', "workflow.steps"),
        ("[sla]\npick_min = nan\n", "sla.pick_min"),
        ("[sla]\nlabel_min = 1e300\n", "sla.label_min"),
        # the key filter: no key is ever a scanner's, every scan typed into the focused field
        ("[devices.scanner]\nmax_key_gap_ms = nan\n", "devices.scanner.max_key_gap_ms"),
        ("[devices.scanner]\nmax_key_gap_ms = -1\n", "devices.scanner.max_key_gap_ms"),
        ("[devices.scanner]\nmin_length = -3\n", "devices.scanner.min_length"),
        ("[devices.scanner]\nno_terminator_min_length = -1\n", "devices.scanner.no_terminator_min_length"),
        ("[devices.scanner]\ndouble_read_ms = nan\n", "devices.scanner.double_read_ms"),
        ("[devices.scanner]\nbaudrate = -9600\n", "devices.scanner.baudrate"),
        ("[devices.scale]\nbaudrate = 0\n", "devices.scale.baudrate"),
        ("[devices.scale]\nstable_readings = 0\n", "devices.scale.stable_readings"),
        ("[devices.camera]\nwidth = -1\n", "devices.camera.width"),
    ],
)
def test_a_number_no_station_can_work_with_is_refused_by_name(tmp_path, toml, key):
    p = tmp_path / "st.toml"
    p.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config.load(p)
    assert key in str(e.value) and "\n" not in str(e.value)


def test_the_defaults_and_sensible_edges_still_load(tmp_path):
    p = tmp_path / "st.toml"
    p.write_text("[oms]\npoll_interval_s = 1\nread_timeout_s = 3600\n[workflow]\nweight_tolerance_pct = 0\n"
                 'weight_tolerance_min_g = 0\nsteps = ["pack"]\n[devices.scanner]\nno_terminator_min_length = 0\n'
                 "[devices.scale]\nstable_readings = 1\n", encoding="utf-8")
    s = config.load(p)
    assert s.oms.poll_interval_s == 1.0 and s.workflow.steps == ["pack"]
    config.from_dict(config.to_dict(config.Settings()))


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path):
    """Windows Notepad saves UTF-8 with a byte-order mark: the station refused the file with "not valid TOML: Invalid
    statement (at line 1, column 1)", a line that looks fine."""
    p = tmp_path / "st.toml"
    p.write_bytes(b"\xef\xbb\xbf" + '[station]\r\nid = "ST-9"\r\nname = "包装台 9"\r\n'.encode())
    s = config.load(p)
    assert s.station.id == "ST-9" and s.station.name == "包装台 9"


def test_a_toml_file_nested_too_deeply_is_one_line_not_a_traceback(tmp_path):
    p = tmp_path / "st.toml"
    p.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    r = run_cli("--config", str(p), "config", "check")
    assert r.returncode == 2 and "not valid TOML" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
