"""The refusals the services can give, and the notes they give besides, read from their
source with ``ast``: what ``tests/test_refusals.py`` holds against the Chinese catalogue
(``dashboards.i18n.refusals``).

A message is found where it is made: the text given to ``NoacError``, the reason of a
``RowError``, the message of a ``routing.graph.RoutingIssue``, and a text (or a
``(field, reason)`` pair's field and reason) put in a list named ``...errors``; a note, in
what an import's summary is given (``summary.note(...)``) and a text put in a list named
``...notes`` or in a list of such a table (``notes[unit].append(...)``).

So is each part of it that is made elsewhere, followed from the message: a variable (the
texts assigned to it, or given it by a loop over a tuple written out, or the values of the
table it is looked up in: ``what = DESCRIPTIONS[action]``), a parameter (what the calls of
the function give for it), a call of a function of the modules read (the texts it returns
that hold a word: a reason from ``validation.check_text``, not a month from
``periods.next_month``; each item of a list it returns), and the items of a list of reasons
joined with ``"; "``.

A message is told by its shape: its text with each placeholder written ``{}``. A choice
between texts (``"a" if x else "b"``) gives a message for each.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

# modules whose refusals reach the command line only, with the reason
CLI_ONLY = {
    "noac/cli.py": "the command line's own options and files",
    "noac/backup.py": "backups are made and restored with noac backup and noac restore",
    "noac/bench.py": "measurements run with noac bench",
    "noac/bench_browser.py": "measurements run with noac bench",
    "noac/generate.py": "synthetic plants are written with noac generate",
    "noac/demo.py": "the demo plant is built with noac demo",
    "noac/app_server.py": "the app is started with noac serve or noac demo",
    "noac/scheme.py": "a scheme file is read by noac scheme set (and the default one shipped)",
    "noac/services/events.py": "production logs are imported with noac import events only",
}
# the argument that holds the text: its position and its keyword
MESSAGE_ARGUMENTS = {
    "NoacError": (0, None),
    "RowError": (2, "reason"),
    "RoutingIssue": (3, "message"),
}
WORD = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True)
class Text:
    """A text as the source writes it, its placeholders as their expressions
    (``unknown unit '{row['unit']}'``), and its shape (``unknown unit '{}'``)."""

    shown: str
    shape: str


@dataclass(frozen=True)
class Found:
    """A message, or a part of one, and where it is made (``noac/services/plants.py:34``)."""

    text: Text
    where: str


def _joined(parts: Iterable[Text]) -> Text:
    """Texts one after the other; placeholders next to each other are one in the shape."""
    parts = list(parts)
    shape = "".join(p.shape for p in parts)
    while "{}{}" in shape:
        shape = shape.replace("{}{}", "{}")
    return Text("".join(p.shown for p in parts), shape)


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def modules() -> list[Path]:
    """The modules whose refusals can reach a page of the app."""
    paths = [*(ROOT / "noac").rglob("*.py"), *(ROOT / "routing").rglob("*.py")]
    return sorted(
        path for path in paths if "migrations" not in path.parts and _name(path) not in CLI_ONLY
    )


class _Source:
    """The modules read: their trees, their module-level values, their functions and calls."""

    def __init__(self, paths: list[Path]):
        self.trees = {_name(path): ast.parse(path.read_text()) for path in paths}
        self.paths = {id(tree): path for path, tree in self.trees.items()}
        self.constants: dict[str, ast.expr] = {}  # NAME = "text" or {...} at a module's top
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        self.calls: dict[str, list[ast.Call]] = {}
        self.parents: dict[ast.AST, ast.AST] = {}
        self.returned: set[int] = set()  # the texts a function returns
        for tree in self.trees.values():
            for node in tree.body:
                if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            self.constants[target.id] = node.value
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[child] = node
                if isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, []).append(node)
                elif isinstance(node, ast.Call) and (name := _called(node)):
                    self.calls.setdefault(name, []).append(node)

    def texts(self, node: ast.expr) -> list[Text]:
        """The texts ``node`` can be, a placeholder for each part that is not a text."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [Text(node.value, node.value)]
        if isinstance(node, ast.FormattedValue):
            if _textual(node.value):
                return self.texts(node.value)
            return [Text("{" + ast.unparse(node.value) + "}", "{}")]
        if isinstance(node, ast.JoinedStr):
            return [_joined(p) for p in itertools.product(*map(self.texts, node.values))]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _textual(node):
            return [
                _joined(p) for p in itertools.product(*map(self.texts, (node.left, node.right)))
            ]
        if isinstance(node, ast.IfExp):
            return self.texts(node.body) + self.texts(node.orelse)
        constant = self.constants.get(node.id) if isinstance(node, ast.Name) else None
        if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
            return [Text(constant.value, constant.value)]
        return [Text("{" + ast.unparse(node) + "}", "{}")]

    def where(self, node: ast.expr) -> str:
        module: ast.AST = node
        while module in self.parents:
            module = self.parents[module]
        return f"{self.paths[id(module)]}:{node.lineno}"

    def parts(self, node: ast.expr) -> Iterator[ast.expr]:
        """The parts of a message made of ``node`` that are made elsewhere."""
        function = self.parents.get(node)
        while function is not None and not isinstance(function, ast.FunctionDef):
            function = self.parents.get(function)
        for piece in _pieces(node):
            if isinstance(piece, ast.Call) and _called(piece) in self.functions:
                for defined in self.functions[_called(piece)]:
                    for value in _returned(defined):
                        self.returned.add(id(value))
                        yield value
            elif isinstance(piece, ast.Name) and _is_phrase(self.constants.get(piece.id)):
                yield self.constants[piece.id]  # a text named at a module's top
            elif isinstance(piece, ast.Name) and function is not None:
                yield from self._variable(function, piece.id)

    def _variable(self, function: ast.FunctionDef, name: str) -> Iterator[ast.expr]:
        """What the variable or parameter ``name`` of ``function`` can hold."""
        for inner in ast.walk(function):
            value = _assigned(inner, name)
            table = None
            if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
                table = self.constants.get(value.value.id)
            if isinstance(table, ast.Dict):
                yield from table.values
            elif isinstance(value, ast.Call) or (value is not None and _textual(value)):
                yield value
            if isinstance(inner, ast.For) and isinstance(inner.iter, ast.Tuple | ast.List):
                yield from _looped(inner, name)
        positional = [a.arg for a in function.args.args]
        for call in self.calls.get(function.name, []):
            given = [k.value for k in call.keywords if k.arg == name]
            if name in positional and positional.index(name) < len(call.args):
                given.append(call.args[positional.index(name)])
            yield from (g for g in given if _textual(g) or isinstance(g, ast.Name))


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _pieces(node: ast.expr) -> Iterator[ast.expr]:
    """``node`` and the expressions a text made of it is put together from."""
    yield node
    if isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                yield from _pieces(value.value)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _pieces(node.left)
        yield from _pieces(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _pieces(node.body)
        yield from _pieces(node.orelse)
    elif (
        isinstance(node, ast.Call)
        and _called(node) == "join"
        and isinstance(node.func.value, ast.Constant)
        and node.func.value.value == "; "
        and node.args
    ):  # a list of reasons kept in a variable (one made here is found by _joined_items)
        yield from _pieces(node.args[0])


def _returned(function: ast.FunctionDef) -> Iterator[ast.expr]:
    """What ``function`` returns: each value, each item of a tuple or a list returned (written
    out or made by a comprehension)."""
    for inner in ast.walk(function):
        if isinstance(inner, ast.Return) and inner.value is not None:
            value = inner.value
            for item in value.elts if isinstance(value, ast.Tuple) else [value]:
                if isinstance(item, ast.List):
                    yield from item.elts
                elif isinstance(item, ast.ListComp):
                    yield item.elt
                else:
                    yield item


def _assigned(node: ast.AST, name: str) -> ast.expr | None:
    """The value ``node`` assigns to the variable ``name`` (alone or among others)."""
    if isinstance(node, ast.Assign):
        targets = [e for t in node.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node.value
    elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
        if isinstance(node.target, ast.Name) and node.target.id == name:
            return node.value
    return None


def _looped(loop: ast.For, name: str) -> Iterator[ast.expr]:
    """The values a ``for`` loop over a tuple written out gives the variable ``name``."""
    target = loop.target
    for item in loop.iter.elts:
        if isinstance(target, ast.Name) and target.id == name:
            yield item
        elif isinstance(target, ast.Tuple) and isinstance(item, ast.Tuple):
            for variable, value in zip(target.elts, item.elts, strict=False):
                if isinstance(variable, ast.Name) and variable.id == name:
                    yield value


def _message_list(node: ast.expr) -> bool:
    """A list of errors or of notes (``errors``, ``plan_errors``, ``notes``), or one list of a
    table of them (``notes[unit]``)."""
    if isinstance(node, ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name) and node.id.endswith(("errors", "notes"))


def _items(node: ast.expr) -> Iterator[ast.expr]:
    """The texts of an item of a list of errors: a text, or a pair's field and reason."""
    yield from node.elts if isinstance(node, ast.Tuple) else [node]


def _listed(node: ast.expr) -> Iterator[ast.expr]:
    """The items of a list of errors written out or made by a comprehension."""
    if isinstance(node, ast.List):
        for item in node.elts:
            yield from _items(item)
    elif isinstance(node, ast.ListComp):
        yield from _items(node.elt)


def _made(tree: ast.AST) -> Iterator[ast.expr]:
    """The expressions a module makes its messages of."""
    for node in ast.walk(tree):
        called = _called(node) if isinstance(node, ast.Call) else None
        if called in MESSAGE_ARGUMENTS:
            index, keyword = MESSAGE_ARGUMENTS[called]
            if index < len(node.args):
                yield node.args[index]
            yield from (k.value for k in node.keywords if keyword and k.arg == keyword)
        elif called == "append" and _message_list(node.func.value) and node.args:
            yield from _items(node.args[0])
        elif called == "note" and node.args:  # the notes an import's summary is given
            yield node.args[0]
        elif isinstance(node, ast.AugAssign) and _message_list(node.target):
            yield from _listed(node.value)
        elif isinstance(node, ast.Assign) and any(map(_message_list, node.targets)):
            yield from _listed(node.value)


def _joined_items(node: ast.expr) -> Iterator[ast.expr]:
    """The item of each list of reasons made and joined with ``"; "`` in ``node``."""
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Call)
            and _called(inner) == "join"
            and isinstance(inner.func.value, ast.Constant)
            and inner.func.value.value == "; "
            and inner.args
            and isinstance(inner.args[0], ast.GeneratorExp | ast.ListComp)
        ):
            yield inner.args[0].elt


def _is_text(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_phrase(node: ast.expr | None) -> bool:
    """A text of several words: one word named at a module's top (``HANDLING = "handling"``)
    is a value a message quotes as it is."""
    return _is_text(node) and " " in node.value


def _textual(node: ast.expr) -> bool:
    """Whether ``node`` is a text: a string, an f-string, texts added, a choice of texts."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _textual(node.left) or _textual(node.right)
    if isinstance(node, ast.IfExp):
        return _textual(node.body) or _textual(node.orelse)
    return isinstance(node, ast.JoinedStr) or _is_text(node)


def refusals(paths: list[Path] | None = None) -> list[Found]:
    """Every message, and every part of one, that the modules (``modules()`` unless given)
    refuse with; a placeholder alone (a message made elsewhere) is found where it is made."""
    source = _Source(modules() if paths is None else paths)
    found: dict[str, Found] = {}
    todo = [node for tree in source.trees.values() for node in _made(tree)]
    seen: set[int] = set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for text in source.texts(node):
            worded = id(node) not in source.returned or WORD.search(text.shape)
            if text.shape.strip(" {}") and worded:
                found.setdefault(text.shape, Found(text, source.where(node)))
        todo += _joined_items(node)
        todo += source.parts(node)
    return sorted(found.values(), key=lambda f: (f.where, f.text.shape))
