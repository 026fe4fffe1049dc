"""Is a new version of a JSON Schema backward compatible with the old one?

Compatible means a reader built from the new schema still accepts, and reads the same way,
every document valid under the old one: consumers can upgrade and replay everything
already published. So these are breaking, each reported as a sentence naming the JSON path
(`$.decision.body.kind`, `$.items[*]`) of the value in the document:

- a property removed;
- a type changed or narrowed (null no longer accepted, a format, pattern or bound added or
  tightened, ...);
- a new required property, or an optional property made required;
- an enum value removed, a const changed;
- `additionalProperties` tightened;
- a default changed (documents without the property would read differently).

New optional properties, new enum values, widened types and documentation (`title`,
`description`, `examples`) are compatible.

The checker understands what pydantic generates: `type`, `properties`, `required`,
`additionalProperties`, `items`, `enum`, `const`, `default`, `anyOf`/`oneOf`, a single
`allOf`, local `$ref`s (`#/$defs/...`), `format`, `pattern` and the numeric, length and size
bounds. Other keywords are ignored.
"""

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

Schema = Mapping[str, Any]

__all__ = ["Schema", "incompatibilities"]


def incompatibilities(old: Schema, new: Schema) -> list[str]:
    """Every way in which `new` breaks documents valid under `old`; empty if compatible."""
    return _compare(old, new, "$", _Context(old_root=old, new_root=new, in_progress=frozenset()))


class _Context(NamedTuple):
    old_root: Schema
    new_root: Schema
    in_progress: frozenset[tuple[int, int]]
    """Pairs of `properties` maps being compared further up: recursive schemas stop there."""


# --- Comparing values ----------------------------------------------------------------------


def _compare(old_node: Any, new_node: Any, path: str, context: _Context) -> list[str]:
    """Compare two subschemas describing the value at `path`."""
    old_branches = _branches(old_node, context.old_root)
    new_branches = _branches(new_node, context.new_root)
    problems: list[str] = []
    for old in old_branches:
        candidates = [new for new in new_branches if _accepts_kind(new, old)]
        if not candidates:
            old_text, new_text = _describe(old_branches), _describe(new_branches)
            problems.insert(0, f"{path} changed type from {old_text} to {new_text}.")
            continue
        closest = min((_compare_branch(old, new, path, context) for new in candidates), key=len)
        problems.extend(closest)
    return [*_compare_defaults(old_branches, new_branches, path), *_unique(problems)]


def _unique(problems: list[str]) -> list[str]:
    return list(dict.fromkeys(problems))


def _compare_branch(old: Schema, new: Schema, path: str, context: _Context) -> list[str]:
    """Compare two alternatives of the same kind (`type`)."""
    problems = [*_compare_allowed_values(old, new, path), *_compare_restrictions(old, new, path)]
    kind = _kind(old)
    if kind == "object":
        problems += _compare_objects(old, new, path, context)
    elif kind == "array":
        problems += _compare(old.get("items", {}), new.get("items", {}), f"{path}[*]", context)
    return problems


def _compare_defaults(old: list[Schema], new: list[Schema], path: str) -> list[str]:
    old_default, new_default = _default(old), _default(new)
    if old_default is _NONE or new_default is _NONE or old_default == new_default:
        return []
    return [f"{path} default changed from {_show(old_default)} to {_show(new_default)}."]


def _compare_allowed_values(old: Schema, new: Schema, path: str) -> list[str]:
    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if new_values is None:
        return []
    if old_values is None:
        return [f"{path} was narrowed: it now only accepts {_show_all(new_values)}."]
    if "const" in old and "const" in new and old["const"] != new["const"]:
        return [f"{path} const changed from {_show(old['const'])} to {_show(new['const'])}."]
    removed = [value for value in old_values if value not in new_values]
    if removed:
        return [f"{path} no longer accepts the enum value(s) {_show_all(removed)}."]
    return []


_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_EXACT_RULES = ("format", "pattern", "multipleOf")


def _compare_restrictions(old: Schema, new: Schema, path: str) -> list[str]:
    return [f"{path} was narrowed: {change}." for change in _narrowings(old, new)]


def _narrowings(old: Schema, new: Schema) -> Iterator[str]:
    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            yield f"{key} {_raised_or_added(old, key)} {_show(new[key])}"
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            yield f"{key} {_lowered_or_added(old, key)} {_show(new[key])}"
    for key in _EXACT_RULES:
        if key in new and old.get(key) != new[key]:
            yield f"{key} {_changed_or_added(old, key)} {_show(new[key])}"
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        yield "items must now be unique"


def _raised_or_added(old: Schema, key: str) -> str:
    return f"raised from {_show(old[key])} to" if key in old else "added:"


def _lowered_or_added(old: Schema, key: str) -> str:
    return f"lowered from {_show(old[key])} to" if key in old else "added:"


def _changed_or_added(old: Schema, key: str) -> str:
    return f"changed from {_show(old[key])} to" if key in old else "added:"


# --- Comparing objects ---------------------------------------------------------------------


def _compare_objects(old: Schema, new: Schema, path: str, context: _Context) -> list[str]:
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    pair = (id(old_properties), id(new_properties))
    if pair in context.in_progress:
        return []
    inner = context._replace(in_progress=context.in_progress | {pair})
    return [
        *_compare_properties(old_properties, new_properties, path, inner),
        *_compare_required(old, new, path),
        *_compare_additional_properties(old, new, path, inner),
    ]


def _compare_properties(old: Schema, new: Schema, path: str, context: _Context) -> Iterator[str]:
    for name, old_property in old.items():
        if name not in new:
            yield f"Property {_child(path, name)} was removed."
        else:
            yield from _compare(old_property, new[name], _child(path, name), context)


def _compare_required(old: Schema, new: Schema, path: str) -> Iterator[str]:
    was_required = set(old.get("required", []))
    for name in new.get("required", []):
        if name in was_required:
            continue
        if name in old.get("properties", {}):
            yield f"Optional property {_child(path, name)} became required."
        else:
            yield f"New property {_child(path, name)} is required."


def _compare_additional_properties(
    old: Schema, new: Schema, path: str, context: _Context
) -> list[str]:
    old_rule = _additional_properties(old)
    new_rule = _additional_properties(new)
    if new_rule is True or old_rule is False:
        return []
    if new_rule is False:
        return [f"{path} tightened additionalProperties: unknown properties are now refused."]
    if old_rule is True:
        return [f"{path} tightened additionalProperties: unknown properties must now match."]
    return _compare(old_rule, new_rule, _child(path, "*"), context)


def _additional_properties(schema: Schema) -> Any:
    rule = schema.get("additionalProperties", True)
    return True if rule == {} else rule


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if name.isidentifier() or name == "*" else f"{path}[{name!r}]"


# --- Reading schemas -----------------------------------------------------------------------


def _branches(node: Any, root: Schema) -> list[Schema]:
    """The alternatives a subschema accepts, `$ref`s resolved and unions flattened.

    `True` accepts anything (one branch without constraints); `False` accepts nothing.
    Keywords next to a union (`default`, `description`) stay on each alternative.
    """
    if node is True or node is False:
        return [{}] if node else []
    schema = _resolve(node, root)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            siblings = {key: value for key, value in schema.items() if key != union}
            return [
                branch
                for option in schema[union]
                for branch in _branches(_merged(option, siblings, root), root)
            ]
    types = schema.get("type")
    if isinstance(types, list):
        return [{**schema, "type": one} for one in types]
    return [schema]


def _merged(option: Any, siblings: Schema, root: Schema) -> Any:
    if option is True or option is False:
        return option
    return {**siblings, **_resolve(option, root)}


def _resolve(schema: Schema, root: Schema) -> Schema:
    """Follow `$ref`s and unwrap a single `allOf`, keeping the keywords written next to them."""
    for _ in range(100):
        if "$ref" in schema:
            target, key = _follow(schema["$ref"], root), "$ref"
        elif len(schema.get("allOf", ())) == 1:
            target, key = _resolve(schema["allOf"][0], root), "allOf"
        else:
            return schema
        schema = {**target, **{name: value for name, value in schema.items() if name != key}}
    raise ValueError("circular $ref")


def _follow(reference: str, root: Schema) -> Schema:
    if not reference.startswith("#"):
        raise ValueError(f"only local $refs are supported, not {reference!r}")
    node: Any = root
    for part in reference.removeprefix("#").split("/")[1:]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, Mapping):
        raise ValueError(f"$ref {reference!r} does not point to a schema")
    return node


def _kind(schema: Schema) -> str:
    """The JSON type a branch accepts, or `any`."""
    if isinstance(schema.get("type"), str):
        return str(schema["type"])
    values = _allowed_values(schema)
    if values:
        kinds = {_json_type(value) for value in values}
        return kinds.pop() if len(kinds) == 1 else "any"
    if "properties" in schema:
        return "object"
    return "array" if "items" in schema else "any"


def _accepts_kind(new: Schema, old: Schema) -> bool:
    new_kind, old_kind = _kind(new), _kind(old)
    return new_kind in (old_kind, "any") or (new_kind, old_kind) == ("number", "integer")


def _allowed_values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    return list(schema["enum"]) if "enum" in schema else None


_NONE = object()


def _default(branches: list[Schema]) -> Any:
    return next((branch["default"] for branch in branches if "default" in branch), _NONE)


def _json_type(value: Any) -> str:
    json_types: tuple[tuple[type, str], ...] = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    )
    return next((name for python, name in json_types if isinstance(value, python)), "null")


# --- Describing schemas --------------------------------------------------------------------


def _describe(branches: list[Schema]) -> str:
    return " or ".join(_describe_branch(branch) for branch in branches) or "nothing"


def _describe_branch(schema: Schema) -> str:
    kind = _kind(schema)
    if "const" in schema:
        return f"{kind} {_show(schema['const'])}"
    if kind == "object" and "title" in schema:
        return f"object {schema['title']}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return kind


def _show(value: Any) -> str:
    if value is True or value is False or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return repr(value)


def _show_all(values: list[Any]) -> str:
    return ", ".join(_show(value) for value in values)
