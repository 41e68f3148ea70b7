"""Query parameters read into one pydantic model, for the hot path (``/match``).

FastAPI validates each declared query parameter on its own, which for the dozen parameters
of ``/match`` costs about 0.1 ms a request: a tenth of a screening. Reading them into one
model costs a third of that. The model's fields are still documented as query parameters in
the OpenAPI description (``openapi_parameters``), and errors still come out as 422s naming
the parameter.
"""

from __future__ import annotations

from typing import Any, TypeVar, get_args, get_origin

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(get_origin(a) is list for a in get_args(annotation))


_LIST_FIELDS: dict[type[BaseModel], frozenset[str]] = {}


def list_fields(model: type[BaseModel]) -> frozenset[str]:
    found = _LIST_FIELDS.get(model)
    if found is None:
        found = frozenset(n for n, f in model.model_fields.items() if _is_list(f.annotation))
        _LIST_FIELDS[model] = found
    return found


def read_query(request: Request, model: type[M]) -> M:
    """The request's query parameters as ``model`` (unknown parameters are ignored, as yente
    clients send some Embargo does not use); a 422 naming the parameter if one is invalid."""
    params = request.query_params
    lists = list_fields(model)
    fields = model.model_fields
    data = {
        key: params.getlist(key) if key in lists else params[key]
        for key in params.keys()  # noqa: SIM118 (a multi-dict: keys() is distinct keys)
        if key in fields
    }
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e.get("loc", ()))} for e in exc.errors()]
        raise RequestValidationError(errors) from None


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters (for a route's ``openapi_extra``)."""
    schema = model.model_json_schema()
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out
