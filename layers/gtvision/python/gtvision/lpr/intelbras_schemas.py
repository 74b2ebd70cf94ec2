"""The Intelbras/Dahua ITS TollgateInfo document (only the fields we read; firmware adds others) and the answer
the camera expects."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gtvision.core.models import Out


class _Loose(BaseModel):
    # Firmware versions add fields; only what we read is validated.
    model_config = ConfigDict(defer_build=True, extra="ignore", str_strip_whitespace=True, populate_by_name=True)


class _Plate(_Loose):
    PlateNumber: str = Field(default="", max_length=32)
    Confidence: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)


class _Vehicle(_Loose):
    VehicleColor: str | None = Field(default=None, max_length=64)
    VehicleType: str | None = Field(default=None, max_length=64)
    VehicleSign: str | None = Field(default=None, max_length=64)  # make (logo)
    VehicleSeries: str | None = Field(default=None, max_length=64)  # model


class SnapInfo(_Loose):
    AccurateTime: str = Field(min_length=19, max_length=32)
    DeviceID: str = Field(default="", max_length=128)
    Direction: str | None = Field(default=None, max_length=32)


class _Pic(_Loose):
    Content: str | None = None


class _Picture(_Loose):
    Plate: _Plate
    Vehicle: _Vehicle | None = None
    SnapInfo: SnapInfo
    NormalPic: _Pic | None = None
    VehiclePic: _Pic | None = None


class TollgateInfo(_Loose):
    Picture: _Picture


class ItsAnswer(Out):
    """What an Intelbras/Dahua camera expects; `Result: true` stops its resends."""

    Result: bool
    Message: str
