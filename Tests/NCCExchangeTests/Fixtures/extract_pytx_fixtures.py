#!/usr/bin/env python3
"""Writes the fixtures of this folder from pytx's own test data (facebook/ThreatExchange, commit baefb4ed).

Usage: extract_pytx_fixtures.py THREATEXCHANGE_CHECKOUT
Reads python-threatexchange/threatexchange/exchanges/clients/ncmec/tests/data.py and
.../stopncii/tests/test_api.py as text, runs only their sample-answer functions (no pytx import), and writes
the answers as files. The values are pytx's; nothing is copied from pytx's client code.
"""
import importlib.util, json, pathlib, re, sys, types

root = pathlib.Path(sys.argv[1]) / "python-threatexchange/threatexchange/exchanges/clients"
out = pathlib.Path(__file__).parent
spec = importlib.util.spec_from_file_location("data", root / "ncmec/tests/data.py")
data = importlib.util.module_from_spec(spec)
spec.loader.exec_module(data)
for name, file in [("ENTRIES_XML", "entries1.xml"), ("ENTRIES_XML2", "entries2.xml"), ("ENTRIES_XML3", "entries3.xml"),
                   ("ENTRIES_XML4", "entries4.xml"), ("ENTRIES_LARGE_FINGERPRINTS", "entries_large_fingerprints.xml"),
                   ("ENTRIES_NO_DATA_XML", "entries_no_data.xml"), ("FEEDBACK_REASONS_XML", "feedback_reasons.xml")]:
    (out / "ncmec" / file).write_text(getattr(data, name) + "\n")

src = (root / "stopncii/tests/test_api.py").read_text()
ns = {"StopNCIIEndpoint": types.SimpleNamespace(FetchHashes="FetchHashes")}
exec(src[src.index("PAGE_TOKEN = ("):src.index("@pytest.fixture")], ns)
exec(src[src.index("def mock_get_impl_error_enum"):src.index("def test_mocked_get_hashes_with_undefined_enum")], ns)
pages = [(ns["mock_get_impl"]("FetchHashes"), "fetch_page1.json"),
         (ns["mock_get_impl"]("FetchHashes", nextPageToken=ns["PAGE_TOKEN"]), "fetch_page2.json"),
         (ns["mock_get_impl_error_enum"]("FetchHashes"), "fetch_undefined_enum.json")]
for page, file in pages:
    (out / "stopncii" / file).write_text(json.dumps(page, indent=2) + "\n")
tail = src[src.index("def mock_submit_feedback_post_impl"):]
expected = eval(re.search(r"desired_json = (\{.*?\n    \})\n", tail, re.S).group(1))
(out / "stopncii/submit_feedback_expected.json").write_text(json.dumps(expected, indent=2) + "\n")
