import ast
from pathlib import Path

import geo

GEO_SOURCES = sorted(Path(geo.__file__).parent.glob("*.py"))


def test_geo_imports_nothing_from_the_api_or_the_matching_engine() -> None:
    for source in GEO_SOURCES:
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] not in {"api", "matcher"}, f"{source.name}: {module}"


def test_the_package_re_exports_its_main_names() -> None:
    for name in geo.__all__:
        assert getattr(geo, name) is not None
    assert {"Point", "geodesic_km", "geodesic_km_exact", "radius_bounding_boxes"} <= set(
        geo.__all__
    )
