"""Android API 35's signatures, from the ``chaquopy-stubs-android`` package (``.pyi`` files, from the package
registry), and the members a compiled class uses or declares (``javap``), in one comparable form.

A member is ``(name, parameter types)`` with Java binary type names: ``int``, ``boolean``,
``java.lang.String``, ``android.app.Notification$Builder``, ``java.lang.String[]``; constructors are named
``<init>``. The ``.pyi`` files carry names and types, not constant values.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.android_build.p4a import cache_dir, locked

#: The stubs of API 35 (``35.*``; the ``36.*`` line is API 36, the newest the registry has).
STUBS_VERSION = "35.20260406"
PRIMITIVES = {"jint": "int", "jboolean": "boolean", "jlong": "long", "jdouble": "double", "jfloat": "float",
              "jshort": "short", "jbyte": "byte", "jchar": "char"}
DESCRIPTOR_PRIMITIVES = {"I": "int", "Z": "boolean", "J": "long", "D": "double", "F": "float", "S": "short",
                         "B": "byte", "C": "char", "V": "void"}
Member = tuple[str, tuple[str, ...]]


def fetch_stubs(version: str = STUBS_VERSION) -> Path:
    """The unpacked ``chaquopy-stubs-android`` (cached)."""
    target = cache_dir() / f"chaquopy-stubs-android-{version}"
    with locked(cache_dir() / f"chaquopy-stubs-android-{version}.lock"):
        if not (target / "android-stubs").is_dir():
            proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                   "--no-deps", "--target", str(target), f"chaquopy-stubs-android=={version}"],
                                  capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"pip could not fetch chaquopy-stubs-android {version}:\n{proc.stderr[-2000:]}")
    return target


@dataclass
class ClassInfo:
    """One class: its supertypes and members (``static`` marks static ones)."""

    name: str
    bases: list[str] = field(default_factory=list)
    methods: dict[Member, bool] = field(default_factory=dict)  # member -> static
    fields: dict[str, bool] = field(default_factory=dict)  # name -> static


class ApiIndex:
    """The classes of the stubs, loaded one package (``.pyi`` file) at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._packages: dict[str, dict[str, ClassInfo]] = {}

    def get(self, binary: str) -> ClassInfo | None:
        """The class ``android.app.Notification$Builder`` (binary name), or None if the API has none."""
        package = binary.rsplit(".", 1)[0]
        return self._package(package).get(binary)

    def has_member(self, binary: str, member: Member) -> bool:
        """Whether ``binary`` or one of its supertypes declares ``member`` (constructors: only ``binary``)."""
        return any(member in info.methods for info in self._lineage(binary, member[0] != "<init>"))

    def has_field(self, binary: str, name: str) -> bool:
        """Whether ``binary`` or a supertype declares the field ``name``."""
        return any(name in info.fields for info in self._lineage(binary, True))

    def member_names(self, binary: str) -> set[str]:
        """Every method and field name of ``binary`` and its supertypes."""
        return {n for info in self._lineage(binary, True) for n in (*{m for m, _ in info.methods}, *info.fields)}

    def _lineage(self, binary: str, inherited: bool) -> list[ClassInfo]:
        seen, todo, out = set(), [binary], []
        while todo:
            name = todo.pop(0)
            if name in seen:
                continue
            seen.add(name)
            info = self.get(name)
            if info is None:
                continue
            out.append(info)
            if inherited:
                todo.extend([*info.bases, "java.lang.Object"])
        return out

    def _package(self, package: str) -> dict[str, ClassInfo]:
        if package not in self._packages:
            top, *rest = package.split(".")
            path = self.root / f"{top}-stubs" / Path(*rest) / "__init__.pyi" if rest else \
                self.root / f"{top}-stubs" / "__init__.pyi"
            self._packages[package] = _parse(path.read_text(), package) if path.exists() else {}
        return self._packages[package]


def _parse(text: str, package: str) -> dict[str, ClassInfo]:
    tree = ast.parse(text)
    top = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    classes: dict[str, ClassInfo] = {}

    def visit(node: ast.ClassDef, binary: str) -> None:
        info = ClassInfo(binary, [b for b in (_type(base, package, top) for base in node.bases) if b])
        for item in node.body:
            if isinstance(item, ast.ClassDef):
                visit(item, f"{binary}${item.name}")
            elif isinstance(item, ast.FunctionDef):
                static = any(_dotted(d) == "staticmethod" for d in item.decorator_list)
                params = [*item.args.posonlyargs, *item.args.args][0 if static else 1:]
                types = [_type(p.annotation, package, top) for p in params]
                if item.args.vararg is not None:
                    types.append(_type(item.args.vararg.annotation, package, top) + "[]")
                name = "<init>" if item.name == "__init__" else item.name
                info.methods[(name, tuple(types))] = static
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                info.fields[item.target.id] = _dotted(getattr(item.annotation, "value", None)) == "typing.ClassVar"
        classes[binary] = info

    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            visit(node, f"{package}.{node.name}")
    return classes


def _dotted(node: ast.AST | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _type(node: ast.AST | None, package: str, top: set[str]) -> str:
    """A ``.pyi`` annotation as a Java binary type name."""
    if isinstance(node, ast.BinOp):  # int | java.jint | java.lang.Integer: the primitive, else the Java type
        options = _union(node)
        for option in options:
            dotted = _dotted(option)
            if dotted.startswith("java.j") and dotted[5:] in PRIMITIVES:
                return PRIMITIVES[dotted[5:]]
        java = [o for o in options if _dotted(o) not in ("int", "bool", "float", "str", "bytes", "None", "")]
        return _type(java[0], package, top) if java else _type(options[0], package, top)
    if isinstance(node, ast.Subscript):
        outer = _dotted(node.value)
        if outer == "java.chaquopy.JavaArray":
            return _type(node.slice, package, top) + "[]"
        if outer == "typing.Type":
            return "java.lang.Class"
        if outer == "typing.ClassVar":
            return _type(node.slice, package, top)
        return _type(node.value, package, top)
    dotted = _dotted(node)
    builtin = {"str": "java.lang.String", "bool": "boolean", "int": "int", "float": "double"}
    if dotted in builtin:
        return builtin[dotted]
    if not dotted or dotted.startswith("_") or dotted in ("typing.Generic", "typing.Any"):
        return "java.lang.Object" if dotted.startswith("_") or dotted == "typing.Any" else ""
    if dotted.startswith("java.j") and dotted[5:] in PRIMITIVES:
        return PRIMITIVES[dotted[5:]]
    parts = dotted.split(".")
    if parts[0] in top:
        return f"{package}.{'$'.join(parts)}"
    first_class = next((i for i, part in enumerate(parts) if part[:1].isupper()), None)
    if first_class is None:
        raise ValueError(f"cannot read the type {dotted!r} in {package}")
    return ".".join(parts[:first_class]) + "." + "$".join(parts[first_class:])


def _union(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union(node.left), *_union(node.right)]
    return [node]


# -- compiled classes ------------------------------------------------------------------------------------------
def descriptor_types(descriptor: str) -> tuple[tuple[str, ...], str]:
    """``(ILandroid/app/Notification;)V`` -> ``(("int", "android.app.Notification"), "void")``; a field
    descriptor gives ``((), type)``."""
    types, i = [], 0
    inner, _, returned = descriptor.partition(")") if descriptor.startswith("(") else ("(", "", descriptor)
    body = inner[1:]
    while i < len(body):
        dims = 0
        while body[i] == "[":
            dims, i = dims + 1, i + 1
        if body[i] == "L":
            end = body.index(";", i)
            name, i = body[i + 1:end].replace("/", "."), end + 1
        else:
            name, i = DESCRIPTOR_PRIMITIVES[body[i]], i + 1
        types.append(name + "[]" * dims)
    returned_type = descriptor_types(f"({returned})")[0][0] if returned and returned != "V" else "void"
    return tuple(types), returned_type


@dataclass
class CompiledClass:
    """A class file as ``javap`` shows it: its superclass, its members and the members it references."""

    name: str
    superclass: str | None
    public: bool
    methods: dict[Member, bool] = field(default_factory=dict)  # member -> static
    fields: dict[str, bool] = field(default_factory=dict)
    references: set[tuple[str, str, str]] = field(default_factory=set)  # (owner, name, descriptor)


_HEADER = re.compile(r"^(?P<mods>[\w ]*?)\b(class|interface) (?P<name>[\w.$]+)(?: extends (?P<super>[\w.$]+))?")
_REF = re.compile(r"= (?:Methodref|Fieldref|InterfaceMethodref)\s+#\d+\.#\d+\s+// (?P<owner>[\w/$]+)\."
                  r"(?P<name>\"?<?[\w$]+>?\"?):(?P<desc>\S+)")


def javap(classpath: Path, names: list[str], *, public_only: bool) -> dict[str, CompiledClass]:
    """The classes ``names`` on ``classpath`` (declared members; references too unless ``public_only``)."""
    args = ["javap", "-cp", str(classpath), "-s", "-public" if public_only else "-p"]
    if not public_only:
        args.append("-v")
    out = subprocess.run([*args, *names], capture_output=True, text=True, check=True, timeout=300).stdout
    classes: dict[str, CompiledClass] = {}
    current: CompiledClass | None = None
    pending: str | None = None
    for line in out.splitlines():
        header = _HEADER.match(line) if not line.startswith(" ") else None
        if header:
            name = header["name"]
            current = classes[name] = CompiledClass(name, header["super"], "public" in header["mods"].split())
            continue
        if current is None:
            continue
        ref = _REF.search(line)
        if ref:
            current.references.add((ref["owner"].replace("/", "."), ref["name"].strip('"'), ref["desc"]))
            continue
        stripped = line.strip()
        if line.startswith("  ") and not line.startswith("   ") and stripped.endswith(";") and "descriptor" not in line:
            pending = stripped
        elif stripped.startswith("descriptor:") and pending is not None:
            _add_member(current, pending, stripped.split(":", 1)[1].strip())
            pending = None
    return classes


def _add_member(cls: CompiledClass, declaration: str, descriptor: str) -> None:
    static = " static " in f" {declaration} "
    if "(" in declaration:
        name = declaration.split("(")[0].split()[-1]
        name = "<init>" if name == cls.name else name
        cls.methods[(name, descriptor_types(descriptor)[0])] = static
    else:
        cls.fields[declaration.rstrip(";").split()[-1]] = static


def class_names(classes_dir: Path, prefix: str = "") -> list[str]:
    """Binary names of the class files under ``classes_dir`` whose name starts with ``prefix``."""
    names = [str(p.relative_to(classes_dir).with_suffix("")).replace("/", ".") for p in classes_dir.rglob("*.class")]
    return sorted(n for n in names if n.startswith(prefix))
