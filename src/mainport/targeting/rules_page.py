"""The rules and models page of targeting administrators: the rules in force (who owns each, why, its
weight), a new version of a rule profile as YAML, the trained models with their figures, and training a new
one. Everything through targeting.service; a rejected profile comes back on the page in one line."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.targeting import lists, service
from mainport.web.templating import render

router = APIRouter(include_in_schema=False)
NOTICES = {"rules": "Rule profile saved: its rules score from now on.", "model": "Model trained and active."}
SHOWN_META = ("auc", "val_auc", "auc_val", "brier", "calibration", "half_life_days", "rounds", "features")


def _page(
    request: Request,
    session: Any,
    principal: Principal,
    *,
    error: str = "",
    done: str = "",
    yaml_text: str = "",
) -> Response:
    rules = service.list_rules(session=session, actor=principal)
    models = lists.list_models(session=session, actor=principal)
    ctx = {
        "rules": rules,
        "models": models,
        "shown_meta": SHOWN_META,
        "error": error,
        "notice": NOTICES.get(done, ""),
        "yaml_text": yaml_text,
    }
    return render(
        request, "targeting/rules.html", ctx, principal=principal, status_code=422 if error else 200
    )


@router.get("/targeting/rules")
def rules_page(request: Request, session: SessionDep, principal: CurrentUser, done: str = "") -> Response:
    principal.require("targeting:admin")
    return _page(request, session, principal, done=done)


@router.post("/targeting/rules")
def add_profile(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    yaml_text: Annotated[str, Form(max_length=200_000)],
) -> Response:
    try:
        service.add_rule_profile(session=session, actor=principal, yaml_text=yaml_text)
    except ValidationFailed as exc:
        return _page(request, session, principal, error=exc.message, yaml_text=yaml_text)
    return RedirectResponse("/targeting/rules?done=rules", status_code=303)


@router.post("/targeting/models")
def train(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    until: Annotated[str, Form(max_length=10)] = "",
    rounds: Annotated[int, Form(ge=10, le=2000)] = 200,
) -> Response:
    try:
        end = datetime.combine(datetime.fromisoformat(until).date(), time(0, tzinfo=UTC)) if until else None
    except ValueError:
        return _page(request, session, principal, error=f"until: {until!r} is not a date (YYYY-MM-DD)")
    try:
        service.train_model(session=session, actor=principal, until=end, rounds=rounds)
    except ValidationFailed as exc:
        return _page(request, session, principal, error=exc.message)
    return RedirectResponse("/targeting/rules?done=model", status_code=303)
