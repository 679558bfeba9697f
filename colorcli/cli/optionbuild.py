"""Click options built from the settings dataclasses (``colorcli.options``): each field's flag,
default, help, bounds and choices, so the CLI is made from the one place defaults live."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from colorcli.options import ColorizeOptions, numbered, option_fields


def _number_type(annotation: str, meta: dict[str, Any]) -> click.ParamType | type | None:
    kind = float if "float" in annotation else int if "int" in annotation else None
    if kind is None:
        return None
    if not any(k in meta for k in ("min", "max")):
        return kind
    rng = click.FloatRange if kind is float else click.IntRange
    extra = {k: meta[k] for k in ("min_open", "max_open") if k in meta}
    return rng(min=meta.get("min"), max=meta.get("max"), **extra)


_PATHS = {
    "dir": {"file_okay": False, "exists": True},
    "file": {"dir_okay": False, "exists": True},
    "out": {"file_okay": False},
    "out_file": {"dir_okay": False},
    True: {"dir_okay": False},
}


class _NumberedChoice(click.Choice):
    """A fixed list, one of whose names may also be given with an index (``cuda:1``)."""

    def __init__(self, choices: Sequence[str], numbered: str) -> None:
        super().__init__(choices)
        self.numbered = numbered

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and numbered(value, self.numbered):
            return value
        return super().convert(value, param, ctx)


def _as_int(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    return None if value is None else int(value)


def option_for(f: dataclasses.Field, **overrides: Any) -> Callable:
    """A click option from a settings field: the flag is ``--field-name``, the default, help
    text, bounds and choices are the field's (``colorcli.options.opt``)."""
    meta = dict(f.metadata)
    kw: dict[str, Any] = {"help": meta["help"]}
    default = None if f.default is dataclasses.MISSING else f.default
    if f.default is dataclasses.MISSING and "default_help" not in meta:
        kw["required"] = True
    if meta.get("flag"):
        kw["is_flag"] = True
    elif meta.get("choices"):
        choices = meta["choices"]
        if all(isinstance(c, int) for c in choices):
            kw["type"] = click.Choice([str(c) for c in choices])
            kw["callback"] = _as_int
            default = None if default is None else str(default)
        elif meta.get("numbered"):
            kw["type"] = _NumberedChoice(choices, meta["numbered"])
        else:
            kw["type"] = click.Choice(choices)
    elif meta.get("path"):
        kw["type"] = click.Path(path_type=Path, **_PATHS[meta["path"]])
    else:
        kw["type"] = _number_type(str(f.type), meta) or str
    if "default_help" in meta:
        kw["help"] += f"  [default: {meta['default_help']}]"
    elif default is not None and not meta.get("flag"):
        kw["show_default"] = True
    if not kw.get("required"):  # click 8.3 on takes an explicit default=None as a value given
        kw["default"] = default if not meta.get("flag") else bool(default)
    kw.update(overrides)
    return click.option("--" + f.name.replace("_", "-"), f.name, **kw)


def options_from(
    cls: type, exclude: Iterable[str] = (), overrides: dict[str, dict] | None = None
) -> Callable:
    """Decorate a command with an option for each option field of ``cls`` (in order)."""
    skip, overrides = set(exclude), overrides or {}
    fields = [f for f in option_fields(cls) if f.name not in skip]

    def deco(fn: Callable) -> Callable:
        for f in reversed(fields):
            fn = option_for(f, **overrides.get(f.name, {}))(fn)
        return fn

    return deco


def settings(cls: type, values: dict[str, Any], **extra: Any) -> Any:
    """An instance of ``cls`` from a command's values (paths as str, unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(cls)}
    kw = {k: str(v) if isinstance(v, Path) else v for k, v in values.items() if k in names}
    return cls(**{**kw, **extra})


def colorize_options(exclude: Iterable[str] = ()) -> Callable:
    """The options of every colorizing command, plus --overwrite and --quiet."""

    def deco(fn: Callable) -> Callable:
        fn = click.option("--quiet", "-q", is_flag=True, help="No progress display.")(fn)
        fn = click.option("--overwrite", is_flag=True, help="Replace outputs that already exist.")(
            fn
        )
        return options_from(ColorizeOptions, exclude)(fn)

    return deco


def make_colorizer(values: dict[str, Any]):
    """A Colorizer from a command's colorizing options (imports torch)."""
    from colorcli.colorizer import Colorizer

    o = settings(ColorizeOptions, values)
    return Colorizer(
        o.model,
        device=o.device,
        precision=o.precision,
        batch_size=o.batch_size,
        temperature=o.temperature,
        saturation=o.saturation,
        size=o.size,
        margins=not o.colour_margins,
        cards=not o.colour_cards,
        negative=o.negative,
    )
