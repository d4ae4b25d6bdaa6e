from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from mainport.identity.models import Role

Password = Field(min_length=1, max_length=1024)


class MeOut(BaseModel):
    username: str
    role: str
    organisation: str
    organisation_kind: str
    node: str | None


class PasswordChangeIn(BaseModel):
    current: str = Password
    new: str = Password


class PasswordResetIn(BaseModel):
    password: str = Password


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Password
    role: Role = Role.viewer
    full_name: str = Field("", max_length=200)


class RoleIn(BaseModel):
    role: Role


class LockIn(BaseModel):
    hours: float = Field(gt=0, le=24 * 366)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    full_name: str
    role: Role
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    password_changed_at: datetime | None


class TokenIn(BaseModel):
    name: str = Field("api", min_length=1, max_length=100)
    days: int = Field(90, ge=1, le=3660)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str  # shown once


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str
    user_agent: str
