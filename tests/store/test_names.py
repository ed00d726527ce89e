"""Store names: anything a file system would reject, or that escapes the root, is refused in one sentence."""

import pytest

from fmtc_nb.errors import StoreError
from fmtc_nb.store import check_name


@pytest.mark.parametrize("name", ["", "  ", "a/b", "a\\b", "..", "../x", "a..b", "a:b", "a*b", 'a"b', "a<b", "a|b",
                                  "a?b", "tab\there", "nul\x00", "CON", "com1.x", "trailing.", " lead", ".hidden",
                                  "x" * 201, None, 3])
def test_bad_names_are_refused_with_one_sentence(name):
    with pytest.raises(StoreError) as info:
        check_name(name)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message


@pytest.mark.parametrize("name", ["osm", "Norway z0-14", "carte-été", "a.b", "地图", "x" * 200])
def test_good_names_pass(name):
    assert check_name(name) == name
