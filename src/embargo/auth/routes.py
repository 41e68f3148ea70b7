"""HTTP routes of authentication: who am I, and user and key management (admin).

Keys are shown once, in the answer that creates them. Every change is audited with the
acting administrator.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from embargo.auth.deps import auth_service, resolve
from embargo.auth.model import ApiKeyInfo, Role
from embargo.auth.service import DEFAULT_RATE_LIMIT, MAX_RATE_LIMIT, AuthService

router = APIRouter(tags=["Users and API keys"])


def _service(request: Request) -> AuthService:
    service = auth_service(request)
    if service is None:
        raise HTTPException(
            503,
            "authentication is off on this server (--no-auth): manage users with `embargo users`",
        )
    return service


def _actor(request: Request) -> str:
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, str) or not actor:
        raise HTTPException(401, "sign in or send an API key", {"WWW-Authenticate": "Bearer"})
    return actor


ServiceDep = Annotated[AuthService, Depends(_service)]
ActorDep = Annotated[str, Depends(_actor)]


class NewUser(BaseModel):
    name: str = Field(..., min_length=1, max_length=64)
    role: Role
    password: str | None = Field(
        None, description="At least 12 characters; omitted: a generated one-time password"
    )


class UserChange(BaseModel):
    role: Role | None = None
    active: bool | None = None


class NewKey(BaseModel):
    role: Role | None = Field(None, description="A lower role than the owner's; default theirs")
    rate_limit: int = Field(DEFAULT_RATE_LIMIT, ge=1, le=MAX_RATE_LIMIT)
    expires_days: float | None = Field(None, gt=0, le=3650)
    label: str | None = Field(None, max_length=200)


@router.get("/auth/me", summary="Who is asking")
def me(request: Request) -> dict[str, Any]:
    user = resolve(request)
    if user is None:
        raise HTTPException(401, "sign in or send an API key", {"WWW-Authenticate": "Bearer"})
    key: ApiKeyInfo | None = getattr(request.state, "api_key", None)
    return {
        "name": user.name,
        "role": user.role.value,
        "via": getattr(request.state, "auth_via", None),
        "actor": getattr(request.state, "actor", user.name),
        "key": key.to_dict() if key is not None else None,
    }


@router.get("/admin/users", summary="Users", tags=["Administration"])
def list_users(service: ServiceDep) -> dict[str, Any]:
    return {"users": [u.to_dict() for u in service.list_users()]}


@router.post("/admin/users", summary="Create a user", tags=["Administration"])
def create_user(body: NewUser, service: ServiceDep, actor: ActorDep) -> dict[str, Any]:
    user, password = service.create_user(body.name, body.role, body.password, actor=actor)
    return {
        "user": service.get_user(user.name).to_dict(),
        "password": password if body.password is None else None,
    }


@router.patch(
    "/admin/users/{name}", summary="Change a user's role or enable/disable", tags=["Administration"]
)
def change_user(
    name: str, body: UserChange, service: ServiceDep, actor: ActorDep
) -> dict[str, Any]:
    if body.role is None and body.active is None:
        raise HTTPException(400, "give role and/or active")
    if body.role is not None:
        service.set_role(name, body.role, actor=actor)
    if body.active is not None:
        service.set_active(name, body.active, actor=actor)
    return {"user": service.get_user(name).to_dict()}


@router.get("/admin/keys", summary="API keys (never the keys themselves)", tags=["Administration"])
def list_keys(
    service: ServiceDep, user: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    return {"keys": [k.to_dict() for k in service.list_keys(user)]}


@router.post(
    "/admin/users/{name}/keys", summary="Create an API key (shown once)", tags=["Administration"]
)
def create_key(name: str, body: NewKey, service: ServiceDep, actor: ActorDep) -> dict[str, Any]:
    info, key = service.create_key(
        name,
        role=body.role,
        rate_limit=body.rate_limit,
        expires_days=body.expires_days,
        label=body.label,
        actor=actor,
    )
    return {"key": key, **info.to_dict()}


@router.post(
    "/admin/keys/{key}/revoke",
    summary="Revoke an API key (by id or prefix)",
    tags=["Administration"],
)
def revoke_key(key: str, service: ServiceDep, actor: ActorDep) -> dict[str, Any]:
    return service.revoke_key(key, actor=actor).to_dict()
