import subprocess
import sys


def test_matcher_imports_nothing_from_the_api_layer():
    probe = (
        "import sys, matcher, matcher.ranking; "
        "print(sorted(m for m in sys.modules if m == 'api' or m.startswith('api.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
