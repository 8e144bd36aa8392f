"""The developer tools CI relies on: pip's sources passed on to uv (`tools/uv_args.py`, used by `.ci/setup` and the
wheel test), and the test order from measured durations (`tools/test_durations.py`, `conftest.longest_first`)."""
import sys
from types import SimpleNamespace
from conftest import ROOT, longest_first

sys.path.insert(0, str(ROOT/"tools"))
import test_durations, uv_args  # noqa: E402

PIP_CONFIG = """:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/pip/constraints.txt'
global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'
global.find-links='/opt/wheels'
user.index-url='https://mirror.example/simple'
"""

def test_uv_gets_pips_sources_once_each_and_pips_version_choice():
    args = uv_args.uv_args(PIP_CONFIG)
    assert args == ["--find-links", "/opt/wheels", "--constraint", "/etc/pip/constraints.txt",
                    "--extra-index-url", "file:///opt/a/simple", "--extra-index-url", "file:///opt/b/simple",
                    "--index-url", "https://mirror.example/simple", "--index-strategy", "unsafe-best-match"]
    assert uv_args.uv_args("") == ["--index-strategy", "unsafe-best-match"]      # no pip settings: uv's defaults

LOG = """============================= slowest durations =============================
12.50s call     tests/test_a.py::test_long
0.50s setup    tests/test_a.py::test_long
3.00s call     tests/test_b.py::test_x[p1]
0.01s teardown tests/test_b.py::test_x[p1]
=========================== 2 passed in 16.2s ===========================
"""

def test_durations_add_setup_call_and_teardown_and_order_the_tests():
    seconds = test_durations.durations(LOG)
    assert seconds == {"tests/test_a.py::test_long": 13.0, "tests/test_b.py::test_x[p1]": 3.01}
    items = [SimpleNamespace(nodeid=n) for n in ("tests/test_b.py::test_x[p1]", "tests/test_new.py::test_new",
                                                 "tests/test_a.py::test_long@some-group")]
    assert [i.nodeid for i in longest_first(items, seconds)] == [
        "tests/test_a.py::test_long@some-group", "tests/test_b.py::test_x[p1]", "tests/test_new.py::test_new"]
