"""Every Android class, method, field and constructor the bridge's Java and pyjnius code use exists, with that
signature, in API 35 (``chaquopy-stubs-android`` 35.*); so do the members of the stub ``android.*`` classes the
JVM tests run on, so what passes there was called with Android's own signatures."""

from __future__ import annotations

import ast
import re

import pytest

from android_bridge.android_main import ACTIVITY_CLASS
from android_bridge.android_main import SERVICE_CLASS as GENERATED_SERVICE
from android_bridge.platform.android import JAVA_CLASSES, SERVICE_CLASS
from tests.android_build import api35, p4a
from tests.android_jvm.conftest import STUBS

#: Java members reached from Python that are not Android's: pyjnius' own and java.lang's.
PYJNIUS_AND_JDK = {"getClass", "getName", "getSuperclass", "getAbsolutePath"}


@pytest.fixture(scope="module")
def api() -> api35.ApiIndex:
    return api35.ApiIndex(api35.fetch_stubs())




@pytest.fixture(scope="module")
def classes(tool, spec, tmp_path_factory):
    """The app's service Java (generated, p4a's, ours) and the stubs, compiled."""
    tmp = tmp_path_factory.mktemp("api35")
    dist = p4a.render_dist(tool, spec, tmp / "dist", byte_compile=False)
    return p4a.compile_java(tmp / "classes", [*p4a.app_java_sources(tool, dist, spec), *sorted(STUBS.rglob("*.java"))])


def test_the_stubs_are_those_of_the_spec_api_level(spec):
    assert api35.STUBS_VERSION.split(".")[0] == spec["android.api"] == "35"


def test_every_stub_member_exists_in_api_35(api, classes):
    stubs = api35.javap(classes, api35.class_names(classes, "android."), public_only=True)
    problems = []
    for name, cls in stubs.items():
        real = api.get(name)
        if not cls.public:
            continue
        if real is None:
            problems.append(f"class {name} is not in API 35")
            continue
        for member, static in cls.methods.items():
            if not api.has_member(name, member):
                problems.append(f"{name}.{member[0]}({', '.join(member[1])}) is not in API 35")
            elif member[0] != "<init>" and _static(api, name, member) != static:
                problems.append(f"{name}.{member[0]}: static in one, not the other")
        problems += [f"field {name}.{f} is not in API 35" for f in cls.fields if not api.has_field(name, f)]
    assert not problems, "\n".join(problems)


def _static(api: api35.ApiIndex, name: str, member: api35.Member) -> bool:
    return next(info.methods[member] for info in api._lineage(name, True) if member in info.methods)


def test_every_android_member_our_java_and_p4a_java_reference_exists_in_api_35(api, classes, tool):
    """Member references in the bytecode of the generated service, p4a's PythonService and our Java (what a
    real android.jar must resolve when the APK is built)."""
    ours = api35.javap(classes, [*api35.class_names(classes, "org.fmtcnb."), "org.kivy.android.PythonService"],
                       public_only=False)
    p4a_sources = {path.stem: path.read_text() for path in (p4a.p4a_tree(tool) / "bootstraps").rglob("*.java")}
    checked, problems = set(), []
    for cls in ours.values():
        for owner, name, descriptor in cls.references:
            params = api35.descriptor_types(descriptor)[0]
            target = _declaring(ours, owner, name, params, descriptor)
            if target.startswith("java."):
                continue
            checked.add((target, name, descriptor))
            if target.startswith("android."):
                found = api.has_field(target, name) if not descriptor.startswith("(") else \
                    api.has_member(target, (name, params))
                if not found:
                    problems.append(f"{cls.name} uses {target}.{name}{descriptor}, not in API 35")
            elif target.startswith("org.kivy.android.") and name != "<init>":  # p4a classes stubbed in tests
                source = p4a_sources.get(target.rsplit(".", 1)[1], "")
                if not re.search(rf"\b{re.escape(name)}\b\s*[(;=]", source):
                    problems.append(f"{cls.name} uses {target}.{name}, which p4a's source does not declare")
    assert not problems, "\n".join(problems)
    assert ("android.app.Service", "stopForeground", "(I)V") in checked
    assert ("android.os.Process", "killProcess", "(I)V") in checked, "p4a's onDestroy ends the process"
    assert len(checked) > 40


def _declaring(ours: dict[str, api35.CompiledClass], owner: str, name: str, params: tuple[str, ...],
               descriptor: str) -> str:
    """The class that declares the referenced member: ``owner`` itself, or for our classes the first superclass
    declaring it (javac names the receiver's static type), ending in an Android class."""
    while owner in ours:
        cls = ours[owner]
        declared = (name, params) in cls.methods if descriptor.startswith("(") else name in cls.fields
        if declared or cls.superclass is None:
            return owner
        owner = cls.superclass
    return owner


def test_every_class_pyjnius_loads_exists(api, classes, tool):
    compiled = set(api35.class_names(classes, "org.fmtcnb."))
    p4a_classes = {p.stem for p in (p4a.p4a_tree(tool) / "bootstraps").rglob("*.java")}
    for name in {*JAVA_CLASSES, SERVICE_CLASS, GENERATED_SERVICE, ACTIVITY_CLASS}:
        if name.startswith("android."):
            assert api.get(name) is not None, f"{name} is not in API 35"
        elif name.startswith("org.kivy.android."):
            assert name.rsplit(".", 1)[1] in p4a_classes, f"{name} is not a p4a class"
        else:
            assert name in compiled, f"{name} is not compiled from our Java or p4a's template"


def test_every_java_member_name_pyjnius_touches_exists(api, classes, tool):
    """Attribute names in the adapter and the app's entry point that look like Java (camelCase, CONSTANTS,
    mFields) are members of a class the adapter loads (API 35, p4a's sources, or our Java)."""
    universe = set(PYJNIUS_AND_JDK)
    # and the types the adapter meets through those: a wake lock, a builder, PythonActivity's superclass
    for name in (*JAVA_CLASSES, "android.os.PowerManager$WakeLock", "android.app.Notification$Builder",
                 "android.app.Activity"):
        if name.startswith("android."):
            universe |= api.member_names(name)
    for cls in api35.javap(classes, api35.class_names(classes, "org.fmtcnb."), public_only=False).values():
        universe |= {m for m, _ in cls.methods} | set(cls.fields)
    for path in (p4a.p4a_tree(tool) / "bootstraps").rglob("PythonService.java"):
        universe |= set(re.findall(r"public (?:static )?[\w.<>\[\]]+ (\w+)\s*[(;=]", path.read_text()))
    activity = p4a.webview_activity_java(tool).read_text()
    assert "public class PythonActivity extends Activity" in activity
    universe |= set(re.findall(r"public (?:static )?[\w.<>\[\]]+ (\w+)\s*[(;=]", activity))
    used = set()
    for module in ("platform/android.py", "android_main.py"):
        tree = ast.parse((p4a.REPO / "android_bridge" / module).read_text())
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                 and re.fullmatch(r"m[A-Z]\w*|[a-z]+[A-Z]\w*|[A-Z][A-Z0-9]*_[A-Z0-9_]+|SDK_INT|RELEASE|MODEL", n.attr)}
    assert {"startForeground", "newWakeLock", "FOREGROUND_SERVICE_TYPE_DATA_SYNC", "mService", "loadUrl"} <= used
    missing = sorted(used - universe)
    assert not missing, f"not members of any class the adapter loads: {missing}"
