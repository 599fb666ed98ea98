"""The scoring scheme: a versioned TOML file validated with pydantic."""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from noac.errors import NoacError, unreadable

DEFAULT_SCHEME = Path(__file__).resolve().parent.parent / "data" / "scheme.toml"


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    code: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    name_en: str
    name_zh: str
    description_en: str = ""
    description_zh: str = ""
    weight: float = Field(gt=0)
    min: int = 0
    max: int = 10

    @model_validator(mode="after")
    def _scale(self) -> Criterion:
        if self.max <= self.min:
            raise ValueError(f"criterion {self.code}: max must be above min")
        return self

    def name(self, lang: str) -> str:
        """The name a form shows the criterion by, in ``lang``."""
        return self.name_zh if lang == "zh" else self.name_en

    def label(self, lang: str = "en") -> str:
        """The criterion as a refusal names it: its name, with the code a scores file gives.

        >>> c = Criterion(code="q1", name_en="Delivery on time", name_zh="准时交付", weight=1)
        >>> c.label(), c.label("zh")
        ('Delivery on time (q1)', '准时交付（q1）')
        """
        if lang == "zh":
            return f"{self.name_zh}（{self.code}）"
        return f"{self.name_en} ({self.code})"


class Penalties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    minor: float = Field(1, ge=0)
    major: float = Field(3, ge=0)
    critical: float = Field(8, ge=0)
    overdue: float = Field(2, ge=0)
    escape: float = Field(1, ge=0)


class Scheme(BaseModel):
    """Criteria, targets and penalty points of the monthly assessment."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    target: float = Field(85, ge=0, le=100)
    alpha: float = Field(1.0, ge=0)
    k_min: float = 0.70
    k_max: float = 1.20
    comment_below: int = 6
    calibration: Literal["none", "zscore"] = "none"
    penalties: Penalties = Penalties()
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        if self.k_min > self.k_max:
            raise ValueError("k_min must not exceed k_max")
        codes = [c.code for c in self.criteria]
        if len(set(codes)) != len(codes):
            raise ValueError("criterion codes must be unique")
        return self

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the scheme's canonical JSON: equal content, equal hash."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def criterion(self, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.code == code), None)


def parse_scheme(text: str, source: str = "scheme") -> Scheme:
    """Read a scheme from TOML text; a clear message names every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise NoacError(f"{source}: not valid TOML: {error}") from None
    try:
        return Scheme.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'scheme'}: {e['msg']}" for e in error.errors()
        )
        raise NoacError(f"{source}: {problems}") from None


def load_scheme_file(path: str | Path = DEFAULT_SCHEME) -> Scheme:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NoacError(f"cannot read scheme {path}: {unreadable(error)}") from None
    return parse_scheme(text, str(path))
